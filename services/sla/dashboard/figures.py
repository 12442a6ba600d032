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
- **回访率 (follow-up)** = those whose last answer the filer has rated (a rating at or after it) / answered. A rating
  of an earlier answer, undone by the reopening it caused, does not follow up the new one.

*Rated in the period* — the filers' 回访 ratings and what they caused:

- **回访满意率 (satisfaction)** = of the ratings that judge a department's answer and fall in the period, those 满意 or
  基本满意 / all of them. A rating judges the answer of the department that answered last before it. A complaint's
  first rating of a department's answers is the one that judges that department: a 不满意 counts against it even
  when it answers the reopened complaint to the filer's satisfaction. When the reopened complaint is returned and
  another department answers it, the filer's rating of that answer judges the other department.
- **重办 (reopened)**: reopenings in the period (不满意重办: the filer rated the answer 不满意 and the complaint was
  handled again), counted for the department whose answer was rated 不满意 — the lead department of the reopening
  event. :func:`reopened_list` lists them (:class:`ReopenedItem`), and the count is taken from that list.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from shared.calendar import SHANGHAI, WorkingCalendar

UNPLACED = "unplaced"
UNPLACED_NAME = "待分派"
SATISFIED_RATINGS = frozenset({"satisfied", "basically_satisfied"})


#: Statuses in which no department holds a complaint: it waits for a routing decision or for the dispatcher.
UNHELD_STATUSES = frozenset({"received", "triage", "rerouting"})


class Row(Protocol):
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


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive end: 00:00 of the day after the last day."""
        return local_midnight(self.last + timedelta(days=1))

    def __contains__(self, instant: object) -> bool:
        return isinstance(instant, datetime) and self.start <= instant < self.end

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def local_date(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


def default_period(now: datetime, days: int = 30) -> Period:
    today = local_date(now)
    return Period(today - timedelta(days=days - 1), today)


def due_soon_limit(now: datetime, calendar: WorkingCalendar) -> datetime:
    """End (24:00) of the next working day after today: deadlines up to this instant are due within a working day."""
    next_day = calendar.next_working_day(local_date(now))
    return local_midnight(next_day + timedelta(days=1))


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

    def finish(self) -> "DepartmentFigures":
        self.on_time_rate = ratio(self.answered_on_time, self.answered)
        self.completion_rate = ratio(self.received_answered, self.received)
        self.follow_up_rate = ratio(self.rated, self.answered)
        self.satisfaction_rate = ratio(self.satisfied, self.ratings)
        self.avg_handling_hours = self.handling_hours_total / self.answered if self.answered else None
        self.reroute_rate = ratio(self.rerouted, self.routed)
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


def _key(department: str | None) -> str:
    return department or UNPLACED


def department_name(key: str | None, names: Mapping[str, str]) -> str:
    """The name a department's figures go under: the catalog's, 待分派 for :data:`UNPLACED` (or none)."""
    return UNPLACED_NAME if key in (None, UNPLACED) else names.get(key, key)


def summarise(
    rows: Iterable[Row],
    *,
    now: datetime,
    period: Period,
    calendar: WorkingCalendar,
    names: Mapping[str, str],
    reopened: Iterable[ReopenedItem],
    policy: str | None = None,
) -> Summary:
    """Every per-department figure of the dashboard (and the county total) for ``period`` as of ``now``; ``reopened``
    is :func:`reopened_list` of the same period and policy (the 重办 count is its length per department)."""
    soon = due_soon_limit(now, calendar)
    by_dept: dict[str, DepartmentFigures] = {
        dept: DepartmentFigures(dept, name) for dept, name in names.items()
    }

    def fig(department: str | None) -> DepartmentFigures:
        key = _key(department)
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
        for department, rating, rated_at in judged(row):
            if rated_at in period:
                judged_dept = fig(department)
                judged_dept.ratings += 1
                judged_dept.satisfied += rating in SATISFIED_RATINGS
    for item in reopened:
        fig(item.department).reopened += 1

    departments = [f.finish() for f in by_dept.values()]
    total = DepartmentFigures("total", "全县合计")
    for f in departments:
        for name in ("received", "open", "due_soon", "overdue", "answered", "answered_on_time", "received_answered",
                     "rated", "ratings", "satisfied", "routed", "rerouted", "reopened", "handling_hours_total"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        total.overdue_max_hours = max(total.overdue_max_hours, f.overdue_max_hours)
    total.finish()
    # Keep the catalog order, with departments that have nothing at the end of none; the unplaced row last.
    order = {dept: i for i, dept in enumerate(names)}
    departments.sort(key=lambda f: (f.department == UNPLACED, order.get(f.department, len(order))))
    departments = [f for f in departments
                   if f.department in names or f.received or f.open or f.answered or f.reopened]
    return Summary(now, period, policy, departments, total, soon)


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
        key = _key(holder(row))
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
        key = _key(event.department)
        if department and key != department:
            continue
        items.append(ReopenedItem(
            complaint_id=row.complaint_id, tracking_number=row.tracking_number, title=row.title, department=key,
            department_name=department_name(key, names), reopened_at=event.at,
            reason=event.detail.get("reason"), status=row.status, policy=row.policy,
        ))
    items.sort(key=lambda i: (i.reopened_at, i.complaint_id), reverse=True)
    return items
