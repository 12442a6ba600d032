"""What the dashboard's endpoints, its page and its live stream send: the period and policy a request asks for,
checked (a 422 for a bad one), and the figures, trend and lists for them as JSON-ready data (:func:`snapshot`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import HTTPException, Request

from services.sla.dashboard import followups, store, views
from services.sla.dashboard.deps import DashboardDeps
from services.sla.dashboard.figures import summarise
from services.sla.dashboard.filers import by_filer_kind
from services.sla.dashboard.periods import Period, default_period
from services.sla.dashboard.returns import return_counts
from services.sla.dashboard.trend import trend
from services.sla.dashboard.worklists import ReopenedItem, overdue_list, reopened_list
from shared import clock
from shared.calendar import SHANGHAI

MAX_PERIOD_DAYS = 366


def period_of(start: str | None, end: str | None, now: datetime) -> Period:
    """The period from ``from`` and ``to`` (local dates; the last 30 days by default)."""
    default = default_period(now)
    try:
        first = date.fromisoformat(start) if start else default.first
        last = date.fromisoformat(end) if end else (default.last if not start else max(first, default.last))
    except ValueError:
        raise HTTPException(422, detail={"error": "invalid_period", "message_zh": "日期格式应为 YYYY-MM-DD"}) from None
    if last < first:
        first, last = last, first
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise HTTPException(422, detail={"error": "invalid_period", "message_zh": "统计区间不能超过一年"})
    return Period(first, last)


def policy_of(deps: DashboardDeps, policy: str | None) -> str | None:
    """The policy asked for (None for all), one the SLA service knows."""
    if not policy:
        return None
    if policy not in deps.policy_names:
        raise HTTPException(422, detail={"error": "invalid_policy", "message_zh": f"未知的时限政策：{policy}"})
    return policy


def query(deps: DashboardDeps, request: Request) -> tuple[Period, str | None, datetime]:
    """The period and policy of the request's query string, and the time now."""
    now = clock.now()
    q = request.query_params
    return period_of(q.get("from"), q.get("to"), now), policy_of(deps, q.get("policy")), now


async def snapshot(deps: DashboardDeps, period: Period, policy: str | None, now: datetime) -> dict[str, Any]:
    """Summary, trend, overdue and reopened lists for one period and policy, as the JSON endpoints and the stream give
    them."""
    rows = await store.rows_for(deps.db, period, policy)
    names = deps.names
    reopened = await reopened_items(deps, period, policy)
    calls = followups.calls(await store.entries(deps.db, followups.FOLLOWED_UP, period, policy))
    returned = return_counts(await store.return_entries(deps.db, period, policy), period=period, policy=policy)
    summary = summarise(rows, now=now, period=period, calendar=deps.calendar, names=names, reopened=reopened,
                        policy=policy, calls=calls, returns=returned)
    data = summary.as_dict()
    for item, f in zip(data["departments"], summary.departments):
        item["display"] = views.display(f)
    data["total"]["display"] = views.display(summary.total)
    data["filer_kinds"] = by_filer_kind(rows, reopened, now=now, period=period, calendar=deps.calendar, names=names,
                                        policy=policy)
    data["now_display"] = now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "summary": data,
        "trend": [p.as_dict() for p in trend(rows, now=now, period=period, policy=policy)],
        "overdue": [views.overdue_item(i) for i in overdue_list(rows, now=now, names=names, policy=policy)],
        "reopened": [views.reopened_item(i) for i in reopened],
    }


async def reopened_items(deps: DashboardDeps, period: Period, policy: str | None,
                         department: str | None = None) -> list[ReopenedItem]:
    return reopened_list(await store.reopenings(deps.db, period, policy), period=period, names=deps.names,
                         policy=policy, department=department)
