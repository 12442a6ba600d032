"""The SLA service's commands: clocks follow the complaint's lifecycle events, and the timer fires what is due.

- routing opens the complaint's clocks (deadlines from the policy and the working-day calendar, counted from
  receipt) and a department clock; re-routing keeps the complaint's clocks and starts a new department clock;
- each milestone stops on its lifecycle event (routed / contacted / answered), firing ``sla.met`` or ``sla.missed``;
  a reopening restarts the answered clocks;
- marking a complaint difficult and extensions (延期) move a deadline, with who and why in the audit trail;
- the timer reads only clocks that are due, fires each step through the outbox with a deterministic event id and
  records it in ``sla_fired_step`` in the same transaction — every (complaint, milestone, revision, step) fires
  exactly once, with several replicas and across restarts, and a service that was down catches up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from services.sla import metrics
from services.sla.domain.deadlines import due_instant, extend_due
from services.sla.domain.escalation import Step, first_step_after, outcome, step_at, steps_from
from services.sla.domain.policies import Milestone, PolicyStore
from services.sla.models import OPEN, SCOPE_COMPLAINT, SCOPE_DEPARTMENT, STOPPED
from services.sla.store import audit, clocks_of, due_clocks, open_clock, read_clocks, record_fired
from shared.calendar import WorkingCalendar
from shared.db import Database, UnitOfWork
from shared.events import (
    SLA_STEP_EVENTS,
    ComplaintAnsweredV1,
    ComplaintContactedV1,
    ComplaintReopenedV1,
    ComplaintRoutedV1,
    Envelope,
    EventData,
    SlaClockOpenedV1,
    SlaDeadlineChangedV1,
    SlaMetV1,
    SlaMilestoneV1,
    SlaMissedV1,
    deterministic_id,
)
from shared.rows import Row

log = logging.getLogger("complaints.sla")


class SlaError(Exception):
    """A deadline command that cannot apply (no clock, nothing to extend …)."""


@dataclass
class DeadlineRules:
    """What the SLA service needs to compute deadlines: the policies, the deployment's policy set, the calendar."""

    policies: PolicyStore
    calendar: WorkingCalendar
    policy_set: str

    def milestone(self, clock: Row) -> Milestone:
        return self.policies.get(clock.policy).milestone(clock.milestone)

    def rest_day_rule(self, policy: str) -> str:
        """How the policy's periods treat a last day that is a rest day: every deadline of a clock follows it."""
        return self.policies.get(policy).rest_day_rule

    def plan(self, clock: Row, after: datetime | None = None) -> None:
        """Point the clock at its next step: the first one (or the first after ``after`` when re-planning)."""
        milestone = self.milestone(clock)
        if clock.scope != SCOPE_COMPLAINT:
            clock.next_fire_at = None
            return
        step = (
            step_at(milestone, clock.started_at, clock.due_at, 0, self.calendar)
            if after is None else first_step_after(milestone, clock.started_at, clock.due_at, after, self.calendar)
        )
        clock.next_step_index = step.index if step else 0
        clock.next_fire_at = step.fire_at if step else None


class SlaHandlers:
    def __init__(self, clocks: DeadlineRules) -> None:
        self.clocks = clocks

    # -- routing --------------------------------------------------------------------------------------------------

    async def prefetch(self, uow: UnitOfWork, events: list[tuple[Envelope, EventData]]) -> None:
        """The clocks of every complaint a batch's events concern, in one query (the handlers would read them one
        complaint at a time)."""
        await read_clocks(uow, {payload.complaint_id for _envelope, payload in events})

    async def on_routed(self, event: ComplaintRoutedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        # A second routing of the same complaint in one batch finds the clocks the first one opened.
        existing = await clocks_of(uow, event.complaint_id)
        if not existing:
            await self._open(event, uow)
            return
        # Re-routing: the complaint's clocks keep running under the new department; the previous department's
        # share stops and the new department's starts now.
        policy = self.clocks.policies.get(existing[0].policy)
        for clock in existing:
            if clock.status != OPEN:
                continue
            if clock.scope == SCOPE_COMPLAINT:
                clock.department = event.department
            elif clock.attempt < event.attempt:
                clock.status, clock.stopped_at, clock.outcome = STOPPED, event.routed_at, "moved"
        if not any(c.scope == SCOPE_DEPARTMENT and c.attempt == event.attempt for c in existing):
            for milestone in policy.milestones:
                if milestone.stops_on == "answered":
                    self._add_department_clock(uow, event, policy.name, milestone, event.routed_at)
        audit(uow, event.complaint_id, event.routed_at, event.decided_by, "rerouted",
               department=event.department, attempt=event.attempt)

    async def _open(self, event: ComplaintRoutedV1, uow: UnitOfWork) -> None:
        policy = self.clocks.policies.policy_for(event.sla_policy, self.clocks.policy_set)
        warnings: list[str] = []
        opened: list[SlaMilestoneV1] = []
        for milestone in policy.milestones:
            due = due_instant(event.received_at, milestone.limit, milestone.unit, self.clocks.calendar,
                              rest_day_rule=policy.rest_day_rule)
            clock = open_clock(
                uow, complaint_id=event.complaint_id, milestone=milestone.name, scope=SCOPE_COMPLAINT, attempt=0,
                policy=policy.name, department=event.department, status=OPEN, started_at=event.received_at,
                due_at=due.due_at,
            )
            self.clocks.plan(clock)
            warnings.extend(due.calendar_warnings)
            opened.append(SlaMilestoneV1(milestone=milestone.name, due_at=due.due_at))
            if milestone.stops_on == "routed":
                self._stop(uow, clock, event.routed_at)
            if milestone.stops_on == "answered":
                self._add_department_clock(uow, event, policy.name, milestone, event.received_at)
        if warnings:
            log.warning("complaint %s: deadline computed beyond the calendar data: %s", event.complaint_id,
                        "; ".join(sorted(set(warnings))))
        uow.outbox.add(SlaClockOpenedV1(
            complaint_id=event.complaint_id, department=event.department, policy=policy.name, milestones=opened,
            calendar_warnings=sorted(set(warnings)),
        ), event_id=deterministic_id(event.complaint_id, "clock_opened"))
        metrics.CLOCKS_OPENED.labels(policy.name).inc(len(opened))

    def _add_department_clock(
        self, uow: UnitOfWork, event: ComplaintRoutedV1, policy: str, milestone: Milestone, start: datetime
    ) -> None:
        due = due_instant(start, milestone.limit, milestone.unit, self.clocks.calendar,
                          rest_day_rule=self.clocks.rest_day_rule(policy))
        open_clock(
            uow, complaint_id=event.complaint_id, milestone=milestone.name, scope=SCOPE_DEPARTMENT,
            attempt=event.attempt, policy=policy, department=event.department, status=OPEN, started_at=start,
            due_at=due.due_at, next_fire_at=None,
        )

    # -- stops and restarts ---------------------------------------------------------------------------------------

    def _stop(self, uow: UnitOfWork, clock: Row, at: datetime) -> None:
        clock.status, clock.stopped_at, clock.next_fire_at = STOPPED, at, None
        clock.outcome = outcome(clock.due_at, at)
        if clock.scope == SCOPE_COMPLAINT:
            event_cls = SlaMetV1 if clock.outcome == "met" else SlaMissedV1
            uow.outbox.add(event_cls(
                complaint_id=clock.complaint_id, department=clock.department, policy=clock.policy,
                milestone=clock.milestone, due_at=clock.due_at, done_at=at,
            ), event_id=deterministic_id(clock.complaint_id, clock.milestone, "outcome", clock.revision))
            metrics.OUTCOMES.labels(clock.outcome, clock.policy).inc()

    async def _stop_on(self, uow: UnitOfWork, complaint_id: str, lifecycle_event: str, at: datetime) -> None:
        for clock in await clocks_of(uow, complaint_id, status=OPEN):
            if self.clocks.milestone(clock).stops_on == lifecycle_event:
                self._stop(uow, clock, at)

    async def on_contacted(self, event: ComplaintContactedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await self._stop_on(uow, event.complaint_id, "contacted", event.at)

    async def on_answered(self, event: ComplaintAnsweredV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await self._stop_on(uow, event.complaint_id, "answered", event.at)
        audit(uow, event.complaint_id, event.at, event.actor, "stopped", on="answered")

    async def on_reopened(self, event: ComplaintReopenedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        """不满意: the answered clocks restart with a full period from the reopening."""
        clocks = await clocks_of(uow, event.complaint_id, status=STOPPED)
        latest_department = max((c.attempt for c in clocks if c.scope == SCOPE_DEPARTMENT), default=None)
        for clock in clocks:
            milestone = self.clocks.milestone(clock)
            if milestone.stops_on != "answered":
                continue
            if clock.scope == SCOPE_DEPARTMENT and clock.attempt != latest_department:
                continue
            clock.status, clock.stopped_at, clock.outcome = OPEN, None, None
            clock.started_at = event.at
            due = due_instant(event.at, milestone.limit_for(clock.difficult), milestone.unit, self.clocks.calendar,
                              rest_day_rule=self.clocks.rest_day_rule(clock.policy))
            self._move(uow, clock, due.due_at, event.at, "reopened", event.reason, event.actor)
        audit(uow, event.complaint_id, event.at, event.actor, "restarted", reason=event.reason)

    def _move(self, uow: UnitOfWork, clock: Row, due_at: datetime, now: datetime, cause: str, reason: str,
              actor: str) -> None:
        """A new deadline: a new revision of the clock, its steps planned anew from ``now``, and (for the
        complaint's own clock) an ``sla.deadline_changed`` event."""
        previous, clock.due_at = clock.due_at, due_at
        clock.revision += 1
        self.clocks.plan(clock, after=now)
        if clock.scope == SCOPE_COMPLAINT:
            uow.outbox.add(SlaDeadlineChangedV1(
                complaint_id=clock.complaint_id, milestone=clock.milestone, due_at=clock.due_at,
                previous_due_at=previous, cause=cause, reason=reason, actor=actor,
            ), event_id=deterministic_id(clock.complaint_id, clock.milestone, "deadline", clock.revision))

    # -- supervisors' and handlers' deadline commands ----------------------------------------------------------------

    async def mark_difficult(self, uow: UnitOfWork, complaint_id: str, *, reason: str, actor: str,
                             now: datetime) -> list[Row]:
        """Switch the complaint's open milestones to their difficult (疑难) limit, counted from the clock's start."""
        changed = []
        for clock in await clocks_of(uow, complaint_id, scope=SCOPE_COMPLAINT, status=OPEN):
            milestone = self.clocks.milestone(clock)
            if clock.difficult or milestone.difficult_limit is None:
                continue
            clock.difficult = True
            due = due_instant(clock.started_at, milestone.difficult_limit, milestone.unit, self.clocks.calendar,
                              rest_day_rule=self.clocks.rest_day_rule(clock.policy))
            self._move(uow, clock, due.due_at, now, "difficult", reason, actor)
            changed.append(clock)
        if not changed:
            raise SlaError("no open milestone of this complaint has a difficult limit (or it is already difficult)")
        audit(uow, complaint_id, now, actor, "marked_difficult", reason=reason,
               milestones=[c.milestone for c in changed])
        return changed

    async def extend(self, uow: UnitOfWork, complaint_id: str, *, days: int, reason: str, actor: str,
                     now: datetime, milestone: str | None = None) -> list[Row]:
        """延期: move the open milestones' deadlines by ``days`` of their own unit."""
        changed = []
        for clock in await clocks_of(uow, complaint_id, scope=SCOPE_COMPLAINT, status=OPEN):
            if milestone and clock.milestone != milestone:
                continue
            due = extend_due(clock.due_at, days, self.clocks.milestone(clock).unit, self.clocks.calendar,
                             rest_day_rule=self.clocks.rest_day_rule(clock.policy))
            clock.extended_days += days
            self._move(uow, clock, due.due_at, now, "extension", reason, actor)
            changed.append(clock)
        if not changed:
            raise SlaError("the complaint has no open clock to extend")
        audit(uow, complaint_id, now, actor, "extended", days=days, reason=reason,
               milestones=[c.milestone for c in changed])
        return changed


# -- the timer -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    clocks: int
    fired: int


async def sweep(db: Database, clocks: DeadlineRules, now: datetime, limit: int) -> SweepResult:
    """Fire every escalation step due at ``now`` on up to ``limit`` due clocks, in one transaction."""
    async with db.unit_of_work() as uow:
        due = await due_clocks(uow, now, limit)
        planned: list[tuple[Row, Step]] = []
        for clock in due:
            steps = steps_from(clocks.milestone(clock), clock.started_at, clock.due_at, clock.next_step_index,
                               clocks.calendar)
            step = next(steps, None)
            while step is not None and step.fire_at <= now:
                planned.append((clock, step))
                step = next(steps, None)
            clock.next_step_index = step.index if step else clock.next_step_index + 1
            clock.next_fire_at = step.fire_at if step else None
        fresh = await record_fired(uow, [
            {"complaint_id": c.complaint_id, "milestone": c.milestone, "revision": c.revision, "step": s.index,
             "kind": s.kind, "level": s.level, "fire_at": s.fire_at, "fired_at": now}
            for c, s in planned
        ])
        for clock, step in planned:
            if (clock.complaint_id, clock.milestone, clock.revision, step.index) not in fresh:
                continue  # another replica fired it already
            uow.outbox.add(SLA_STEP_EVENTS[step.kind](
                complaint_id=clock.complaint_id, department=clock.department, policy=clock.policy,
                milestone=clock.milestone, step=step.index, level=step.level, due_at=clock.due_at,
                fire_at=step.fire_at,
            ), event_id=deterministic_id(clock.complaint_id, clock.milestone, clock.revision, "step", step.index))
            metrics.STEPS_FIRED.labels(step.kind, clock.policy).inc()
        await uow.commit()
    return SweepResult(clocks=len(due), fired=len(fresh))
