"""The follow-up staff's (回访员) pages: their queue, a follow-up with the answer it is about, the audited contact read
that starts the call, and the call's result as a form.

- ``/workbench/followups`` — open follow-ups, those to call today first, overdue ones marked.
- ``/workbench/followups/{id}`` — the complaint, the department's answer(s), the calls so far, and the result form.
- ``/workbench/followups/{id}/contact`` — the filer's name and number for the call, written to the complaint's
  history (as the API's ``GET /v1/followups/{id}/contact``), with the result form beside it.
- ``POST /workbench/followups/{id}/result`` — the same command as ``POST /v1/followups/{id}/result``; refused, the
  follow-up's page comes back with what was typed and the errors by field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.intake.http import complaints
from services.intake.http.deps import DatabaseDep, WorkRulesDep
from services.intake.errors import IntakeError
from services.intake.followups import tasks
from services.intake.followups.http import FollowUpResultBody
from services.intake.pages import shown
from services.intake.pages.forms import field_errors, form_values
from services.intake.pages.session import PATH, PostedDep, Staff, StaffDep
from services.intake.pages.workbench import page, refusal_page
from services.intake.schemas import HistoryItem, show_mobile
from shared import clock
from shared.db import Database
from shared.problems import describe
from shared.vocabulary import RATINGS

ROOT = f"{PATH}/followups"
FORM = "result"
#: A follow-up's states as the page says them.
STATES = {"open": "待回访", "done": "已回访", "declined": "谢绝回访", "not_reached": "多次未接通", "superseded": "已重新答复"}

router = APIRouter(prefix=ROOT, include_in_schema=False)


def row(task: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {**task, "department_name": names.get(task["department"] or "", "—"),
            "answered": shown.when(task["answered_at"]), "state_zh": STATES.get(task["state"], task["state"])}


def call_row(item: HistoryItem) -> dict[str, str]:
    """A call in the follow-up's record: who, when, what came of it, and whether the matter is solved."""
    shown_row = shown.history_row(item, shown.names())
    solved = item.detail.get("solved")
    if solved is not None:
        shown_row["detail"] = "问题已解决" if solved else "问题未解决"
    return shown_row


@router.get("")
async def queue(request: Request, db: DatabaseDep, staff: StaffDep, done: str | None = None) -> Response:
    try:
        rows = await tasks.queue(db, staff.principal, clock.now())
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    names = shown.names()
    return page(request, "followups.html", staff, rows=[row(t, names) for t in rows],
                notice="回访结果：已记录" if done == FORM else "")


async def task_page(request: Request, db: Database, staff: Staff, task_id: str, *, status_code: int = 200,
                    contact: dict[str, str] | None = None, refusal: str = "",
                    errors: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> Response:
    p = staff.principal
    try:
        task = await tasks.task(db, p, task_id)
        view = await complaints.complaint_shown(db, p, task["complaint_id"])
        messages = await complaints.get_messages(task["complaint_id"], db, p)
        history = await complaints.get_history(task["complaint_id"], db, p)
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    calls = [h for h in history if h.action.startswith("followup_") and h.action != "followup_scheduled"]
    return page(request, "followup.html", staff, status_code, t=row(task, shown.names()), c=view,
                answers=shown.message_rows([m for m in messages if m.kind == "answer"]),
                calls=[call_row(h) for h in calls], contact=contact, refusal=refusal, errors=errors or {},
                values=values or {}, ratings=RATINGS, may_call=task["state"] == "open" and p.role in tasks.CALLERS)


@router.get("/{task_id}")
async def followup(request: Request, task_id: str, db: DatabaseDep, staff: StaffDep) -> Response:
    return await task_page(request, db, staff, task_id)


@router.get("/{task_id}/contact")
async def contact(request: Request, task_id: str, db: DatabaseDep, staff: StaffDep) -> Response:
    """The call starts here: the filer's contact, read on this explicit request and written to the history."""
    try:
        found = await tasks.read_contact(db, staff.principal, task_id, clock.now())
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    return await task_page(request, db, staff, task_id,
                           contact={"name": found.contact_name, "number": show_mobile(found.mobile)})


@router.post("/{task_id}/result")
async def result(request: Request, task_id: str, db: DatabaseDep, policy: WorkRulesDep, posted: PostedDep) -> Response:
    staff, form = posted
    values = form_values(form, FollowUpResultBody)
    try:
        body = FollowUpResultBody.model_validate(values)
    except ValidationError as exc:
        return await task_page(request, db, staff, task_id, status_code=422, values=values,
                               errors=field_errors(describe(list(exc.errors()))))
    try:
        await tasks.record(db, staff.principal, task_id, body.result(), clock.now(), policy)
    except IntakeError as exc:
        if exc.status == 422:
            return await task_page(request, db, staff, task_id, status_code=422, values=values,
                                   errors=field_errors(exc.extra.get("errors") or []))
        return await task_page(request, db, staff, task_id, status_code=exc.status, values=values,
                               refusal=exc.zh_text)
    return RedirectResponse(f"{ROOT}?done={FORM}", status_code=303)
