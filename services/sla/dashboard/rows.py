"""What one complaint row of the projection says to the figures: open, overdue, answered on time, followed up, which
ratings judge whose answer, and which department holds it now (:data:`UNPLACED`, 待分派, when none does). Pure
predicates over :class:`Row`; ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

UNPLACED = "unplaced"
UNPLACED_NAME = "待分派"

#: Statuses in which no department holds a complaint: it waits for a routing decision or for the dispatcher.
UNHELD_STATUSES = frozenset({"received", "triage", "rerouting"})


class Row(Protocol):
    """A complaint as the projection keeps it (``projection.ReportComplaint``), as far as the figures read it."""

    complaint_id: str
    received_at: datetime | None
    status: str | None
    department: str | None
    first_department: str | None
    policy: str | None
    due_at: datetime | None
    last_answered_at: datetime | None
    answered: bool
    answered_department: str | None
    first_rating: str | None
    first_rated_at: datetime | None
    first_rating_department: str | None
    rating: str | None
    rated_at: datetime | None
    rating_department: str | None
    closed_at: datetime | None
    routed_count: int
    duplicate_of: str | None


def is_open(row: Row) -> bool:
    return row.received_at is not None and not row.answered and row.closed_at is None and row.duplicate_of is None


def is_overdue(row: Row, now: datetime) -> bool:
    return is_open(row) and row.due_at is not None and row.due_at < now


def on_time(row: Row) -> bool:
    return row.last_answered_at is not None and row.due_at is not None and row.last_answered_at <= row.due_at


def holder(row: Row) -> str | None:
    """The department that holds the complaint now: the one that gave the answer in force, else the lead department
    of its status; None while it waits for a routing decision or for the dispatcher."""
    if row.answered:
        return row.answered_department
    return None if (row.status or "received") in UNHELD_STATUSES else row.department


def follow_up_done(row: Row) -> bool:
    """The filer has rated the answer in force (not only an answer a reopening undid)."""
    return (row.answered and row.rated_at is not None and row.last_answered_at is not None
            and row.rated_at >= row.last_answered_at)


def judged(row: Row) -> list[tuple[str | None, str, datetime]]:
    """(department, rating, when) of each rating that judges a department's answer: the first rating, and the
    latest when it judges another department's answer (a complaint reopens once: it has at most two ratings)."""
    out = []
    if row.first_rating and row.first_rated_at is not None:
        out.append((row.first_rating_department, row.first_rating, row.first_rated_at))
    if (row.rating and row.rated_at is not None and row.rated_at != row.first_rated_at
            and row.rating_department != row.first_rating_department):
        out.append((row.rating_department, row.rating, row.rated_at))
    return out


def department_key(department: str | None) -> str:
    """The key a department's figures go under: its id, :data:`UNPLACED` for none."""
    return department or UNPLACED


def department_name(key: str | None, names: Mapping[str, str]) -> str:
    """The name a department's figures go under: the catalog's, 待分派 for :data:`UNPLACED` (or none)."""
    return UNPLACED_NAME if key in (None, UNPLACED) else names.get(key, key)
