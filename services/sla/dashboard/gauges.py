"""Open and overdue SLA clocks per department and policy, as Prometheus gauges.

A small periodic loop in the SLA service counts the complaint-scope clocks of ``sla_clock`` that are open, and those
of them past their deadline (``due_at < now``, now from :func:`shared.clock.now`). Label sets that disappear are set
to zero rather than left at their last value.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy import case, func, select

from services.sla.models import OPEN, SCOPE_COMPLAINT, Clock
from shared import clock
from shared.db import Database

OPEN_CLOCKS = Gauge("complaints_sla_open_clocks", "Open SLA clocks (complaint scope)", ["department", "policy"])
OVERDUE_CLOCKS = Gauge("complaints_sla_overdue_clocks", "Open SLA clocks past their deadline", ["department", "policy"])


async def refresh(db: Database, now: datetime, seen: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Count the open and overdue clocks now and set the gauges; returns the counts by (department, policy)."""
    query = (
        select(Clock.department, Clock.policy, func.count(),
               func.sum(case((Clock.due_at < now, 1), else_=0)))
        .where(Clock.status == OPEN, Clock.scope == SCOPE_COMPLAINT)
        .group_by(Clock.department, Clock.policy)
    )
    async with db.unit_of_work() as uow:
        counts = {(d, p): (int(n), int(o or 0)) for d, p, n, o in (await uow.session.execute(query)).all()}
    for key in seen - counts.keys():
        OPEN_CLOCKS.labels(*key).set(0)
        OVERDUE_CLOCKS.labels(*key).set(0)
    for key, (n, overdue) in counts.items():
        OPEN_CLOCKS.labels(*key).set(n)
        OVERDUE_CLOCKS.labels(*key).set(overdue)
    seen |= counts.keys()
    return counts


def gauge_loop(db: Database, interval_s: float = 15.0):
    """The loop to register with ``runtime.add_loop("clock-gauges", gauge_loop(runtime.db))``."""

    async def loop() -> None:
        seen: set[tuple[str, str]] = set()
        while True:
            await refresh(db, clock.now(), seen)
            await asyncio.sleep(interval_s)

    return loop
