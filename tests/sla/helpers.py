"""Helpers shared by the SLA domain tests."""

from __future__ import annotations

from datetime import date, timedelta

from shared.calendar import WorkingCalendar

#: The first year the pinned chinese-calendar has no data for (2027 with 1.11.0); computed, so a newer library
#: version moves the "beyond the data" tests along instead of breaking them.
BEYOND = WorkingCalendar().known_range()[1].year + 1


def first_weekday_on_or_after(d: date, weekday: int) -> date:
    """The first date on or after ``d`` with ``d.weekday() == weekday`` (0 = Monday)."""
    return d + timedelta(days=(weekday - d.weekday()) % 7)
