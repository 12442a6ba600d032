"""The return review's figures from the timeline, counted by hand: returns asked in the period per returning
department, the share of the reviewed ones approved (合理退单率) and the mean review time; a pending return counts in
neither rate, a decision counts with its request's period, and duplicates and returns before reviews existed in none."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from services.sla.dashboard.figures import summarise
from services.sla.dashboard.periods import Period
from services.sla.dashboard.returns import return_counts
from shared.calendar import SHANGHAI, WorkingCalendar


def sh(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


@dataclass
class Entry:
    kind: str
    at: datetime
    department: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Row:
    duplicate_of: str | None = None
    policy: str | None = "standard"


def decision(kind: str, at: str, dept: str, asked: str) -> Entry:
    return Entry(kind, sh(at), dept, {"returned_by": dept, "requested_at": sh(asked).isoformat()})


MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
ENTRIES = [
    (Entry("return_requested", sh("2026-03-02 09:00"), "power"), Row()),
    (decision("returned", "2026-03-02 12:00", "power", "2026-03-02 09:00"), Row()),           # approved in 3 h
    (Entry("return_requested", sh("2026-03-05 09:00"), "power"), Row()),
    (decision("return_rejected", "2026-03-06 09:00", "power", "2026-03-05 09:00"), Row()),    # rejected in 24 h
    (Entry("return_requested", sh("2026-03-09 09:00"), "power"), Row()),                       # still waiting
    (Entry("return_requested", sh("2026-03-31 23:00"), "tax"), Row()),
    (decision("returned", "2026-04-01 01:00", "tax", "2026-03-31 23:00"), Row()),              # decided after March
    (decision("returned", "2026-03-03 10:00", "tax", "2026-02-27 10:00"), Row()),              # asked in February
    (Entry("returned", sh("2026-03-04 10:00"), "market", {"returned_by": "market"}), Row()),   # before reviews
    (Entry("return_requested", sh("2026-03-04 10:00"), "market"), Row(duplicate_of="x")),
    (Entry("return_requested", sh("2026-03-04 11:00"), "finance"), Row(policy="financial_service")),
]


def test_returns_reviewed_and_approved_as_counted_by_hand():
    counts = return_counts(ENTRIES, period=MARCH)
    got = {k: (c.returns, c.reviewed, c.approved, c.review_hours_total) for k, c in counts.items()}
    assert got == {"power": (3, 2, 1, 27.0), "tax": (1, 1, 1, 2.0), "finance": (1, 0, 0, 0.0)}
    assert set(return_counts(ENTRIES, period=MARCH, policy="standard")) == {"power", "tax"}

    summary = summarise([], now=sh("2026-04-02 00:00"), period=MARCH, calendar=WorkingCalendar.load(),
                        names={"power": "供电局", "tax": "税务局", "finance": "金融办"}, reopened=[],
                        returns=return_counts(ENTRIES, period=MARCH, policy="standard"), policy="standard")
    figures = {f.department: f for f in summary.departments}
    assert (figures["power"].return_approval_rate, figures["power"].avg_review_hours) == (0.5, 13.5)
    assert (figures["tax"].return_approval_rate, figures["tax"].avg_review_hours) == (1.0, 2.0)
    assert figures["finance"].returns == 0 and figures["finance"].return_approval_rate is None
    total = summary.total
    assert (total.returns, total.returns_reviewed, total.returns_approved) == (4, 3, 2)
    assert total.return_approval_rate == pytest.approx(2 / 3) and total.avg_review_hours == pytest.approx(29 / 3)
