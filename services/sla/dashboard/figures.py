"""The supervisors' figures, computed from the projection's complaint rows — pure functions, no clock, no I/O.

Definitions (a *period* is a range of local dates in Asia/Shanghai, both ends included: it runs from 00:00 of its
first day to 00:00 of the day after its last day, that end excluded; ``now`` is passed in):

- **received (受理量)**: complaints whose ``received_at`` falls in the period. Duplicates (重复件, linked to an
  earlier complaint) are left out of every figure.
- **answered (办结量)**: complaints answered now (an answer not followed by a reopening) whose last answer falls in
  the period.
- **按时办结率 (on-time completion)** = answered on time / answered. On time iff the last answer is at or before the
  deadline in force (``answered_at <= due_at``). A deadline is the instant 00:00 of the day after the period's last
  day (the period ends at 24:00, Civil Code art. 203), so an answer exactly at that instant is on time and one a
  minute later is late. A reopened complaint's deadline restarts, and its new answer is judged against it.
- **办结率 (completion)** = of the complaints received in the period, those answered now / received.
- **回访率 (follow-up)** = answered complaints the filer has rated (回访 done) / answered.
- **回访满意率 (satisfaction)** = of the complaints whose first rating falls in the period, those rated 满意 or
  基本满意 / all of them. The first rating judges the first answer: a 不满意 counts against the department even when
  the reopened complaint is later answered to the filer's satisfaction.
- **平均办理时长 (average handling time)** = mean of (last answer − receipt) over the answered complaints, in hours.
- **改派率 (re-route rate)** = complaints received in the period and routed more than once / received and routed,
  counted for the department that was given the complaint first.
- **在办 (open)**: not answered, not closed, not a duplicate — now, whatever the period.
- **即将到期 (due within one working day)**: open, not yet overdue, and ``due_at`` at or before the end (24:00) of
  the next working day after today.
- **超期 (overdue)**: open and ``due_at < now``; 最长超期 is the largest ``now − due_at`` among them.

Answered, received and open figures count for the lead department held now (for an answered complaint: the one that
answered it); complaints not placed yet count under :data:`UNPLACED` (待分派). A rate whose denominator is zero is
``None`` (shown as "—").

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


class Row(Protocol):
    complaint_id: str
    received_at: datetime | None
    department: str | None
    first_department: str | None
    policy: str | None
    due_at: datetime | None
    last_answered_at: datetime | None
    answered: bool
    first_rating: str | None
    first_rated_at: datetime | None
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


def _key(department: str | None) -> str:
    return department or UNPLACED


def summarise(
    rows: Iterable[Row],
    *,
    now: datetime,
    period: Period,
    calendar: WorkingCalendar,
    names: Mapping[str, str],
    policy: str | None = None,
) -> Summary:
    """Every per-department figure of the dashboard (and the county total) for ``period`` as of ``now``."""
    soon = due_soon_limit(now, calendar)
    by_dept: dict[str, DepartmentFigures] = {
        dept: DepartmentFigures(dept, name) for dept, name in names.items()
    }

    def fig(department: str | None) -> DepartmentFigures:
        key = _key(department)
        if key not in by_dept:
            by_dept[key] = DepartmentFigures(key, UNPLACED_NAME if key == UNPLACED else names.get(key, key))
        return by_dept[key]

    for row in rows:
        if row.duplicate_of is not None or row.received_at is None:
            continue
        if policy and row.policy != policy:
            continue
        f = fig(row.department)
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
            f.rated += row.first_rated_at is not None
        if row.first_rating and row.first_rated_at in period:
            f.ratings += 1
            f.satisfied += row.first_rating in SATISFIED_RATINGS

    departments = [f.finish() for f in by_dept.values()]
    total = DepartmentFigures("total", "全县合计")
    for f in departments:
        for name in ("received", "open", "due_soon", "overdue", "answered", "answered_on_time", "received_answered",
                     "rated", "ratings", "satisfied", "routed", "rerouted", "handling_hours_total"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
        total.overdue_max_hours = max(total.overdue_max_hours, f.overdue_max_hours)
    total.finish()
    # Keep the catalog order, with departments that have nothing at the end of none; the unplaced row last.
    order = {dept: i for i, dept in enumerate(names)}
    departments.sort(key=lambda f: (f.department == UNPLACED, order.get(f.department, len(order))))
    departments = [f for f in departments if f.department in names or f.received or f.open or f.answered]
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
        key = _key(row.department)
        if department and key != department:
            continue
        items.append(OverdueItem(
            complaint_id=row.complaint_id, tracking_number=row.tracking_number, title=row.title, department=key,
            department_name=UNPLACED_NAME if key == UNPLACED else names.get(key, key), policy=row.policy,
            status=row.status, received_at=row.received_at, due_at=row.due_at,
            overdue_hours=(now - row.due_at).total_seconds() / 3600, escalation_level=row.escalation_level,
            reopened_count=row.reopened_count,
        ))
    items.sort(key=lambda i: i.due_at)
    return items[:limit]
