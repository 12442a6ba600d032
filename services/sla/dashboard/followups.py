"""The follow-up calls (回访) in the dashboard: what a ``complaint.followed_up`` event changes in the projection, and
the figures the calls give.

A complaint's row keeps whether its last answer left a contact to call (``answer_has_contact``, from
``complaint.answered``) and when a call last reached the filer (``followed_up_at``); the last answer is followed up
when such a call came after it. Each call is a timeline entry (kind ``followed_up``) with its outcome, whether the
matter is solved and the rating, for the department whose answer was called about; the period's calls reached give
回访满意率 and 解决率 (``figures.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.events import ComplaintFollowedUpV1

#: The timeline kind of ``complaint.followed_up``.
FOLLOWED_UP = "followed_up"
REACHED = "reached"


def followed_up(row: Any, event: ComplaintFollowedUpV1) -> dict[str, Any]:
    """Apply a call to the complaint's projection row; returns the timeline entry's detail."""
    if event.outcome == REACHED and (row.followed_up_at is None or event.at >= row.followed_up_at):
        row.followed_up_at = event.at
    return {"outcome": event.outcome, "attempt": event.attempt, "final": event.final, "solved": event.solved,
            "rating": event.rating, "answered_at": event.answered_at.isoformat()}


def answer_followed_up(row: Any) -> bool:
    """The last answer in force was followed up: a call reached the filer after it."""
    return bool(row.answered and row.last_answered_at is not None and row.followed_up_at is not None
                and row.followed_up_at >= row.last_answered_at)


@dataclass(frozen=True)
class Call:
    """A call that reached the filer, for the department whose answer it was about."""

    department: str | None
    at: datetime
    solved: bool
    rating: str | None


def calls(entries: Iterable[tuple[Any, Any]]) -> list[Call]:
    """The reached calls among ``followed_up`` timeline entries (each with its complaint's row)."""
    return [Call(event.department, event.at, bool(event.detail.get("solved")), event.detail.get("rating"))
            for event, _row in entries if event.detail.get("outcome") == REACHED]
