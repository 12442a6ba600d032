"""The dashboard's figures table as a file: ``GET /dashboard/export.csv`` and ``/dashboard/export.xlsx`` (``from``,
``to`` as local dates, ``policy``), for supervisors and admins (cookie or ``Authorization: Bearer``), as the page's
filter form submits them (its 导出 buttons).

The table is the one the page shows for that period and policy — the same figures (``figures.py``), computed by the
same snapshot, with the same texts (``views.display``): a row per department and the county total, a column per
figure, each heading naming the population its group counts (``区间内登记：办结率``). Counts are numbers in the
workbook; rates and durations are the page's texts. The figures name no person: no contact data, no complaint.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.sla.dashboard import views
from services.sla.dashboard.deps import Deps
from services.sla.dashboard.signin import api_principal
from services.sla.dashboard.snapshots import query, snapshot
from shared import tables
from shared.problems import responses

router = APIRouter(prefix="/dashboard", tags=["dashboard"], responses=responses(401, 403, 422, 503))

#: The file's headings: the department, then each column of the page under its group's heading.
HEADINGS = ("承办部门", *(f"{group}：{heading}" for group, _, columns in views.GROUPS for _, heading, _, _ in columns))
FIELDS = tuple(field for _, _, columns in views.GROUPS for field, _, _, _ in columns)


def _cell(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def rows(summary: dict[str, Any]) -> list[list[str | int]]:
    """The departments' rows, then the county total's, from the snapshot's summary."""
    return [[item["name"], *(_cell(item["display"][field]) for field in FIELDS)]
            for item in [*summary["departments"], summary["total"]]]


@router.get("/export.{fmt}", response_class=Response, responses={200: {
    "description": "the figures table as a file", "content": {"text/csv": {}, tables.MEDIA_TYPES["xlsx"]: {}}}})
async def export(request: Request, deps: Deps, fmt: Literal["csv", "xlsx"]) -> Response:
    """The period's figures table, as the page shows it, as CSV (UTF-8 with BOM) or an Excel workbook."""
    api_principal(deps, request)
    period, policy, now = query(deps, request)
    summary = (await snapshot(deps, period, policy, now))["summary"]
    name = f"督办看板-{period.first.isoformat()}-{period.last.isoformat()}"
    if policy:
        name += f"-{views.policy_name(policy)}"
    return tables.download(fmt, name, "督办看板", HEADINGS, rows(summary))
