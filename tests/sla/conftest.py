"""Fixtures for the SLA domain tests (library calendar data only; no files outside the repository)."""

from __future__ import annotations

import pytest

from shared.calendar import WorkingCalendar


@pytest.fixture
def calendar() -> WorkingCalendar:
    """chinese-calendar data only, no override file."""
    return WorkingCalendar()
