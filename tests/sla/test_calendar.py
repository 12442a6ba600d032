"""WorkingCalendar: chinese-calendar data, 调休 days, the override file and loud guesses beyond the data."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pytest

from shared.calendar import (
    DEFAULT_OVERRIDES_PATH,
    SHANGHAI,
    CalendarDataError,
    OverrideYear,
    WorkingCalendar,
    parse_overrides,
)
from tests.sla.helpers import BEYOND, first_weekday_on_or_after


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_shanghai_zone():
    assert str(SHANGHAI) == "Asia/Shanghai"


# -- Golden Week 2026: holidays Oct 1–7, adjusted working days Sun Sep 20 and Sat Oct 10 ----------------------------

@pytest.mark.parametrize("day", [f"2026-10-0{i}" for i in range(1, 8)])
def test_golden_week_2026_days_are_rest_days(calendar, day):
    assert calendar.is_rest_day(d(day))
    assert calendar.is_statutory_holiday(d(day))


@pytest.mark.parametrize("day", ["2026-09-20", "2026-10-10"])
def test_golden_week_2026_adjusted_working_days(calendar, day):
    assert d(day).weekday() >= 5
    assert calendar.is_working_day(d(day))
    assert not calendar.is_statutory_holiday(d(day))


def test_golden_week_2026_walk(calendar):
    assert calendar.next_working_day(d("2026-09-30")) == d("2026-10-08")
    assert calendar.add_working_days(d("2026-09-30"), 3) == d("2026-10-10")  # Oct 8, 9, Sat 10 (调休)
    assert calendar.add_working_days(d("2026-09-30"), 5) == d("2026-10-13")
    assert calendar.previous_working_day(d("2026-10-08")) == d("2026-09-30")


# -- Spring Festival 2026: holidays Feb 15–23, adjusted working days Sat Feb 14 and Sat Feb 28 ----------------------

def test_spring_festival_2026(calendar):
    for i in range(15, 24):
        assert calendar.is_rest_day(date(2026, 2, i)), i
    assert calendar.is_working_day(d("2026-02-14"))
    assert calendar.is_working_day(d("2026-02-28"))
    assert calendar.next_working_day(d("2026-02-14")) == d("2026-02-24")
    assert calendar.add_working_days(d("2026-02-13"), 5) == d("2026-02-27")  # Sat 14, then Feb 24–27


def test_golden_week_2025_is_eight_days(calendar):
    assert [calendar.is_rest_day(date(2025, 10, i)) for i in range(1, 9)] == [True] * 8
    assert calendar.is_working_day(d("2025-09-28")) and calendar.is_working_day(d("2025-10-11"))


def test_ordinary_weekend_and_weekday(calendar):
    assert calendar.is_rest_day(d("2026-11-21"))  # Saturday
    assert calendar.is_rest_day(d("2026-11-22"))  # Sunday
    assert calendar.is_working_day(d("2026-11-23"))  # Monday
    assert not calendar.is_statutory_holiday(d("2026-11-22"))


def test_add_zero_working_days_is_identity_even_on_rest_day(calendar):
    assert calendar.add_working_days(d("2026-10-03"), 0) == d("2026-10-03")


def test_negative_working_days_rejected(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(d("2026-10-03"), -1)


def test_datetime_is_rejected(calendar):
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2026, 10, 1, tzinfo=SHANGHAI))


def test_next_working_day_inclusive(calendar):
    assert calendar.next_working_day(d("2026-11-23"), inclusive=True) == d("2026-11-23")
    assert calendar.next_working_day(d("2026-11-21"), inclusive=True) == d("2026-11-23")


# -- coverage and beyond-the-data --------------------------------------------------------------------------------

def test_known_range_and_covers(calendar):
    first, last = calendar.known_range()
    assert first == date(2004, 1, 1)
    assert last.month == 12 and last.day == 31 and last.year >= 2026
    assert calendar.covers(d("2026-12-31"))
    assert not calendar.covers(date(BEYOND, 1, 1))
    assert not calendar.covers(date(2003, 12, 31))


def test_fixed_date_holidays_are_rest_days_even_beyond_the_data(calendar):
    for month, day in ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)):
        info = calendar.day(date(BEYOND, month, day))
        assert not info.working and info.statutory_holiday and not info.known


def test_beyond_the_data_is_guessed_and_loud(calendar, caplog):
    monday = first_weekday_on_or_after(date(BEYOND, 3, 1), 0)
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        assert calendar.is_working_day(monday)
        assert calendar.is_rest_day(first_weekday_on_or_after(monday, 5))
    records = [r for r in caplog.records if r.name == "complaints.calendar"]
    assert len(records) == 2  # every guess is logged, each time
    assert all(r.levelno == logging.WARNING and str(BEYOND) in r.getMessage() for r in records)
    info = calendar.day(monday)
    assert not info.known and info.source == "guess:weekends-and-fixed-date-holidays"


def test_trace_reports_guessed_dates_without_logging(calendar, caplog):
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        traced = calendar.trace_add_working_days(date(BEYOND - 1, 12, 30), 3)
    assert caplog.records == []
    assert traced.guessed and all(g.year == BEYOND for g in traced.guessed)
    assert calendar.describe_guesses(traced.guessed)[0].startswith(f"no holiday data for {BEYOND}")


def test_covered_dates_do_not_warn(calendar, caplog):
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        calendar.add_working_days(d("2026-09-30"), 5)
    assert caplog.records == []


# -- the override file -----------------------------------------------------------------------------------------

def _override_file(tmp_path, years):
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps({"format": 1, "years": years}, ensure_ascii=False), encoding="utf-8")
    return path


def test_override_year_is_covered_and_used(tmp_path, caplog):
    # Test data only (not a real schedule): one holiday on a Friday and one adjusted working Saturday.
    friday = first_weekday_on_or_after(date(BEYOND, 5, 1), 4)
    saturday = first_weekday_on_or_after(date(BEYOND, 5, 10), 5)
    path = _override_file(tmp_path, {str(BEYOND): {
        "source": "test fixture",
        "holidays": {friday.isoformat(): "test holiday"},
        "workdays": {saturday.isoformat(): "test adjusted working day"},
    }})
    cal = WorkingCalendar.load(path)
    assert cal.covers(date(BEYOND, 7, 1))
    assert cal.known_range()[1] == date(BEYOND, 12, 31)
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        assert cal.is_rest_day(friday)
        assert cal.is_working_day(saturday)
        assert cal.is_rest_day(first_weekday_on_or_after(date(BEYOND, 6, 1), 6))
        assert cal.day(friday).source == f"override:{BEYOND}"
    assert caplog.records == []


def test_override_replaces_library_year(tmp_path):
    path = _override_file(tmp_path, {"2026": {"source": "test fixture", "holidays": {}, "workdays": {}}})
    cal = WorkingCalendar.load(path)
    assert cal.is_working_day(d("2026-10-01"))  # the override year knows no holiday
    assert cal.is_rest_day(d("2026-10-10"))  # nor the 调休 Saturday


def test_non_adjacent_override_year_is_covered_but_not_in_known_range(tmp_path):
    path = _override_file(tmp_path, {str(BEYOND + 3): {"source": "test fixture"}})
    cal = WorkingCalendar.load(path)
    assert cal.covers(date(BEYOND + 3, 6, 1))
    assert not cal.covers(date(BEYOND, 6, 1))
    assert cal.known_range()[1] == date(BEYOND - 1, 12, 31)


@pytest.mark.parametrize(
    "years, message",
    [
        ({"27": {"source": "x"}}, "four digits"),
        ({"2031": {}}, "source"),
        ({"2031": {"source": "x", "holidays": {"2031-02-30": "bad"}}}, "not a YYYY-MM-DD"),
        ({"2031": {"source": "x", "workdays": {"2031-01-06": "Monday"}}}, "weekday"),
        ({"2031": {"source": "x", "holidays": {"2035-01-01": "far"}}}, "not in or next to"),
        ({"2031": {"source": "x", "holidays": {"2031-01-04": "h"}, "workdays": {"2031-01-04": "w"}}}, "twice"),
    ],
)
def test_override_validation(years, message):
    with pytest.raises(CalendarDataError, match=message):
        parse_overrides({"format": 1, "years": years})


def test_override_bad_format_and_missing_explicit_file(tmp_path):
    with pytest.raises(CalendarDataError):
        parse_overrides({"years": {}})
    with pytest.raises(FileNotFoundError):
        WorkingCalendar.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(CalendarDataError):
        WorkingCalendar.load(bad)


def test_shipped_override_file_is_valid_and_every_year_has_a_source():
    raw = json.loads(DEFAULT_OVERRIDES_PATH.read_text(encoding="utf-8"))
    years = parse_overrides(raw)
    assert all(isinstance(y, OverrideYear) and y.source for y in years)
    WorkingCalendar.load()  # loads without error
