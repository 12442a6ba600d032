"""Deadline arithmetic for SLA periods, per the Civil Code (民法典) arts. 201–203, in Asia/Shanghai.

The rules and how they are read here:

* **Art. 201 — the day of receipt is not counted.** The received instant (any UTC offset; naive datetimes are
  rejected) is converted to Asia/Shanghai and only its local date matters: counting starts the next day.
* **Art. 203 ¶2 — a period ends at 24:00 of its last day.** The due instant is represented as the *exclusive* end
  instant 00:00 of the day after the last day, Asia/Shanghai (``+08:00``; China has no daylight saving time since
  1991, so every local day is exactly 24 hours). A milestone done at exactly the due instant is on time:
  on time iff ``done_at <= due_at``.
* **Calendar-day periods (N 日/天).** The last day is the receipt date + N.
* **Art. 203 ¶1 — a period whose last day is a 法定休假日 ends on the day after the 法定休假日.** Following the judicial
  interpretation that 法定休假日 includes the weekly rest days (双休日), a last day that is a rest day — a statutory
  holiday, or a Saturday/Sunday that is not an adjusted working day (调休) — moves to the next working day
  (rule ``statutory_and_weekends``, the default :data:`DEFAULT_REST_DAY_RULE`). A policy may choose
  ``statutory_only``: only a statutory holiday block moves the last day, to the day after the block.
* **Working-day periods (N 个工作日).** The last day is the N-th working day counted from the day after receipt
  (weekends and statutory holidays skipped, 调休 working days included). It is a working day by construction.

Holiday data comes from :class:`shared.calendar.WorkingCalendar`. When a computation depends on a date the calendar
has no data for, the date is guessed (weekends and fixed-date holidays only) and the result says so: ``Due.calendar_warnings`` lists the
guessed years/dates, and each warning is logged (``logging.warning``, logger ``complaints.calendar``) every time.

Pure functions: no clock, no I/O.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.sla.domain.policy_model import (
    DEFAULT_REST_DAY_RULE,
    REST_DAY_RULES,
    REST_DAYS_STATUTORY_AND_WEEKENDS,
    UNITS,
    WORKING_DAYS,
    Milestone,
    Policy,
)
from shared.calendar import SHANGHAI, WorkingCalendar

log = logging.getLogger("complaints.calendar")

_ONE_DAY = timedelta(days=1)
_TINY = timedelta(microseconds=1)
#: Safety bound when walking across a statutory holiday block.
_MAX_HOLIDAY_BLOCK = 60


class NaiveDatetimeError(ValueError):
    """A datetime without a UTC offset; the instant it means is unknown."""


@dataclass(frozen=True)
class Due:
    due_at: datetime  # aware, Asia/Shanghai, exclusive end instant (00:00 of the day after the last day)
    calendar_warnings: tuple[str, ...] = ()
    last_day: date | None = None  # the period's last (local) day; due_at is the end of it
    limit: int | None = None
    unit: str | None = None

    @property
    def guessed(self) -> bool:
        return bool(self.calendar_warnings)


def to_shanghai(instant: datetime) -> datetime:
    """The same instant in Asia/Shanghai; naive datetimes are rejected."""
    if not isinstance(instant, datetime):
        raise TypeError(f"expected an aware datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveDatetimeError(f"{instant.isoformat()} has no UTC offset; give the instant with its offset")
    return instant.astimezone(SHANGHAI)


def local_date(instant: datetime) -> date:
    """The Asia/Shanghai date of an aware instant."""
    return to_shanghai(instant).date()


def end_of_day(d: date) -> datetime:
    """24:00 of local day ``d``, as the exclusive instant 00:00 of the next day in Asia/Shanghai."""
    return datetime.combine(d + _ONE_DAY, time(0), tzinfo=SHANGHAI)


def start_of_day(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=SHANGHAI)


def last_day_of(due_at: datetime) -> date:
    """The local day a due instant closes (the day before a midnight ``due_at``)."""
    return (to_shanghai(due_at) - _TINY).date()


def period_last_day(
    start: date,
    limit: int,
    unit: str,
    calendar: WorkingCalendar,
    *,
    rest_day_rule: str = DEFAULT_REST_DAY_RULE,
) -> tuple[date, tuple[date, ...]]:
    """The last day of a period of ``limit`` ``unit`` that starts counting the day after ``start``.

    Returns the day and the dates whose classification had to be guessed on the way.
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if rest_day_rule not in REST_DAY_RULES:
        raise ValueError(f"rest_day_rule must be one of {REST_DAY_RULES}, got {rest_day_rule!r}")

    if unit == WORKING_DAYS:
        traced = calendar.trace_add_working_days(start, limit)
        return traced.date, traced.guessed

    last = start + timedelta(days=limit)
    if rest_day_rule == REST_DAYS_STATUTORY_AND_WEEKENDS:
        traced = calendar.trace_next_working_day(last, inclusive=True)
        return traced.date, traced.guessed
    guessed: list[date] = []
    for _ in range(_MAX_HOLIDAY_BLOCK):
        info = calendar.day(last)
        if not info.known:
            guessed.append(last)
        if not info.statutory_holiday:
            return last, tuple(guessed)
        last += _ONE_DAY
    raise ValueError(f"statutory holiday block longer than {_MAX_HOLIDAY_BLOCK} days at {last}: check the data")


def _due(last: date, guessed: tuple[date, ...], limit: int, unit: str, calendar: WorkingCalendar) -> Due:
    warnings = calendar.describe_guesses(guessed)
    for line in warnings:
        log.warning("%s", line)
    return Due(due_at=end_of_day(last), calendar_warnings=warnings, last_day=last, limit=limit, unit=unit)


def due_instant(
    received_at: datetime,
    limit: int,
    unit: str,
    calendar: WorkingCalendar,
    *,
    rest_day_rule: str = DEFAULT_REST_DAY_RULE,
) -> Due:
    """The due instant of a period of ``limit`` ``unit`` ("calendar_days" | "working_days") from ``received_at``."""
    start = local_date(received_at)
    last, guessed = period_last_day(start, limit, unit, calendar, rest_day_rule=rest_day_rule)
    return _due(last, guessed, limit, unit, calendar)


def extend_due(
    due_at: datetime,
    extra: int,
    unit: str,
    calendar: WorkingCalendar,
    *,
    rest_day_rule: str = DEFAULT_REST_DAY_RULE,
) -> Due:
    """A deadline extended by ``extra`` ``unit``: a new period counted from the day after the old last day."""
    last, guessed = period_last_day(last_day_of(due_at), extra, unit, calendar, rest_day_rule=rest_day_rule)
    return _due(last, guessed, extra, unit, calendar)


def milestone_due(
    milestone: Milestone,
    received_at: datetime,
    calendar: WorkingCalendar,
    *,
    difficult: bool = False,
    rest_day_rule: str = DEFAULT_REST_DAY_RULE,
) -> Due:
    return due_instant(
        received_at, milestone.limit_for(difficult), milestone.unit, calendar, rest_day_rule=rest_day_rule
    )


def milestone_deadlines(
    policy: Policy,
    received_at: datetime,
    calendar: WorkingCalendar,
    *,
    difficult: bool = False,
) -> list[tuple[Milestone, Due]]:
    """Every milestone of ``policy`` with its due instant, in the policy's order.

    ``difficult`` applies each milestone's ``difficult_limit`` where it has one (a complaint a handler or
    supervisor marked 疑难); milestones without a difficult variant keep their limit.
    """
    return [
        (m, milestone_due(m, received_at, calendar, difficult=difficult, rest_day_rule=policy.rest_day_rule))
        for m in policy.milestones
    ]


def is_on_time(due_at: datetime, done_at: datetime) -> bool:
    """On time iff done at or before the due instant (the period includes all of its last day)."""
    return to_shanghai(done_at) <= to_shanghai(due_at)
