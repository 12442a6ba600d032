"""The dashboard's periods: ranges of local dates in Asia/Shanghai, both ends included, running from 00:00 of the
first day to 00:00 of the day after the last (that end excluded); and the end of the next working day, the limit of
"due within one working day". Pure: ``now`` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.calendar import SHANGHAI, WorkingCalendar


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
