"""The return rules as pure functions: the window counted in working days from the day after the placement, a
rejection that bars the department's next return, and a supervisor's permit good for one return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.intake.returns import AGAIN, LATE, return_rule, window_end
from shared.calendar import SHANGHAI, WorkingCalendar

CALENDAR = WorkingCalendar.load()


def sh(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


@dataclass
class E:
    at: datetime
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    actor: str = "x"


def test_the_window_ends_at_24_00_of_the_working_day_after_the_placement():
    friday = sh("2026-12-04 16:00")
    assert window_end(friday, 1, CALENDAR) == sh("2026-12-08 00:00")  # Monday 24:00
    assert window_end(friday, 0, CALENDAR) == sh("2026-12-05 00:00")  # the day of placement only
    assert window_end(sh("2026-12-05 10:00"), 1, CALENDAR) == sh("2026-12-08 00:00")  # placed on a Saturday
    assert window_end(sh("2026-09-30 17:00"), 1, CALENDAR) == sh("2026-10-09 00:00")  # 8 Oct: 国庆 is over


def test_a_rejection_and_lateness_need_a_permit_that_is_good_for_one_return():
    placed = E(sh("2026-12-07 09:00"), "routed", {"department": "power"})
    other = E(sh("2026-12-07 08:00"), "routed", {"department": "tax"})
    within = sh("2026-12-08 23:59")
    assert return_rule([other, placed], "power", within, CALENDAR, 1).needs == ()
    late = return_rule([other, placed], "power", sh("2026-12-09 00:00"), CALENDAR, 1)
    assert (late.needs, late.allowed, late.window_end) == ((LATE,), False, sh("2026-12-09 00:00"))

    rejected = [placed, E(sh("2026-12-07 10:00"), "return_requested", {"department": "power"}),
                E(sh("2026-12-07 11:00"), "return_rejected", {"department": "power"})]
    assert return_rule(rejected, "power", within, CALENDAR, 1).needs == (AGAIN,)
    permit = E(sh("2026-12-07 12:00"), "return_permitted", {"department": "power"}, "supervisor:王督办")
    rule = return_rule([*rejected, permit], "power", sh("2026-12-10 09:00"), CALENDAR, 1)
    assert (rule.needs, rule.permitted_by, rule.allowed) == ((LATE, AGAIN), "supervisor:王督办", True)
    used = [*rejected, permit, E(sh("2026-12-10 09:00"), "return_requested", {"department": "power"})]
    assert return_rule(used, "power", sh("2026-12-10 10:00"), CALENDAR, 1).allowed is False
    # a new placement with the department starts afresh
    back = [*used, E(sh("2026-12-10 11:00"), "routed", {"department": "power"})]
    assert return_rule(back, "power", sh("2026-12-10 12:00"), CALENDAR, 1).needs == ()
