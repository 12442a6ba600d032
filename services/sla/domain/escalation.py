"""The escalation schedule of one milestone: warnings, the breach, and escalations while overdue.

For a milestone whose clock started at ``started_at`` and is due at ``due_at`` the schedule is a deterministic,
ordered list of steps (index 0, 1, 2, ... in non-decreasing ``fire_at`` order):

1. **Warnings** (``kind="warning"``), in time order:

   * one per fraction in ``Milestone.warn_fractions`` at ``started_at + fraction × (due_at − started_at)``,
     level ``"70pct"`` for 0.7;
   * one per k in ``Milestone.warn_working_days_before`` at 00:00 of the k-th last working day of the period
     (k = 1: the start of the last working day), level ``"1_working_day"`` / ``"k_working_days"``.

   A warning before ``started_at`` or not before ``due_at`` is left out. Ties keep the configured order.
2. **The breach** (``kind="breached"``) at ``due_at``.
3. **Escalations** (``kind="escalated"``) on the working days after the breach: working day 0 is the breach day
   itself when it is a working day (fired at ``due_at``), otherwise the next working day (fired at its 00:00);
   working day j > 0 fires at 00:00 of the j-th working day after that. The level on working day j is the highest
   ladder entry with ``after_working_days <= j``:

   * ``repeat = "every_working_day"``: one escalation every working day from the first ladder entry on, the level
     rising and then staying at the top — reminders and 督办 "until it is done"; the schedule is infinite.
   * ``repeat = "none"``: one escalation per ladder entry, on its day; then the schedule ends.

The index of a step is its stable identity for exactly-once delivery: the same inputs always give the same step at
the same index. When the deadline moves (extension, difficult marking) the schedule changes; use
:func:`first_step_after` to resume. :func:`outcome` classifies a resolution as met/missed.

Pure functions: ``now`` and every instant are passed in; no clock, no I/O.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from services.sla.domain.deadlines import last_day_of, start_of_day, to_shanghai
from services.sla.domain.policy_model import Milestone
from shared.calendar import WorkingCalendar

log = logging.getLogger("complaints.calendar")

WARNING = "warning"
BREACHED = "breached"
ESCALATED = "escalated"
KINDS = (WARNING, BREACHED, ESCALATED)

MET = "met"
MISSED = "missed"


@dataclass(frozen=True)
class Step:
    milestone: str
    index: int  # position in this milestone's schedule (stable identity for exactly-once)
    kind: str  # "warning" | "breached" | "escalated"
    level: str | None  # escalated: "department_lead" | "center_supervision" | "joint_meeting"; warning: "70pct" ...
    fire_at: datetime  # aware
    calendar_warnings: tuple[str, ...] = ()  # set when the step's day was found with guessed holiday data

    @property
    def event_type(self) -> str:
        """The bus event this step becomes: ``sla.warning`` / ``sla.breached`` / ``sla.escalated``."""
        return f"sla.{self.kind}"


def fraction_label(fraction: float) -> str:
    pct = fraction * 100
    return f"{int(pct)}pct" if pct == int(pct) else f"{pct:g}pct"


def working_days_label(k: int) -> str:
    return "1_working_day" if k == 1 else f"{k}_working_days"


def _warnings(
    milestone: Milestone, started_at: datetime, due_at: datetime, calendar: WorkingCalendar
) -> list[tuple[datetime, str, tuple[date, ...]]]:
    found: list[tuple[datetime, int, str, tuple[date, ...]]] = []
    order = 0
    span = due_at - started_at
    for fraction in milestone.warn_fractions:
        found.append((started_at + span * fraction, order, fraction_label(fraction), ()))
        order += 1
    if milestone.warn_working_days_before:
        last = last_day_of(due_at)
        traced = calendar.trace_previous_working_day(last, inclusive=True)
        day, guessed = traced.date, list(traced.guessed)
        for k in range(1, max(milestone.warn_working_days_before) + 1):
            if k > 1:
                traced = calendar.trace_previous_working_day(day)
                day = traced.date
                guessed.extend(traced.guessed)
            if k in milestone.warn_working_days_before:
                found.append((start_of_day(day), order, working_days_label(k), tuple(guessed)))
                order += 1
    kept = [(at, label, g) for at, _, label, g in sorted(found, key=lambda w: (w[0], w[1]))
            if started_at <= at < due_at]
    return kept


def _escalations(
    milestone: Milestone, due_at: datetime, calendar: WorkingCalendar
) -> Iterator[tuple[datetime, str, tuple[date, ...]]]:
    ladder = milestone.escalation_levels
    if not ladder:
        return
    local_due = to_shanghai(due_at)
    first = calendar.trace_next_working_day(local_due.date(), inclusive=True)
    day, guessed = first.date, first.guessed
    if day == local_due.date():
        fire0 = due_at
    else:
        fire0 = start_of_day(day)
    start_j = ladder[0].after_working_days
    last_j = ladder[-1].after_working_days
    by_day = {lv.after_working_days: lv.level for lv in ladder}
    level = ladder[0].level
    for j in itertools.count():
        if j > 0:
            traced = calendar.trace_next_working_day(day)
            day, guessed = traced.date, traced.guessed
        if j in by_day:
            level = by_day[j]
        if j >= start_j and (milestone.repeats or j in by_day):
            yield (fire0 if j == 0 else start_of_day(day)), level, guessed
        if not milestone.repeats and j >= last_j:
            return


def schedule(
    milestone: Milestone, started_at: datetime, due_at: datetime, calendar: WorkingCalendar
) -> Iterator[Step]:
    """The milestone's steps in index order (infinite for repeating milestones; slice it)."""
    to_shanghai(started_at)  # rejects naive instants
    to_shanghai(due_at)
    index = 0
    for at, label, guessed in _warnings(milestone, started_at, due_at, calendar):
        yield Step(milestone.name, index, WARNING, label, to_shanghai(at), calendar.describe_guesses(guessed))
        index += 1
    yield Step(milestone.name, index, BREACHED, None, to_shanghai(due_at))
    index += 1
    for at, level, guessed in _escalations(milestone, due_at, calendar):
        yield Step(milestone.name, index, ESCALATED, level, to_shanghai(at), calendar.describe_guesses(guessed))
        index += 1


def _logged(step: Step | None) -> Step | None:
    if step is not None:
        for line in step.calendar_warnings:
            log.warning("%s", line)
    return step


def steps_from(
    milestone: Milestone, started_at: datetime, due_at: datetime, index: int, calendar: WorkingCalendar
) -> Iterator[Step]:
    """The schedule from the ``index``-th step on, each step logged as ``step_at`` does (the timer walks it)."""
    for step in itertools.islice(schedule(milestone, started_at, due_at, calendar), max(index, 0), None):
        yield _logged(step)


def step_at(
    milestone: Milestone, started_at: datetime, due_at: datetime, index: int, calendar: WorkingCalendar
) -> Step | None:
    """The ``index``-th step of the schedule, or None when the schedule has no such step."""
    if index < 0:
        return None
    return _logged(next(itertools.islice(schedule(milestone, started_at, due_at, calendar), index, None), None))


def first_step_after(
    milestone: Milestone, started_at: datetime, due_at: datetime, after: datetime, calendar: WorkingCalendar
) -> Step | None:
    """The smallest-index step with ``fire_at > after`` (None when the schedule has ended before that)."""
    after = to_shanghai(after)
    for step in schedule(milestone, started_at, due_at, calendar):
        if step.fire_at > after:
            return _logged(step)
    return None


def steps_until(
    milestone: Milestone, started_at: datetime, due_at: datetime, until: datetime, calendar: WorkingCalendar
) -> list[Step]:
    """All steps with ``fire_at <= until``, in index order (what should have fired by ``until``)."""
    until = to_shanghai(until)
    return list(
        itertools.takewhile(lambda s: s.fire_at <= until, schedule(milestone, started_at, due_at, calendar))
    )


def outcome(due_at: datetime, resolved_at: datetime) -> str:
    """``"met"`` iff resolved at or before the due instant, else ``"missed"`` (events sla.met / sla.missed)."""
    return MET if to_shanghai(resolved_at) <= to_shanghai(due_at) else MISSED
