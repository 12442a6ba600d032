"""Intake's HTTP endpoints for staff search and its export.

- ``POST /v1/search`` — one page of the complaints the caller may see that match the filters (``search.py``), newest
  first, in the queues' row shape (number masked); ``next_cursor`` goes back in the next request's body.
- ``POST /v1/search/export?format=csv|xlsx`` — every complaint the filters select, as a file, for supervisors and
  admins (any other role: 403). The export carries no contact data: neither the contact's name nor number.

The filters travel in the body, not the URL (see ``search.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.intake import search
from services.intake.domain.access import complaint_township, may_export, may_search
from services.intake.http.deps import CallerDep, DatabaseDep
from services.intake.errors import IntakeError, Unprocessable
from services.intake.models import Complaint
from services.intake.schemas import QueuePage
from shared import clock, tables
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.problems import responses
from shared.vocabulary import RATINGS, status_name

router = APIRouter(prefix="/v1/search", tags=["search"], responses=responses(400, 401, 403, 413, 422, 503))

#: The most complaints one export holds; more is refused, asking for a narrower period.
EXPORT_MAX = 10_000

#: The export's columns: heading and how to read it off the complaint. No contact data.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("诉求编号", "tracking_number"), ("标题", "title"), ("企业名称", "enterprise_name"),
    ("统一社会信用代码", "credit_code"), ("乡镇/街道", "township"), ("承办部门", "department"), ("状态", "status"),
    ("登记时间", "received_at"), ("办理时限", "due_at"), ("超期", "overdue"), ("答复时间", "answered_at"),
    ("办结时间", "closed_at"), ("评价", "rating"), ("重复件", "duplicate"),
)


class SearchForbidden(IntakeError):
    status, code = 403, "forbidden"
    en, zh = "Your role may not use this", "您的角色无权使用此功能"


def _time(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def export_row(c: Complaint, now: datetime, names: dict[str, str]) -> list[str]:
    """One complaint as the export reads it: words as the API's ``*_zh`` and the dashboard read them."""
    late = c.overdue or bool(c.due_at and c.due_at < now and not c.answered_at)
    values = {
        "tracking_number": c.tracking_number, "title": c.title, "enterprise_name": c.enterprise_name,
        "credit_code": c.credit_code, "township": complaint_township(c) or "",
        "department": names.get(c.department or "", c.department or ""), "status": status_name(c.status),
        "received_at": _time(c.received_at), "due_at": _time(c.due_at), "overdue": "是" if late else "否",
        "answered_at": _time(c.answered_at), "closed_at": _time(c.closed_at),
        "rating": RATINGS.get(c.rating or "", ""), "duplicate": "是" if c.original_id else "",
    }
    return [values[key] for _, key in COLUMNS]


@router.post("", response_model=QueuePage)
async def find(body: search.SearchBody, db: DatabaseDep, caller: CallerDep) -> QueuePage:
    """Search the complaints the caller may see — a handler its department's (a township's handler its township's)
    and those it cooperates on, an operator those it filed, dispatchers, supervisors and admins all — by tracking
    number, credit code, enterprise name, words of the title or text (``LIKE``), lead department, status and the
    local dates it was received between; newest first. Filers may not search (403)."""
    if not may_search(caller):
        raise SearchForbidden()
    return await search.page(db, caller, body, clock.now())


FormatQuery = Annotated[Literal["csv", "xlsx"], Query(description="csv (UTF-8 with BOM) or xlsx")]


@router.post("/export", response_class=Response, responses={200: {
    "description": "the search results as a file", "content": {"text/csv": {}, tables.MEDIA_TYPES["xlsx"]: {}}}})
async def export(body: search.SearchFilters, db: DatabaseDep, caller: CallerDep, format: FormatQuery = "csv"):
    """Supervisors and admins: every complaint the filters select (at most 10,000), as CSV or an Excel workbook,
    without contact data. Other roles: 403."""
    if not may_export(caller):
        raise SearchForbidden("Only supervisors and admins export", "仅督办人员和管理员可以导出")
    found = await search.everything(db, caller, body, EXPORT_MAX + 1)
    if len(found) > EXPORT_MAX:
        raise Unprocessable("received_from", "export_too_large",
                            f"More than {EXPORT_MAX} complaints match: narrow the period or the filters",
                            f"符合条件的投诉超过 {EXPORT_MAX} 件，请缩小登记日期范围或增加筛选条件")
    now = clock.now()
    names = {d.id: d.name for d in load_catalog().departments}
    stamp = now.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return tables.download(format, f"投诉查询-{stamp}", "投诉查询", [h for h, _ in COLUMNS],
                           (export_row(c, now, names) for c in found))
