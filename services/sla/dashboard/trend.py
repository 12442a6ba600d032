"""The dashboard's daily trend: for each day of the period, received that day, answered that day (last answer), and
overdue at the end of that day (or at ``now`` for today): received before it, past its current deadline, and neither
answered nor closed by then. Pure: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.sla.dashboard.periods import Period, local_date, local_midnight
from services.sla.dashboard.rows import Row


@dataclass
class TrendPoint:
    day: date
    received: int = 0
    answered: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "received": self.received, "answered": self.answered,
                "overdue": self.overdue}


def trend(rows: Sequence[Row], *, now: datetime, period: Period, policy: str | None = None) -> list[TrendPoint]:
    """Received, answered and overdue per day of the period (days after today are left out)."""
    today = local_date(now)
    points = {d: TrendPoint(d) for d in period.days() if d <= today}
    selected = [r for r in rows if r.duplicate_of is None and r.received_at is not None
                and (not policy or r.policy == policy)]
    for row in selected:
        if row.received_at in period and local_date(row.received_at) in points:
            points[local_date(row.received_at)].received += 1
        if row.answered and row.last_answered_at in period and local_date(row.last_answered_at) in points:
            points[local_date(row.last_answered_at)].answered += 1
    for day, point in points.items():
        cut = min(local_midnight(day + timedelta(days=1)), now)
        point.overdue = sum(1 for r in selected if _overdue_at(r, cut))
    return [points[d] for d in sorted(points)]


def _overdue_at(row: Row, cut: datetime) -> bool:
    if row.received_at is None or row.received_at >= cut or row.due_at is None or row.due_at >= cut:
        return False
    if row.answered and row.last_answered_at is not None and row.last_answered_at <= cut:
        return False
    return not (row.closed_at is not None and row.closed_at <= cut)
