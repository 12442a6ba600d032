"""Property-based checks of the deadline arithmetic and the escalation schedule (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.sla.domain.deadlines import due_instant, last_day_of, local_date
from services.sla.domain.escalation import schedule, step_at
from services.sla.domain.policy_model import EscalationLevel, Milestone
from shared.calendar import SHANGHAI, WorkingCalendar
from tests.sla.helpers import BEYOND

CAL = WorkingCalendar()  # library data only
ZONES = [timezone.utc, SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("Europe/London"),
         ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Chatham"), timezone(timedelta(hours=-11))]

# receipts across the covered years and into the first year without data
received_st = st.datetimes(
    min_value=datetime(2004, 1, 2), max_value=datetime(BEYOND, 12, 1), timezones=st.sampled_from(ZONES)
)
covered_received_st = st.datetimes(
    min_value=datetime(2004, 1, 2), max_value=datetime(BEYOND - 1, 11, 30), timezones=st.sampled_from(ZONES)
)
limit_st = st.integers(min_value=1, max_value=30)
unit_st = st.sampled_from(["calendar_days", "working_days"])
day_st = st.dates(min_value=date(2004, 1, 1), max_value=date(BEYOND, 10, 1))

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(received=received_st, limit=limit_st)
def test_working_day_deadline_is_never_a_non_working_day(received, limit):
    due = due_instant(received, limit, "working_days", CAL)
    assert CAL.day(due.last_day).working
    assert due.due_at == datetime.combine(due.last_day + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)


@SETTINGS
@given(received=received_st, limit=limit_st)
def test_calendar_day_deadline_never_ends_on_a_rest_day(received, limit):
    due = due_instant(received, limit, "calendar_days", CAL)
    assert CAL.day(due.last_day).working
    assert due.last_day >= local_date(received) + timedelta(days=limit)
    # the moved end is the first working day on or after the nominal last day
    nominal = local_date(received) + timedelta(days=limit)
    assert all(not CAL.day(nominal + timedelta(days=i)).working for i in range((due.last_day - nominal).days))


@SETTINGS
@given(a=received_st, b=received_st, limit=limit_st, unit=unit_st)
def test_deadline_is_monotonic_in_receipt_time(a, b, limit, unit):
    first, second = sorted([a, b])
    assert due_instant(first, limit, unit, CAL).due_at <= due_instant(second, limit, unit, CAL).due_at


@SETTINGS
@given(received=received_st, limit=limit_st, unit=unit_st)
def test_deadline_is_never_before_receipt(received, limit, unit):
    due = due_instant(received, limit, unit, CAL)
    assert due.due_at > received
    assert due.due_at - received > timedelta(days=limit)  # a whole N days after the receipt day at least
    assert due.due_at.utcoffset() == timedelta(hours=8)


@SETTINGS
@given(received=received_st, limit=limit_st)
def test_longer_limit_is_never_earlier(received, limit):
    for unit in ("calendar_days", "working_days"):
        assert due_instant(received, limit, unit, CAL).due_at <= due_instant(received, limit + 1, unit, CAL).due_at


@SETTINGS
@given(received=received_st, limit=limit_st)
def test_n_calendar_days_never_end_after_n_working_days(received, limit):
    # why the provincial 5-day rules are at least as strict as 5 working days
    cal = due_instant(received, limit, "calendar_days", CAL).due_at
    work = due_instant(received, limit, "working_days", CAL).due_at
    assert cal <= work


@SETTINGS
@given(day=day_st, m=st.integers(0, 40), n=st.integers(0, 40))
def test_adding_m_then_n_working_days_equals_adding_m_plus_n(day, m, n):
    assert CAL.add_working_days(CAL.add_working_days(day, m), n) == CAL.add_working_days(day, m + n)


@SETTINGS
@given(day=day_st, n=st.integers(1, 60))
def test_add_working_days_counts_exactly_n_working_days(day, n):
    end = CAL.add_working_days(day, n)
    between = [day + timedelta(days=i) for i in range(1, (end - day).days + 1)]
    assert sum(CAL.day(x).working for x in between) == n
    assert CAL.day(end).working


@SETTINGS
@given(received=received_st, limit=limit_st, unit=unit_st)
def test_instant_and_its_shanghai_form_give_the_same_deadline(received, limit, unit):
    assert due_instant(received, limit, unit, CAL) == due_instant(received.astimezone(SHANGHAI), limit, unit, CAL)


@SETTINGS
@given(received=received_st, limit=limit_st, unit=unit_st)
def test_warnings_exactly_when_an_uncovered_date_decided_the_answer(received, limit, unit):
    due = due_instant(received, limit, unit, CAL)
    if due.calendar_warnings:
        assert due.last_day.year >= BEYOND
    if due.last_day.year < BEYOND:
        assert due.calendar_warnings == ()


milestone_st = st.builds(
    Milestone,
    name=st.just("m"),
    limit=limit_st,
    unit=unit_st,
    difficult_limit=st.none(),
    source=st.just("test"),
    warn_fractions=st.lists(st.floats(0.05, 0.95), max_size=3, unique=True).map(lambda x: tuple(sorted(x))),
    warn_working_days_before=st.lists(st.integers(1, 4), max_size=3, unique=True).map(tuple),
    escalation_levels=st.sampled_from([
        (),
        (EscalationLevel("department_lead", 0),),
        (EscalationLevel("department_lead", 0), EscalationLevel("center_supervision", 1)),
        (EscalationLevel("department_lead", 1), EscalationLevel("center_supervision", 2),
         EscalationLevel("joint_meeting", 5)),
    ]),
    repeat=st.sampled_from(["every_working_day", "none"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(milestone=milestone_st, received=covered_received_st, delay=st.integers(0, 5 * 24 * 3600))
def test_schedule_is_ordered_and_consistent(milestone, received, delay):
    due = due_instant(received, milestone.limit, milestone.unit, CAL).due_at
    started = received + timedelta(seconds=delay)
    steps = list(itertools.islice(schedule(milestone, started, due, CAL), 30))
    assert [s.index for s in steps] == list(range(len(steps)))
    assert all(a.fire_at <= b.fire_at for a, b in zip(steps, steps[1:]))
    kinds = [s.kind for s in steps]
    assert kinds.count("breached") == 1
    b = kinds.index("breached")
    assert set(kinds[:b]) <= {"warning"} and set(kinds[b + 1:]) <= {"escalated"}
    assert steps[b].fire_at == due
    for w in steps[:b]:
        assert started <= w.fire_at < due
    for e in steps[b + 1:]:
        assert CAL.day(e.fire_at.astimezone(SHANGHAI).date()).working
    if milestone.repeat == "none":
        assert len(steps) == b + 1 + len(milestone.escalation_levels)
    elif milestone.escalation_levels:
        assert len(steps) == 30
        assert steps[-1].level == milestone.escalation_levels[-1].level
    # step_at agrees with the generator
    for s in steps[:8]:
        assert step_at(milestone, started, due, s.index, CAL) == s
    assert last_day_of(due) < due.astimezone(SHANGHAI).date()
