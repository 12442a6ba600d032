"""The SLA clocks as the workbench shows them: each milestone's deadline, the time left (in hours and, where the
working-day calendar knows the days, in working days) and whether it is overdue or due within a working day.

The clocks live in the SLA service; intake knows what its events said — the milestones and deadlines of
``clock_opened``, each ``deadline_changed``, the complaint's latest deadline (``due_at``) and ``overdue`` — and the
lifecycle steps that stop a milestone (contacting the filer, answering). This module reads those from the complaint's
history; it computes nothing the SLA service decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.intake.schemas import HistoryItem
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.vocabulary import MILESTONE_NAMES, deadline_text

#: The history entries that stop each milestone's clock.
STOPPED_BY: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"routed", "dispatched"}),
    "contact": frozenset({"contacted"}),
    "answer": frozenset({"answered", "answered_with_original"}),
    "resolution": frozenset({"answered", "answered_with_original"}),
}


@dataclass(frozen=True)
class Clock:
    """One clock: its name (办结时限), deadline as people read it, time left, and ``state``: ``overdue``, ``soon``
    (due within a working day), ``running`` or ``stopped``."""

    name: str
    deadline: str
    left: str
    state: str


def span(delta: timedelta) -> str:
    """A duration as people say it: 3 天 5 小时, 5 小时 20 分钟, 20 分钟."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分钟"
    return f"{minutes} 分钟"


def due_soon_limit(now: datetime, calendar: WorkingCalendar) -> datetime:
    """24:00 of the next working day after today: a deadline before it is due within a working day."""
    today = now.astimezone(SHANGHAI).date()
    if not calendar.covers(today):
        return now + timedelta(days=1)
    next_day = calendar.next_working_day(today)
    return datetime.combine(next_day + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)


def working_days_left(due: datetime, now: datetime, calendar: WorkingCalendar) -> int | None:
    """Working days from today through the deadline's last day (a deadline at 24:00 ends the day before); None when
    the calendar does not know those days."""
    today = now.astimezone(SHANGHAI).date()
    last = (due.astimezone(SHANGHAI) - timedelta(microseconds=1)).date()
    if not (calendar.covers(today) and calendar.covers(last)):
        return None
    return sum(1 for k in range((last - today).days + 1) if calendar.is_working_day(today + timedelta(days=k)))


def time_left(due: datetime, now: datetime, calendar: WorkingCalendar, *, overdue: bool = False) -> tuple[str, str]:
    """(state, text) of a running clock due at ``due``."""
    if overdue or due <= now:
        return "overdue", f"已超期 {span(now - due)}"
    state = "soon" if due <= due_soon_limit(now, calendar) else "running"
    text = f"剩 {span(due - now)}"
    days = working_days_left(due, now, calendar)
    if days is not None:
        today_counts = calendar.is_working_day(now.astimezone(SHANGHAI).date())
        text += f"，{days} 个工作日" + ("（含今天）" if today_counts and days else "")
    return state, text


def clocks(history: list[HistoryItem], due_at: datetime | None, overdue: bool, now: datetime,
           calendar: WorkingCalendar) -> list[Clock]:
    """The complaint's clocks from what its history says (the latest opening, later changes and stops); without a
    clock in the history, its deadline alone."""
    deadlines: dict[str, datetime] = {}
    stopped: set[str] = set()
    for item in history:
        detail: dict[str, Any] = item.detail
        if item.action == "clock_opened":
            deadlines = {m: datetime.fromisoformat(v) for m, v in (detail.get("milestones") or {}).items()}
            stopped = set()
        elif item.action == "deadline_changed" and detail.get("milestone") and detail.get("due_at"):
            deadlines[detail["milestone"]] = datetime.fromisoformat(detail["due_at"])
        for milestone, actions in STOPPED_BY.items():
            if item.action in actions and milestone in deadlines:
                stopped.add(milestone)
    if not deadlines and due_at is not None:
        deadlines = {"resolution": due_at}
    shown = []
    for milestone, due in sorted(deadlines.items(), key=lambda kv: kv[1]):
        if milestone in stopped:
            state, left = "stopped", "已停止计时"
        else:
            state, left = time_left(due, now, calendar, overdue=overdue and due == due_at)
        shown.append(Clock(f"{MILESTONE_NAMES.get(milestone, milestone)}时限", deadline_text(due, now=now), left,
                           state))
    return shown
