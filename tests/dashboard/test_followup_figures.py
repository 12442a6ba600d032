"""The follow-up figures (回访率, 回访满意率, 解决率) as pure functions of projection rows and calls: only answers with a
contact are in 回访率's denominator, a call about an answer a reopening undid does not follow up the new one, and
every call reached in the period counts for the department whose answer it was about."""

from __future__ import annotations

from services.sla.dashboard.figures import summarise
from services.sla.dashboard.followups import Call
from services.sla.dashboard.periods import Period
from services.sla.dashboard.projection import ReportComplaint
from shared.calendar import WorkingCalendar
from tests.dashboard.helpers import sh

NOW = sh("2026-03-20 10:00")
PERIOD = Period(NOW.date().replace(day=1), NOW.date())
NAMES = {"power": "供电局", "market": "市场监管局"}


def answered(cid: str, department: str, at: str, *, contact: bool | None, followed: str | None = None
             ) -> ReportComplaint:
    return ReportComplaint(
        complaint_id=cid, received_at=sh("2026-03-02 09:00"), status="answered", department=department,
        routed_count=1, first_department=department, answered=True, last_answered_at=sh(at),
        first_answered_at=sh(at), answered_department=department, answer_has_contact=contact,
        followed_up_at=sh(followed) if followed else None, policy="standard",
    )


def test_follow_up_figures_count_by_hand():
    rows = [
        answered("A", "power", "2026-03-05 10:00", contact=True, followed="2026-03-06 09:00"),
        # answered again after a reopening: the call of the first answer does not follow up this one
        answered("B", "power", "2026-03-12 10:00", contact=True, followed="2026-03-06 09:00"),
        answered("C", "power", "2026-03-12 10:00", contact=False),           # anonymous: in neither count
        answered("D", "power", "2026-03-12 10:00", contact=None),            # an answer of an earlier version
        answered("E", "market", "2026-03-13 10:00", contact=True, followed="2026-03-16 09:00"),
    ]
    calls = [
        Call("power", sh("2026-03-06 09:00"), solved=True, rating="satisfied"),
        Call("power", sh("2026-03-06 09:00"), solved=False, rating="dissatisfied"),
        Call("power", sh("2026-03-07 09:00"), solved=False, rating="basically_satisfied"),
        Call("market", sh("2026-03-16 09:00"), solved=True, rating="dissatisfied"),
    ]
    summary = summarise(rows, now=NOW, period=PERIOD, calendar=WorkingCalendar.load(), names=NAMES, reopened=[],
                        calls=calls)
    power, market = summary.departments[:2]
    assert (power.answered, power.with_contact, power.followed_up, power.callback_rate) == (4, 2, 1, 0.5)
    assert (power.calls, power.calls_satisfied, power.calls_solved) == (3, 2, 1)
    assert (power.call_satisfaction_rate, power.solved_rate) == (2 / 3, 1 / 3)
    assert (market.callback_rate, market.call_satisfaction_rate, market.solved_rate) == (1.0, 0.0, 1.0)
    total = summary.total
    assert (total.with_contact, total.followed_up, total.calls, total.calls_satisfied, total.calls_solved) == (
        3, 2, 4, 2, 2)
    # no call and no contact: no rate, not 0%
    empty = summarise([rows[2]], now=NOW, period=PERIOD, calendar=WorkingCalendar.load(), names=NAMES, reopened=[])
    assert (empty.total.callback_rate, empty.total.call_satisfaction_rate, empty.total.solved_rate) == (
        None, None, None)
