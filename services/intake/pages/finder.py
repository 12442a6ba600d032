"""The workbench's search (查询) and its export: the filters of the JSON search — tracking number, credit code,
enterprise, words of the text, department, status, period — in a form posted with the session's CSRF token, so that
what people look for stays out of URLs and logs; the results in the queues' row shape, a page at a time; for
supervisors and admins, buttons that export the same selection as CSV or Excel.

Both call the JSON endpoints' own functions (``search_http.find``, ``search_http.export``): what a person finds, and
who may export (a handler's export is refused), are the API's rules.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.intake.http import search as search_http
from services.intake.domain.access import may_export
from services.intake.http.deps import DatabaseDep
from services.intake.errors import IntakeError
from services.intake.domain.lifecycle import Status
from services.intake.pages import shown
from services.intake.pages.forms import field_errors
from services.intake.pages.session import PATH, PostedDep, Staff, StaffDep
from services.intake.pages.workbench import calendar, page, refusal_page
from services.intake.search import SearchBody, SearchFilters
from shared import clock
from shared.db import Database
from shared.problems import describe
from shared.vocabulary import status_name

#: Results a page shows.
ROWS = 50
FORMATS = ("csv", "xlsx")

router = APIRouter(prefix=PATH, include_in_schema=False)


def filters_of(form: FormData | None) -> dict[str, Any]:
    """The search's fields as the form filled them (an empty field left out; statuses as a list)."""
    values: dict[str, Any] = {}
    for field in SearchBody.model_fields:
        if form is None or field == "limit":
            continue
        if field == "status":
            values[field] = [v for v in form.getlist(field) if isinstance(v, str) and v]
        elif isinstance(form.get(field), str) and form.get(field, "").strip():
            values[field] = form.get(field)
    return values


async def search_page(request: Request, db: Database, staff: Staff, values: dict[str, Any], *, run: bool,
                      status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    """The form with what was typed and, when ``run``, one page of results (errors by field instead when a filter
    is refused)."""
    rows: list[dict[str, Any]] = []
    next_cursor = None
    if run and not errors:
        try:
            body = SearchBody.model_validate({**values, "limit": ROWS})
            found = await search_http.find(body, db, staff.principal)
        except ValidationError as exc:
            errors, status_code = field_errors(describe(list(exc.errors()))), 422
        except IntakeError as exc:
            if exc.status != 422:
                return refusal_page(request, staff, exc)
            errors, status_code = field_errors(exc.extra.get("errors") or []), 422
        else:
            now, cal = clock.now(), calendar(request)
            rows = [shown.queue_row(item, now, cal) for item in found.items]
            next_cursor = found.next_cursor
    return page(request, "search.html", staff, status_code, v=values, errors=errors or {}, rows=rows, ran=run,
                next_cursor=next_cursor, departments=shown.departments(),
                statuses=[(s.value, status_name(s.value)) for s in Status],
                may_export=may_export(staff.principal), formats=FORMATS)


@router.get("/search")
async def search_form(request: Request, db: DatabaseDep, staff: StaffDep) -> Response:
    return await search_page(request, db, staff, {}, run=False)


@router.post("/search")
async def search(request: Request, db: DatabaseDep, posted: PostedDep) -> Response:
    staff, form = posted
    return await search_page(request, db, staff, filters_of(form), run=True)


@router.post("/search/export")
async def export(request: Request, db: DatabaseDep, posted: PostedDep) -> Response:
    """The selection as a file (supervisors and admins; anyone else: the refusal page, nothing exported)."""
    staff, form = posted
    values = filters_of(form)
    values.pop("cursor", None)
    chosen = form.get("format")
    try:
        filters = SearchFilters.model_validate(values)
        return await search_http.export(filters, db, staff.principal, chosen if chosen in FORMATS else "csv")
    except ValidationError as exc:
        return await search_page(request, db, staff, values, run=True, status_code=422,
                                 errors=field_errors(describe(list(exc.errors()))))
    except IntakeError as exc:
        if exc.status != 422:
            return refusal_page(request, staff, exc)
        return await search_page(request, db, staff, values, run=True, status_code=422,
                                 errors=field_errors(exc.extra.get("errors") or []))
