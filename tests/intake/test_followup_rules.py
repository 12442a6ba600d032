"""The follow-up policy as pure rules: which answers are called (all, or every answer after a reopening and a stable
share of the others), the working day a call is due by, and the working day a filer not reached is called again."""

from __future__ import annotations

from datetime import date, datetime, timezone

from services.intake.followups.rules import SAMPLE, FollowUpPolicy
from shared.calendar import SHANGHAI


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def test_every_answer_is_called_under_all():
    policy = FollowUpPolicy()
    assert all(policy.selects(f"c{i}", at("2026-03-02"), reopened_before=False) for i in range(200))


def test_a_sample_calls_every_answer_after_a_reopening_and_a_stable_share_of_the_others():
    policy = FollowUpPolicy(selection=SAMPLE, sample_percent=20)
    answered = at("2026-03-02")
    picked = [policy.selects(f"c{i}", answered, reopened_before=False) for i in range(2000)]
    assert 0.15 < sum(picked) / len(picked) < 0.25
    assert picked == [policy.selects(f"c{i}", answered, reopened_before=False) for i in range(2000)]  # the same
    assert all(policy.selects(f"c{i}", answered, reopened_before=True) for i in range(200))
    none = FollowUpPolicy(selection=SAMPLE, sample_percent=0)
    assert not any(none.selects(f"c{i}", answered, reopened_before=False) for i in range(200))


def test_the_call_is_due_within_working_days_and_retried_on_the_next_working_day():
    policy = FollowUpPolicy(working_days=2)
    # answered the day before the National Day holiday: the working days after it are 10-08 and 10-09
    assert policy.due_on(at("2026-09-30")) == date(2026, 10, 9)
    # answered on Friday 10-09: Saturday 10-10 is a working day (调休), then Monday
    assert policy.due_on(at("2026-10-09")) == date(2026, 10, 12)
    # 23:00 on a Friday in Shanghai is still Friday there (15:00 in UTC)
    assert policy.due_on(at("2026-03-06", 23).astimezone(timezone.utc)) == date(2026, 3, 10)
    # not reached before the holiday: called again after it; not reached on a Friday: on Monday
    assert policy.next_call_on(at("2026-09-30", 15)) == date(2026, 10, 8)
    assert policy.next_call_on(at("2026-03-06", 15)) == date(2026, 3, 9)
