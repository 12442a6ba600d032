"""Civil Code arts. 201–203 deadline arithmetic in Asia/Shanghai."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.sla.domain.deadlines import (
    Due,
    NaiveDatetimeError,
    due_instant,
    extend_due,
    is_on_time,
    last_day_of,
    milestone_deadlines,
)
from services.sla.domain.escalation import outcome
from services.sla.domain.policies import load_policies
from services.sla.domain.policy_model import Milestone, Policy
from shared.calendar import SHANGHAI
from tests.sla.helpers import BEYOND, first_weekday_on_or_after

CAL = "calendar_days"
WORK = "working_days"


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=SHANGHAI)


# -- art. 201: the day of receipt is not counted -------------------------------------------------------------------

def test_day_of_receipt_not_counted(calendar):
    # Monday 2026-11-23 + 10 days -> last day Thursday 2026-12-03, ends at its 24:00
    due = due_instant(at("2026-11-23T09:00:00+08:00"), 10, CAL, calendar)
    assert due.last_day == date(2026, 12, 3)
    assert due.due_at == midnight("2026-12-04")
    assert due.calendar_warnings == ()


@pytest.mark.parametrize("clock", ["00:00:00", "08:59:59", "23:59:59.999999"])
def test_time_of_day_of_receipt_does_not_matter(calendar, clock):
    due = due_instant(at(f"2026-11-23T{clock}+08:00"), 10, CAL, calendar)
    assert due.due_at == midnight("2026-12-04")


def test_working_days_also_start_the_day_after_receipt(calendar):
    # received Monday; 5 working days: Tue..Fri, Mon -> ends Monday 2026-11-30 at 24:00
    due = due_instant(at("2026-11-23T09:00:00+08:00"), 5, WORK, calendar)
    assert due.last_day == date(2026, 11, 30)
    assert due.due_at == midnight("2026-12-01")


def test_received_on_a_rest_day_counts_from_the_next_day(calendar):
    # received Saturday 2026-11-21: working days Mon 23 .. Fri 27
    assert due_instant(at("2026-11-21T10:00:00+08:00"), 5, WORK, calendar).last_day == date(2026, 11, 27)
    # calendar days: Sat + 10 = Tue 12-01
    assert due_instant(at("2026-11-21T10:00:00+08:00"), 10, CAL, calendar).last_day == date(2026, 12, 1)


# -- art. 203: last day on a rest day; end at 24:00 -----------------------------------------------------------------

def test_period_ending_on_statutory_holiday_ends_after_the_holiday(calendar):
    # 2026-09-24 + 10 = 2026-10-04, inside National Day (Oct 1–7) -> Thursday Oct 8
    due = due_instant(at("2026-09-24T15:00:00+08:00"), 10, CAL, calendar)
    assert due.last_day == date(2026, 10, 8)
    assert due.due_at == midnight("2026-10-09")


def test_period_ending_on_weekend_moves_to_monday(calendar):
    # Wednesday 2026-11-18 + 10 = Saturday 2026-11-28 -> Monday 2026-11-30
    due = due_instant(at("2026-11-18T10:00:00+08:00"), 10, CAL, calendar)
    assert due.last_day == date(2026, 11, 30)


def test_period_ending_on_adjusted_working_saturday_stays(calendar):
    # 2026-09-30 + 10 = Saturday 2026-10-10, a 调休 working day
    due = due_instant(at("2026-09-30T10:00:00+08:00"), 10, CAL, calendar)
    assert due.last_day == date(2026, 10, 10)


def test_statutory_only_rule_keeps_plain_weekends_but_skips_holiday_blocks(calendar):
    assert due_instant(at("2026-11-18T10:00:00+08:00"), 10, CAL, calendar,
                       rest_day_rule="statutory_only").last_day == date(2026, 11, 28)
    assert due_instant(at("2026-09-24T10:00:00+08:00"), 10, CAL, calendar,
                       rest_day_rule="statutory_only").last_day == date(2026, 10, 8)


def test_on_time_iff_done_by_the_due_instant(calendar):
    due = due_instant(at("2026-11-23T09:00:00+08:00"), 10, CAL, calendar).due_at
    assert is_on_time(due, at("2026-12-03T23:59:59.999999+08:00"))
    assert is_on_time(due, due)  # at 24:00 of the last day exactly
    assert not is_on_time(due, due + timedelta(microseconds=1))
    assert outcome(due, due) == "met"
    assert outcome(due, due + timedelta(microseconds=1)) == "missed"
    assert outcome(due, at("2026-12-03T16:00:00Z")) == "met"  # = 2026-12-04T00:00+08:00
    assert outcome(due, at("2026-12-03T16:00:01Z")) == "missed"


# -- the example from the CLI: financial_service over Golden Week 2026 ---------------------------------------------

def test_financial_service_over_golden_week_2026(calendar):
    # received Wed Sep 30 17:30; Oct 1–7 holidays; Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13
    due = due_instant(at("2026-09-30T17:30:00+08:00"), 5, WORK, calendar)
    assert due.last_day == date(2026, 10, 13)
    assert due.due_at.isoformat() == "2026-10-14T00:00:00+08:00"


def test_spring_festival_2026(calendar):
    # received Fri Feb 13: Sat Feb 14 (调休) then Feb 15–23 holidays, Feb 24..27
    assert due_instant(at("2026-02-13T10:00:00+08:00"), 5, WORK, calendar).last_day == date(2026, 2, 27)
    # 10 days from Feb 10 ends Feb 20, inside the holiday -> Tue Feb 24
    assert due_instant(at("2026-02-10T10:00:00+08:00"), 10, CAL, calendar).last_day == date(2026, 2, 24)
    # 1 day from the 调休 Saturday Feb 14 ends Feb 15 (holiday) -> Feb 24
    assert due_instant(at("2026-02-14T10:00:00+08:00"), 1, CAL, calendar).last_day == date(2026, 2, 24)
    # 1 working day from Feb 27 is the 调休 Saturday Feb 28
    assert due_instant(at("2026-02-27T10:00:00+08:00"), 1, WORK, calendar).last_day == date(2026, 2, 28)


# -- time zones: any offset in, Asia/Shanghai (DST-free) out -------------------------------------------------------

def test_utc_instant_is_read_in_shanghai(calendar):
    # 2026-11-22T17:30Z is 2026-11-23 01:30 in Shanghai: the receipt day is the 23rd, not the 22nd
    assert due_instant(at("2026-11-22T17:30:00Z"), 10, CAL, calendar).last_day == date(2026, 12, 3)
    assert due_instant(at("2026-11-22T15:59:59Z"), 10, CAL, calendar).last_day == date(2026, 12, 2)


def test_foreign_zone_with_dst_is_converted(calendar):
    # New York falls back on 2026-11-01; 2026-11-01T01:30 EST (fold=1) = 06:30Z = 14:30 in Shanghai
    ny = ZoneInfo("America/New_York")
    before = datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=ny)  # EDT, 05:30Z
    after = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ny)  # EST, 06:30Z
    assert due_instant(before, 10, CAL, calendar).last_day == date(2026, 11, 11)
    assert due_instant(after, 10, CAL, calendar).last_day == date(2026, 11, 11)
    # 2026-03-08 is New York's spring-forward day; 20:00 EDT there is 08:00 next day in Shanghai
    assert due_instant(datetime(2026, 3, 8, 20, 0, tzinfo=ny), 1, CAL, calendar).last_day == date(2026, 3, 10)


def test_due_instants_are_plus_eight_all_year(calendar):
    for month in range(1, 13):
        due = due_instant(datetime(2026, month, 10, 12, tzinfo=timezone.utc), 10, CAL, calendar)
        assert due.due_at.tzinfo == SHANGHAI
        assert due.due_at.utcoffset() == timedelta(hours=8)
        assert (due.due_at.hour, due.due_at.minute, due.due_at.second) == (0, 0, 0)


def test_shanghai_days_are_24_hours():
    # DST was last observed in China in 1991; since then every local day is 24h long.
    for month in range(1, 13):
        start = datetime(2026, month, 1, tzinfo=SHANGHAI)
        end = datetime(2026, month, 2, tzinfo=SHANGHAI)
        assert end.astimezone(timezone.utc) - start.astimezone(timezone.utc) == timedelta(hours=24)


def test_naive_received_at_is_rejected(calendar):
    with pytest.raises(NaiveDatetimeError):
        due_instant(datetime(2026, 11, 23, 9), 10, CAL, calendar)


@pytest.mark.parametrize("limit, unit", [(0, CAL), (-1, WORK), (5, "hours"), (True, CAL)])
def test_bad_limit_or_unit(calendar, limit, unit):
    with pytest.raises(ValueError):
        due_instant(at("2026-11-23T09:00:00+08:00"), limit, unit, calendar)


# -- beyond the calendar data --------------------------------------------------------------------------------------

def test_deadline_in_a_year_without_data_is_guessed_loudly(calendar, caplog):
    received = datetime(BEYOND, 3, 2, 10, tzinfo=SHANGHAI)
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        due = due_instant(received, 5, WORK, calendar)
        again = due_instant(received, 5, WORK, calendar)
    assert due.calendar_warnings and str(BEYOND) in due.calendar_warnings[0]
    assert "guessed" in due.calendar_warnings[0]
    assert again == due
    assert len([r for r in caplog.records if r.name == "complaints.calendar"]) == 2  # logged every time
    assert calendar.is_working_day(due.last_day)  # the guess never ends on a Saturday/Sunday
    assert due.last_day.weekday() < 5


def test_deadline_crossing_into_a_year_without_data(calendar):
    # received late December of the last covered year: 5 working days reach into the next year
    received = datetime(BEYOND - 1, 12, 28, 10, tzinfo=SHANGHAI)
    due = due_instant(received, 5, WORK, calendar)
    assert due.last_day.year == BEYOND
    assert len(due.calendar_warnings) == 1 and f"no holiday data for {BEYOND}" in due.calendar_warnings[0]


def test_calendar_period_only_warns_when_its_end_is_guessed(calendar):
    # 10 calendar days from Dec 20 end on Dec 30 of the covered year: nothing to guess
    assert due_instant(datetime(BEYOND - 1, 12, 20, 10, tzinfo=SHANGHAI), 10, CAL, calendar).calendar_warnings == ()
    assert due_instant(datetime(BEYOND - 1, 12, 28, 10, tzinfo=SHANGHAI), 10, CAL, calendar).calendar_warnings


# -- policies ------------------------------------------------------------------------------------------------------

def test_milestone_deadlines_for_shipped_policies(calendar):
    store = load_policies()
    received = at("2026-09-30T17:30:00+08:00")
    fin = milestone_deadlines(store.get("financial_service"), received, calendar)
    assert [(m.name, due.due_at.isoformat()) for m, due in fin] == [("answer", "2026-10-14T00:00:00+08:00")]

    std = milestone_deadlines(store.get("standard"), received, calendar)
    assert [(m.name, due.last_day) for m, due in std] == [("resolution", date(2026, 10, 10))]

    gz = milestone_deadlines(store.get("guizhou"), at("2026-11-23T09:00:00+08:00"), calendar)
    assert [(m.name, due.last_day) for m, due in gz] == [
        ("dispatch", date(2026, 11, 24)),
        ("resolution", date(2026, 11, 30)),  # 23 + 5 = Sat 28 -> Mon 30
    ]
    gz_difficult = milestone_deadlines(store.get("guizhou"), at("2026-11-23T09:00:00+08:00"), calendar,
                                       difficult=True)
    assert [(m.name, due.last_day) for m, due in gz_difficult] == [
        ("dispatch", date(2026, 11, 24)),  # no difficult variant
        ("resolution", date(2026, 12, 8)),  # 23 + 15
    ]

    sx = milestone_deadlines(store.get("shanxi"), at("2026-11-23T09:00:00+08:00"), calendar, difficult=True)
    assert [(m.name, due.last_day) for m, due in sx] == [("contact", date(2026, 11, 24)),
                                                          ("resolution", date(2026, 12, 8))]


def test_difficult_without_variant_keeps_limit(calendar):
    std = load_policies().get("standard")
    received = at("2026-11-23T09:00:00+08:00")
    assert milestone_deadlines(std, received, calendar, difficult=True) == milestone_deadlines(std, received, calendar)


def test_policy_rest_day_rule_is_applied(calendar):
    m = Milestone("resolution", 10, CAL, None, "test")
    weekends = Policy("p", "t", (m,))
    statutory = Policy("p", "t", (m,), rest_day_rule="statutory_only")
    received = at("2026-11-18T10:00:00+08:00")
    assert milestone_deadlines(weekends, received, calendar)[0][1].last_day == date(2026, 11, 30)
    assert milestone_deadlines(statutory, received, calendar)[0][1].last_day == date(2026, 11, 28)


def test_extend_due_counts_from_the_old_last_day(calendar):
    due = due_instant(at("2026-09-24T15:00:00+08:00"), 10, CAL, calendar)  # last day Oct 8
    assert last_day_of(due.due_at) == date(2026, 10, 8)
    extended = extend_due(due.due_at, 5, WORK, calendar)
    assert extended.last_day == date(2026, 10, 14)  # Fri 9, Sat 10 (调休), Mon 12, Tue 13, Wed 14
    assert isinstance(extended, Due)


def test_saturday_receipt_week_math(calendar):
    sat = first_weekday_on_or_after(date(2026, 11, 1), 5)
    due = due_instant(datetime.combine(sat, datetime.min.time(), tzinfo=SHANGHAI), 1, WORK, calendar)
    assert due.last_day == sat + timedelta(days=2)  # Monday
