"""Returns (退回) and the center's review of them (派单异议审核) on the dashboard: what the timeline keeps of each
return event, and the figures per department — pure, from the timeline's entries.

Population: the return requests made in the period, each counted for the department that asked to return the
complaint (the lead department of the request, ``complaint.return_requested``):

- **退回 (returns)**: their number.
- **合理退单率 (share approved)** = those the center approved (``complaint.returned``) / those it has reviewed
  (approved or rejected, ``complaint.return_rejected``) — by now; a return still waiting counts in neither.
- **平均审核时长 (review time)** = mean of (decision − request) over the reviewed ones, in hours.

A decision carries its request's instant (``requested_at``), so it is counted with the request whatever the period
it falls in. Returns made before returns were reviewed (a ``complaint.returned`` without ``requested_at``) count in
none of these. Duplicates (重复件) are left out, as from every figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.sla.dashboard.periods import Period
from services.sla.dashboard.projection import mask_contacts
from services.sla.dashboard.rows import department_key

#: The timeline kinds of a return's request and its two decisions (``handlers.short_type``).
REQUESTED, APPROVED, REJECTED = "return_requested", "returned", "return_rejected"
KINDS = (REQUESTED, APPROVED, REJECTED)


def review_detail(event: Any) -> dict[str, Any]:
    """What a return event puts on the complaint's timeline: the returning department, the reason (contacts masked),
    the suggestion, when it was asked, and the supervisor's permit it needed."""
    requested_at = getattr(event, "requested_at", None)
    return {
        "returned_by": event.returned_by, "reason": mask_contacts(event.reason),
        "suggested_department": getattr(event, "suggested_department", None),
        "requested_at": requested_at.isoformat() if requested_at else None,
        "needed_permit": list(getattr(event, "needed_permit", None) or []),
        "permitted_by": getattr(event, "permitted_by", None),
    }


class Entry(Protocol):
    """A timeline entry, as far as the figures read it."""

    at: datetime
    kind: str
    department: str | None
    detail: dict[str, Any]


@dataclass
class ReturnCounts:
    returns: int = 0
    reviewed: int = 0
    approved: int = 0
    review_hours_total: float = 0.0


def _requested_at(entry: Entry) -> datetime | None:
    value = entry.detail.get("requested_at")
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def return_counts(entries: Iterable[tuple[Entry, Any]], *, period: Period,
                  policy: str | None = None) -> dict[str, ReturnCounts]:
    """Department key → its counts, from the return entries of the timeline (each with its complaint's row)."""
    counts: dict[str, ReturnCounts] = {}
    for entry, row in entries:
        if row.duplicate_of is not None or (policy and row.policy != policy) or entry.kind not in KINDS:
            continue
        key = department_key(entry.detail.get("returned_by") or entry.department)
        if entry.kind == REQUESTED:
            if entry.at in period:
                counts.setdefault(key, ReturnCounts()).returns += 1
            continue
        requested_at = _requested_at(entry)
        if requested_at is None or requested_at not in period:
            continue
        c = counts.setdefault(key, ReturnCounts())
        c.reviewed += 1
        c.approved += entry.kind == APPROVED
        c.review_hours_total += (entry.at - requested_at).total_seconds() / 3600
    return counts
