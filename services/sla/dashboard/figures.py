"""The supervisors' figures, computed from the projection's complaint rows — pure functions, no clock, no I/O.

Definitions (a *period* is a range of local dates in Asia/Shanghai, both ends included: it runs from 00:00 of its
first day to 00:00 of the day after its last day, that end excluded; ``now`` is passed in). Each figure counts one
population, and the page groups its columns by it, so that no row reads as more done than filed:

*Now* — whatever the period:

- **在办 (open)**: not answered, not closed, not a duplicate.
- **即将到期 (due within one working day)**: open, not yet overdue, and ``due_at`` at or before the end (24:00) of
  the next working day after today.
- **超期 (overdue)**: open and ``due_at < now``; 最长超期 is the largest ``now − due_at`` among them.

*Filed in the period* — complaints whose ``received_at`` falls in it:

- **received (登记量)**: their number. Duplicates (重复件, linked to an earlier complaint) are left out of every
  figure.
- **received_answered (其中已办结)**: those of them answered now — a part of the received, never more.
- **办结率 (completion)** = received_answered / received: of the complaints received in the period, the share
  answered now. Numerator and denominator count the same complaints for the same department, so it never exceeds
  100%.
- **改派率 (re-route rate)** = those routed more than once / those routed, counted for the department that was given
  the complaint first (routed: placed by the router or a dispatcher; a complaint returned and waiting for the
  dispatcher is re-routed once the dispatcher places it). Its denominator is the complaints a department was given
  first, whoever holds them now.

*Answered in the period* — complaints answered now (an answer not followed by a reopening) whose last answer falls
in it, received in the period or before it (so a department may answer more than it received):

- **answered (办结量)**: their number.
- **按时办结率 (on-time completion)** = answered on time / answered. On time iff the last answer is at or before the
  deadline in force (``answered_at <= due_at``). A deadline is the instant 00:00 of the day after the period's last
  day (the period ends at 24:00, Civil Code art. 203), so an answer exactly at that instant is on time and one a
  minute later is late. A reopened complaint's deadline restarts, and its new answer is judged against it — also
  when another department gives it (re-routing keeps the complaint's deadline).
- **平均办理时长 (average handling time)** = mean of (last answer − receipt) over them, in hours.
- **评价率 (rated)** = those whose last answer the filer has rated (a rating at or after it) / answered. A rating
  of an earlier answer, undone by the reopening it caused, does not follow up the new one.
- **回访率 (follow-up)** = followed up / answered with a contact: of the answered whose last answer left a contact to
  call back (``complaint.answered`` ``has_contact``), those whose last answer a follow-up call reached the filer
  after (the center's 回访员, ``followups.py``). An anonymous caller's answer is not in the denominator.

*Called in the period* — the follow-up calls (回访) that reached the filer, for the department whose answer was
called about:

- **回访满意率 (follow-up satisfaction)** = calls rated 满意 or 基本满意 / calls.
- **解决率 (solved)** = calls on which the filer said the matter is solved / calls.

*Rated in the period* — the filers' ratings (their own, or given by phone to the follow-up staff while the complaint
waited for one) and what they caused:

- **评价满意率 (satisfaction)** = of the ratings that judge a department's answer and fall in the period, those 满意 or
  基本满意 / all of them. A rating judges the answer of the department that answered last before it. A complaint's
  first rating of a department's answers is the one that judges that department: a 不满意 counts against it even
  when it answers the reopened complaint to the filer's satisfaction. When the reopened complaint is returned and
  another department answers it, the filer's rating of that answer judges the other department.
- **重办 (reopened)**: reopenings in the period (不满意重办: the filer rated the answer 不满意 and the complaint was
  handled again), counted for the department whose answer was rated 不满意 — the lead department of the reopening
  event. :func:`reopened_list` lists them (:class:`ReopenedItem`), and the count is taken from that list.

*Returns asked in the period* — 退回, 合理退单率 and 平均审核时长, for the department that asked to return the
complaint: defined in ``returns.py``.

Each figure counts for the department it is about. A complaint — received, answered (with on time, completion,
follow-up and handling time), open, due soon, overdue — counts for the department that holds it now (:func:`holder`):
for an answered complaint the one that gave its last answer, else the lead department of intake's status. A complaint
no department holds — not placed yet, or returned or dispatched and waiting for the router's new decision or for the
dispatcher (``received``, ``triage``, ``rerouting``) — counts under :data:`UNPLACED` (待分派). A rating and a
reopening count for the department whose answer was rated, a re-routing for the department given the complaint
first. The county total adds up the departments' counts. A rate whose denominator is zero is ``None`` (shown as
"—").

The trend gives for each day of the period: received that day, answered that day (last answer), and overdue at the
end of that day (or at ``now`` for today): received before it, past its current deadline, and neither answered nor
closed by then.

This module computes the per-department figures (:func:`summarise`); the periods are in ``periods.py``, what a row
says (open, overdue, who holds it) in ``rows.py``, the trend in ``trend.py`` and the overdue and reopened lists in
``worklists.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from services.sla.dashboard.followups import Call, answer_followed_up
from services.sla.dashboard.periods import Period, due_soon_limit
from services.sla.dashboard.returns import ReturnCounts
from services.sla.dashboard.rows import (
    UNPLACED,
    Row,
    department_key,
    department_name,
    follow_up_done,
    holder,
    is_open,
    judged,
    on_time,
)
from services.sla.dashboard.worklists import ReopenedItem
from shared.calendar import WorkingCalendar

SATISFIED_RATINGS = frozenset({"satisfied", "basically_satisfied"})


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class DepartmentFigures:
    department: str
    name: str
    received: int = 0
    open: int = 0
    due_soon: int = 0
    overdue: int = 0
    #: Largest overdue duration among the open complaints, in hours (0 when none is overdue).
    overdue_max_hours: float = 0.0
    answered: int = 0
    answered_on_time: int = 0
    received_answered: int = 0
    rated: int = 0
    ratings: int = 0
    satisfied: int = 0
    routed: int = 0
    rerouted: int = 0
    reopened: int = 0
    handling_hours_total: float = 0.0
    on_time_rate: float | None = None
    completion_rate: float | None = None
    follow_up_rate: float | None = None
    satisfaction_rate: float | None = None
    avg_handling_hours: float | None = None
    reroute_rate: float | None = None
    #: 回访 by the center's follow-up staff: answered with a contact, and of them followed up; calls reached in the
    #: period, of them 满意 or 基本满意, and solved.
    with_contact: int = 0
    followed_up: int = 0
    calls: int = 0
    calls_satisfied: int = 0
    calls_solved: int = 0
    callback_rate: float | None = None
    call_satisfaction_rate: float | None = None
    solved_rate: float | None = None
    #: Returns asked in the period and their review (``returns.py``).
    returns: int = 0
    returns_reviewed: int = 0
    returns_approved: int = 0
    review_hours_total: float = 0.0
    return_approval_rate: float | None = None
    avg_review_hours: float | None = None

    def finish(self) -> "DepartmentFigures":
        self.on_time_rate = ratio(self.answered_on_time, self.answered)
        self.completion_rate = ratio(self.received_answered, self.received)
        self.follow_up_rate = ratio(self.rated, self.answered)
        self.satisfaction_rate = ratio(self.satisfied, self.ratings)
        self.avg_handling_hours = self.handling_hours_total / self.answered if self.answered else None
        self.reroute_rate = ratio(self.rerouted, self.routed)
        self.callback_rate = ratio(self.followed_up, self.with_contact)
        self.call_satisfaction_rate = ratio(self.calls_satisfied, self.calls)
        self.solved_rate = ratio(self.calls_solved, self.calls)
        self.return_approval_rate = ratio(self.returns_approved, self.returns_reviewed)
        self.avg_review_hours = self.review_hours_total / self.returns_reviewed if self.returns_reviewed else None
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Summary:
    now: datetime
    period: Period
    policy: str | None
    departments: list[DepartmentFigures]
    total: DepartmentFigures
    due_soon_until: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "period": {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()},
            "policy": self.policy,
            "due_soon_until": self.due_soon_until.isoformat(),
            "departments": [d.as_dict() for d in self.departments],
            "total": self.total.as_dict(),
        }


def summarise(
    rows: Iterable[Row],
    *,
    now: datetime,
    period: Period,
    calendar: WorkingCalendar,
    names: Mapping[str, str],
    reopened: Iterable[ReopenedItem],
    policy: str | None = None,
    calls: Iterable[Call] = (),
    returns: Mapping[str, ReturnCounts] | None = None,
) -> Summary:
    """Every per-department figure of the dashboard (and the county total) for ``period`` as of ``now``; ``reopened``
    is :func:`reopened_list` of the same period and policy (the 重办 count is its length per department), ``returns``
    the period's :func:`returns.return_counts`."""
    soon = due_soon_limit(now, calendar)
    by_dept: dict[str, DepartmentFigures] = {
        dept: DepartmentFigures(dept, name) for dept, name in names.items()
    }

    def fig(department: str | None) -> DepartmentFigures:
        key = department_key(department)
        if key not in by_dept:
            by_dept[key] = DepartmentFigures(key, department_name(key, names))
        return by_dept[key]

    for row in rows:
        if row.duplicate_of is not None or row.received_at is None:
            continue
        if policy and row.policy != policy:
            continue
        f = fig(holder(row))
        if row.received_at in period:
            f.received += 1
            if row.answered:
                f.received_answered += 1
            if row.routed_count >= 1:
                first = fig(row.first_department or row.department)
                first.routed += 1
                if row.routed_count >= 2:
                    first.rerouted += 1
        if is_open(row):
            f.open += 1
            if row.due_at is not None:
                if row.due_at < now:
                    f.overdue += 1
                    f.overdue_max_hours = max(f.overdue_max_hours, (now - row.due_at).total_seconds() / 3600)
                elif row.due_at <= soon:
                    f.due_soon += 1
        if row.answered and row.last_answered_at is not None and row.last_answered_at in period:
            f.answered += 1
            f.answered_on_time += on_time(row)
            f.handling_hours_total += (row.last_answered_at - row.received_at).total_seconds() / 3600
            f.rated += follow_up_done(row)
            if row.answer_has_contact:
                f.with_contact += 1
                f.followed_up += answer_followed_up(row)
        for department, rating, rated_at in judged(row):
            if rated_at in period:
                judged_dept = fig(department)
                judged_dept.ratings += 1
                judged_dept.satisfied += rating in SATISFIED_RATINGS
    for item in reopened:
        fig(item.department).reopened += 1
    for call in calls:
        called = fig(call.department)
        called.calls += 1
        called.calls_satisfied += call.rating in SATISFIED_RATINGS
        called.calls_solved += call.solved
    for department, counts in (returns or {}).items():
        f = fig(department)
        f.returns, f.returns_reviewed, f.returns_approved = counts.returns, counts.reviewed, counts.approved
        f.review_hours_total = counts.review_hours_total

    departments = [f.finish() for f in by_dept.values()]
    total = DepartmentFigures("total", "全县合计")
    for f in departments:
        for name in ("received", "open", "due_soon", "overdue", "answered", "answered_on_time", "received_answered",
                     "rated", "ratings", "satisfied", "routed", "rerouted", "reopened", "handling_hours_total",
                     "with_contact", "followed_up", "calls", "calls_satisfied", "calls_solved",
                     "returns", "returns_reviewed", "returns_approved", "review_hours_total"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        total.overdue_max_hours = max(total.overdue_max_hours, f.overdue_max_hours)
    total.finish()
    # Keep the catalog order, with departments that have nothing at the end of none; the unplaced row last.
    order = {dept: i for i, dept in enumerate(names)}
    departments.sort(key=lambda f: (f.department == UNPLACED, order.get(f.department, len(order))))
    departments = [f for f in departments
                   if f.department in names or f.received or f.open or f.answered or f.reopened or f.calls
                   or f.returns]
    return Summary(now, period, policy, departments, total, soon)
