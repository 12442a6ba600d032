"""The escalation schedule: warnings, breach, escalations every working day "until it is done"."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from services.sla.domain.deadlines import due_instant
from services.sla.domain.escalation import (
    Step,
    first_step_after,
    outcome,
    schedule,
    step_at,
    steps_until,
)
from services.sla.domain.policies import load_policies
from services.sla.domain.policy_model import EscalationLevel, Milestone
from shared.calendar import SHANGHAI
from tests.sla.helpers import BEYOND


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def steps(milestone, started, due, calendar, n):
    out = [step_at(milestone, started, due, i, calendar) for i in range(n)]
    return [(s.index, s.kind, s.level, s.fire_at.isoformat()) if s else None for s in out]


@pytest.fixture(scope="module")
def store():
    return load_policies()


def test_standard_schedule(store, calendar):
    m = store.get("standard").milestone("resolution")
    received = at("2026-11-23T09:00:00+08:00")
    due = due_instant(received, m.limit, m.unit, calendar).due_at  # 2026-12-04T00:00
    assert steps(m, received, due, calendar, 9) == [
        (0, "warning", "70pct", "2026-11-30T19:30:00+08:00"),  # 70% of 255h after receipt
        (1, "warning", "1_working_day", "2026-12-03T00:00:00+08:00"),
        (2, "breached", None, "2026-12-04T00:00:00+08:00"),
        (3, "escalated", "department_lead", "2026-12-04T00:00:00+08:00"),
        (4, "escalated", "center_supervision", "2026-12-07T00:00:00+08:00"),  # next working day (Mon)
        (5, "escalated", "center_supervision", "2026-12-08T00:00:00+08:00"),
        (6, "escalated", "center_supervision", "2026-12-09T00:00:00+08:00"),
        (7, "escalated", "center_supervision", "2026-12-10T00:00:00+08:00"),
        (8, "escalated", "joint_meeting", "2026-12-11T00:00:00+08:00"),  # 5 working days overdue
    ]
    # "until it is done": the schedule never ends, staying at the top level
    far = step_at(m, received, due, 400, calendar)
    assert far is not None and far.kind == "escalated" and far.level == "joint_meeting"


def test_financial_service_over_golden_week(store, calendar):
    m = store.get("financial_service").milestone("answer")
    received = at("2026-09-30T17:30:00+08:00")
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    assert steps(m, received, due, calendar, 5) == [
        (0, "warning", "70pct", "2026-10-10T00:27:00+08:00"),
        (1, "warning", "1_working_day", "2026-10-13T00:00:00+08:00"),
        (2, "breached", None, "2026-10-14T00:00:00+08:00"),
        (3, "escalated", "department_lead", "2026-10-14T00:00:00+08:00"),
        (4, "escalated", "center_supervision", "2026-10-15T00:00:00+08:00"),
    ]


def test_escalations_skip_holidays_and_include_adjusted_working_days(calendar):
    m = Milestone("resolution", 10, "calendar_days", None, "test", warn_fractions=(), warn_working_days_before=())
    due = at("2026-09-30T00:00:00+08:00")
    got = [s.fire_at.date().isoformat() for s in steps_until(m, at("2026-09-20T00:00:00+08:00"), due,
                                                              at("2026-10-12T00:00:00+08:00"), calendar)]
    assert got == ["2026-09-30", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"]


def test_breach_on_a_weekend_escalates_on_the_next_working_day(store, calendar):
    m = store.get("financial_service").milestone("answer")
    received = at("2026-11-20T10:00:00+08:00")  # Friday; 5 working days end Fri 11-27
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    assert due.isoformat() == "2026-11-28T00:00:00+08:00"
    breach = step_at(m, received, due, 2, calendar)
    first = step_at(m, received, due, 3, calendar)
    assert (breach.kind, breach.fire_at) == ("breached", due)
    assert (first.kind, first.level, first.fire_at.isoformat()) == (
        "escalated", "department_lead", "2026-11-30T00:00:00+08:00")


def test_non_repeating_schedule_ends(store, calendar):
    m = store.get("guizhou").milestone("dispatch")
    received = at("2026-11-23T09:00:00+08:00")
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    assert steps(m, received, due, calendar, 4) == [
        (0, "warning", "70pct", "2026-11-24T12:18:00+08:00"),
        (1, "breached", None, "2026-11-25T00:00:00+08:00"),
        (2, "escalated", "center_supervision", "2026-11-25T00:00:00+08:00"),
        None,
    ]
    assert first_step_after(m, received, due, due, calendar) is None


def test_shanxi_contact_ladder(store, calendar):
    m = store.get("shanxi").milestone("contact")
    received = at("2026-11-27T10:00:00+08:00")  # Friday + 1 = Saturday -> Monday
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    assert due.isoformat() == "2026-12-01T00:00:00+08:00"
    assert [s.level for s in steps_until(m, received, due, due + timedelta(days=30), calendar)
            if s.kind == "escalated"] == ["department_lead", "center_supervision"]


def test_guizhou_resolution_reaches_the_joint_meeting_and_stays(store, calendar):
    m = store.get("guizhou").milestone("resolution")
    received = at("2026-11-23T09:00:00+08:00")
    due = due_instant(received, m.limit, m.unit, calendar, ).due_at
    escalated = [s for s in (step_at(m, received, due, i, calendar) for i in range(20)) if s.kind == "escalated"]
    levels = [s.level for s in escalated]
    assert levels[:7] == ["department_lead"] + ["center_supervision"] * 4 + ["joint_meeting"] * 2
    assert set(levels[5:]) == {"joint_meeting"}


def test_warnings_before_the_clock_started_are_skipped(store, calendar):
    m = store.get("standard").milestone("resolution")
    due = at("2026-12-04T00:00:00+08:00")
    started = due - timedelta(hours=2)  # after the start of the last working day
    first = step_at(m, started, due, 0, calendar)
    assert (first.kind, first.level) == ("warning", "70pct")
    assert first.fire_at == started + timedelta(hours=2) * 0.7
    assert step_at(m, started, due, 1, calendar).kind == "breached"


def test_first_step_after(store, calendar):
    m = store.get("standard").milestone("resolution")
    received = at("2026-11-23T09:00:00+08:00")
    due = at("2026-12-04T00:00:00+08:00")
    step = first_step_after(m, received, due, at("2026-12-05T12:00:00+08:00"), calendar)
    assert (step.index, step.level, step.fire_at.isoformat()) == (4, "center_supervision",
                                                                  "2026-12-07T00:00:00+08:00")
    # strictly after: a step firing exactly at `after` is not returned
    assert first_step_after(m, received, due, due, calendar).fire_at > due
    assert first_step_after(m, received, due, at("2026-11-01T00:00:00+08:00"), calendar).index == 0
    # a far-away instant in another zone still works
    assert first_step_after(m, received, due, at("2027-06-01T00:00:00Z"), calendar).kind == "escalated"


def test_schedule_is_deterministic(store, calendar):
    m = store.get("guizhou").milestone("resolution")
    received = at("2026-02-10T10:00:00+08:00")
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    a = [step_at(m, received, due, i, calendar) for i in range(15)]
    b = [step_at(m, received.astimezone(SHANGHAI), due, i, calendar) for i in range(15)]
    assert a == b
    assert [s.index for s in a] == list(range(15))
    assert all(isinstance(s, Step) and s.fire_at.tzinfo is not None for s in a)


def test_event_types(store, calendar):
    m = store.get("standard").milestone("resolution")
    received = at("2026-11-23T09:00:00+08:00")
    due = at("2026-12-04T00:00:00+08:00")
    assert [step_at(m, received, due, i, calendar).event_type for i in range(4)] == [
        "sla.warning", "sla.warning", "sla.breached", "sla.escalated"]


def test_no_escalation_levels_ends_at_breach(calendar):
    m = Milestone("x", 5, "working_days", None, "test", escalation_levels=(), repeat="none")
    received = at("2026-11-23T09:00:00+08:00")
    due = due_instant(received, 5, "working_days", calendar).due_at
    kinds = [s.kind for s in steps_until(m, received, due, due + timedelta(days=60), calendar)]
    assert kinds == ["warning", "warning", "breached"]


def test_ladder_starting_later(calendar):
    m = Milestone("x", 5, "working_days", None, "test", warn_fractions=(), warn_working_days_before=(),
                  escalation_levels=(EscalationLevel("center_supervision", 2),))
    due = at("2026-11-24T00:00:00+08:00")  # Tuesday
    got = [(s.kind, s.fire_at.date().isoformat()) for s in
           (step_at(m, at("2026-11-16T00:00:00+08:00"), due, i, calendar) for i in range(3))]
    assert got == [("breached", "2026-11-24"), ("escalated", "2026-11-26"), ("escalated", "2026-11-27")]


def test_several_working_day_warnings(calendar):
    m = Milestone("x", 10, "working_days", None, "test", warn_fractions=(0.5, 0.7),
                  warn_working_days_before=(1, 2))
    received = at("2026-09-25T10:00:00+08:00")
    due = due_instant(received, 10, "working_days", calendar).due_at
    warnings = [s for s in steps_until(m, received, due, due, calendar) if s.kind == "warning"]
    labels = [s.level for s in warnings]
    assert sorted(labels) == ["1_working_day", "2_working_days", "50pct", "70pct"]
    assert [s.fire_at for s in warnings] == sorted(s.fire_at for s in warnings)
    two = next(s for s in warnings if s.level == "2_working_days")
    one = next(s for s in warnings if s.level == "1_working_day")
    assert calendar.next_working_day(two.fire_at.date()) == one.fire_at.date()


def test_escalation_days_beyond_the_data_are_flagged(store, calendar, caplog):
    m = store.get("standard").milestone("resolution")
    received = datetime(BEYOND - 1, 12, 15, 10, tzinfo=SHANGHAI)
    due = due_instant(received, m.limit, m.unit, calendar).due_at
    with caplog.at_level(logging.WARNING, logger="complaints.calendar"):
        late = first_step_after(m, received, due, datetime(BEYOND, 1, 10, tzinfo=SHANGHAI), calendar)
    assert late.calendar_warnings and str(BEYOND) in late.calendar_warnings[0]
    assert any(r.name == "complaints.calendar" for r in caplog.records)


def test_outcome():
    due = at("2026-12-04T00:00:00+08:00")
    assert outcome(due, at("2026-12-03T23:59:59+08:00")) == "met"
    assert outcome(due, due) == "met"
    assert outcome(due, at("2026-12-04T00:00:01+08:00")) == "missed"
    with pytest.raises(ValueError):
        outcome(due, datetime(2026, 12, 3))


def test_schedule_rejects_naive_instants(store, calendar):
    m = store.get("standard").milestone("resolution")
    with pytest.raises(ValueError):
        list(schedule(m, datetime(2026, 11, 23), at("2026-12-04T00:00:00+08:00"), calendar))
