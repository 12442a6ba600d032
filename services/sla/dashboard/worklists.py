"""The dashboard's two work lists: the open complaints past their deadline (:func:`overdue_list`, the longest
overdue first) and the period's reopenings (不满意重办, :func:`reopened_list`, the latest first), each item counted
for the department it concerns. Pure: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from services.sla.dashboard.periods import Period
from services.sla.dashboard.rows import department_key, department_name, holder, is_overdue


@dataclass
class OverdueItem:
    complaint_id: str
    tracking_number: str | None
    title: str | None
    department: str
    department_name: str
    policy: str | None
    status: str | None
    received_at: datetime
    due_at: datetime
    overdue_hours: float
    escalation_level: str | None
    reopened_count: int

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["received_at"] = self.received_at.isoformat()
        d["due_at"] = self.due_at.isoformat()
        return d


def overdue_list(rows: Iterable[Any], *, now: datetime, names: Mapping[str, str], policy: str | None = None,
                 department: str | None = None, limit: int = 200) -> list[OverdueItem]:
    """Open complaints past their deadline, the longest overdue first."""
    items = []
    for row in rows:
        if not is_overdue(row, now) or (policy and row.policy != policy):
            continue
        key = department_key(holder(row))
        if department and key != department:
            continue
        items.append(OverdueItem(
            complaint_id=row.complaint_id, tracking_number=row.tracking_number, title=row.title, department=key,
            department_name=department_name(key, names), policy=row.policy,
            status=row.status, received_at=row.received_at, due_at=row.due_at,
            overdue_hours=(now - row.due_at).total_seconds() / 3600, escalation_level=row.escalation_level,
            reopened_count=row.reopened_count,
        ))
    items.sort(key=lambda i: i.due_at)
    return items[:limit]


class Reopening(Protocol):
    """A reopening as the projection's timeline keeps it: when, the lead department then, and the filer's reason."""

    at: datetime
    department: str | None
    detail: dict[str, Any]


@dataclass
class ReopenedItem:
    complaint_id: str
    tracking_number: str | None
    title: str | None
    #: The department whose answer the filer rated 不满意 (:data:`UNPLACED` when the event named none).
    department: str
    department_name: str
    reopened_at: datetime
    #: The filer's words (contact data masked by the projection): shown to supervisors, never logged.
    reason: str | None
    status: str | None
    policy: str | None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reopened_at"] = self.reopened_at.isoformat()
        return d


def reopened_list(reopenings: Iterable[tuple[Reopening, Any]], *, period: Period, names: Mapping[str, str],
                  policy: str | None = None, department: str | None = None) -> list[ReopenedItem]:
    """The reopenings (不满意重办) in ``period``, each with its complaint's row as it is now; the latest first."""
    items = []
    for event, row in reopenings:
        if row.duplicate_of is not None or event.at not in period or (policy and row.policy != policy):
            continue
        key = department_key(event.department)
        if department and key != department:
            continue
        items.append(ReopenedItem(
            complaint_id=row.complaint_id, tracking_number=row.tracking_number, title=row.title, department=key,
            department_name=department_name(key, names), reopened_at=event.at,
            reason=event.detail.get("reason"), status=row.status, policy=row.policy,
        ))
    items.sort(key=lambda i: (i.reopened_at, i.complaint_id), reverse=True)
    return items
