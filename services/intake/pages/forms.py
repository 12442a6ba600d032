"""The workbench's forms (POST): every action of the API on a complaint — claim, accept, contact, request-info,
answer, return, cooperating, notes, dispatch, and the review of returns (approve-return, reject-return,
permit-return) — each calling the same command function as its JSON endpoint
(``commands.py``), so every rule, refusal and history entry is the API's own.

A form carries its session's CSRF token (checked before anything else, ``session.posted``) and the version of the
complaint the page showed (the API's ``If-Match``). Done, it redirects (303) to a page to GET; refused, the complaint's
page comes back with the form's values and the refusal in Chinese: its errors by field (422), "someone changed this
meanwhile" with the fresh version (409), or why the action cannot be taken now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from services.intake import commands, returns
from services.intake.http.deps import DatabaseDep, WorkRulesDep
from services.intake.errors import IntakeError, NotFound, PreconditionRequired, StaleVersion
from services.intake.pages.session import PATH, PostedDep
from services.intake.pages.workbench import complaint_page, refusal_page
from services.intake.schemas.replies import AnswerBody
from services.intake.schemas import (
    ContactBody,
    CooperatingBody,
    DispatchBody,
    QuestionBody,
    ReturnBody,
    TextBody,
)
from shared import clock
from shared.problems import describe

#: Each form: the command its JSON endpoint calls, and the body it takes (None: none).
ACTIONS: dict[str, tuple[Callable[..., Awaitable[None]], type[BaseModel] | None]] = {
    "claim": (commands.claim, None),
    "accept": (commands.accept, None),
    "contact": (commands.contact, ContactBody),
    "request-info": (commands.request_info, QuestionBody),
    "answer": (commands.answer, AnswerBody),
    "return": (returns.request_return, ReturnBody),
    "cooperating": (commands.add_cooperating, CooperatingBody),
    "notes": (commands.add_note, TextBody),
    "dispatch": (commands.dispatch, DispatchBody),
    "approve-return": (returns.approve_return, returns.ApproveReturnBody),
    "reject-return": (returns.reject_return, returns.ReasonBody),
    "permit-return": (returns.permit_return, returns.ReasonBody),
}
#: Fields of several values (checkboxes).
LISTS = frozenset({"also"})
#: After these the caller may no longer work the complaint: back to the queue.
TO_QUEUE = frozenset({"return", "dispatch", "approve-return", "reject-return"})

router = APIRouter(prefix=PATH, include_in_schema=False)


def form_values(form: FormData, schema: type[BaseModel] | None) -> dict[str, Any]:
    """The body's fields as the form filled them; an empty field is left out (an optional field unset)."""
    values: dict[str, Any] = {}
    for field in (schema.model_fields if schema else ()):
        if field in LISTS:
            values[field] = [v for v in form.getlist(field) if isinstance(v, str) and v]
        elif isinstance(form.get(field), str) and form.get(field) != "":
            values[field] = form.get(field)
    return values


def version_of(form: FormData) -> int:
    raw = form.get("version")
    if not isinstance(raw, str) or not raw.isdigit():
        raise PreconditionRequired()
    return int(raw)


def field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    """The API's field entries (``shared.problems``) as field → Chinese message."""
    shown: dict[str, str] = {}
    for error in errors:
        field = str(error["field"]).split(".")[0]
        shown.setdefault(field, error["message_zh"])
    return shown


@router.post("/complaints/{complaint_id}/{action}")
async def act(request: Request, complaint_id: str, action: str, db: DatabaseDep, policy: WorkRulesDep,
              posted: PostedDep) -> Response:
    staff, form = posted
    if action not in ACTIONS:
        return refusal_page(request, staff, NotFound())
    command, schema = ACTIONS[action]
    values = form_values(form, schema)
    again = {"values": {action: values}}
    try:
        body = [schema.model_validate(values)] if schema else []
    except ValidationError as exc:
        return await complaint_page(request, db, staff, complaint_id, status_code=422,
                                    errors={action: field_errors(describe(list(exc.errors())))}, **again)
    try:
        await command(db, staff.principal, complaint_id, version_of(form), clock.now(), policy, *body)
    except (StaleVersion, PreconditionRequired):
        return await complaint_page(request, db, staff, complaint_id, status_code=409, conflict=True, **again)
    except NotFound as exc:
        return refusal_page(request, staff, exc)
    except IntakeError as exc:
        if exc.status == 422:
            return await complaint_page(request, db, staff, complaint_id, status_code=422,
                                        errors={action: field_errors(exc.extra.get("errors") or [])}, **again)
        return await complaint_page(request, db, staff, complaint_id, status_code=exc.status, refusal=exc.zh_text,
                                    **again)
    target = PATH if action in TO_QUEUE else f"{PATH}/complaints/{complaint_id}"
    return RedirectResponse(f"{target}?done={action}", status_code=303)
