"""The operator's desk (话务员): a hotline operator logged in to the workbench sees the complaints they filed, newest
first, a page at a time, and looks a complaint up for a caller on the line with its tracking number and 6-digit
access code — the JSON endpoints' own functions (``services.intake.access_codes.filed_by``, ``http.access_codes.operator_lookup``), with their
limits: a wrong code answers exactly like an unknown number, and a locked number says when to try again.

The lookup is a form posted with the session's CSRF token (the code never goes into a URL); found, it answers with
the complaint's page as its filer sees it, read-only — the caller's own view, nothing of the staff's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.intake.http import access_codes
from services.intake.http.deps import DatabaseDep, SettingsDep
from services.intake.errors import IntakeError, NotFound
from services.intake.access_codes import filed_by
from services.intake.pages import shown
from services.intake.pages.forms import field_errors
from services.intake.pages.session import PATH, PostedDep, Staff, StaffDep
from services.intake.pages.workbench import calendar, complaint_page, page, refusal_page
from services.intake.schemas.replies import TrackRequest
from shared import clock
from shared.auth import InvalidToken, Role, verify_token
from shared.db import Database
from shared.problems import describe

#: Complaints a page of the desk shows.
ROWS = 50
NOT_FOUND = "未找到该诉求：请核对诉求编号和 6 位查询码"

router = APIRouter(prefix=PATH, include_in_schema=False)


async def desk_page(request: Request, db: Database, staff: Staff, *, cursor: str | None = None,
                    status_code: int = 200, errors: dict[str, str] | None = None,
                    values: dict[str, Any] | None = None) -> Response:
    if staff.principal.role is not Role.operator:
        return refusal_page(request, staff, NotFound())
    try:
        filed = await filed_by(db, staff.principal.actor, cursor=cursor, limit=ROWS, now=clock.now())
    except (IntakeError, ValueError):
        return refusal_page(request, staff, NotFound())
    now, cal = clock.now(), calendar(request)
    return page(request, "operator.html", staff, status_code, rows=[shown.queue_row(i, now, cal) for i in filed.items],
                next_cursor=filed.next_cursor, errors=errors or {}, v=values or {})


@router.get("/operator")
async def desk(request: Request, db: DatabaseDep, staff: StaffDep, cursor: str | None = None) -> Response:
    return await desk_page(request, db, staff, cursor=cursor)


@router.post("/operator/lookup")
async def lookup(request: Request, db: DatabaseDep, settings: SettingsDep, posted: PostedDep) -> Response:
    staff, form = posted
    values = {k: form.get(k) for k in TrackRequest.model_fields if isinstance(form.get(k), str)}
    typed = {"tracking_number": values.get("tracking_number", "")}  # the code is never shown back
    try:
        body = TrackRequest.model_validate(values)
        found = await access_codes.operator_lookup(request, body, db, settings, staff.principal)
    except ValidationError as exc:
        return await desk_page(request, db, staff, status_code=422, values=typed,
                               errors=field_errors(describe(list(exc.errors()))))
    except NotFound:
        return await desk_page(request, db, staff, status_code=404, values=typed, errors={"lookup": NOT_FOUND})
    except IntakeError as exc:
        errors = field_errors(exc.extra.get("errors") or []) or {"lookup": exc.zh_text}
        return await desk_page(request, db, staff, status_code=exc.status, values=typed, errors=errors)
    try:
        caller = verify_token(settings.auth_secret, found.access_token)
    except InvalidToken:
        return refusal_page(request, staff, NotFound())
    return await complaint_page(request, db, staff, found.id, caller=caller,
                                notice="已核对诉求编号和查询码：以下是诉求人看到的内容")
