"""The SLA service's event handlers and its timer sweep.

Routing opens the complaint's clocks (deadlines from the policy and the working-day calendar); the timer reads only
clocks that are due, fires each escalation step through the outbox with a deterministic event id and records it in
``sla_fired_step`` in the same transaction, so every (complaint, milestone, step) fires exactly once — with several
replicas and across restarts — and a service that was down catches up on what came due meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from services.sla import metrics
from services.sla.domain.deadlines import milestone_deadlines
from services.sla.domain.escalation import step_at
from services.sla.domain.policies import PolicyStore
from services.sla.models import Clock, FiredStep
from shared.calendar import WorkingCalendar
from shared.db import Database, UnitOfWork
from shared.events import (
    SLA_STEP_EVENTS,
    ComplaintRoutedV1,
    Envelope,
    SlaClockOpenedV1,
    SlaMilestoneV1,
    deterministic_id,
)
from shared.outbox import insert_ignore

log = logging.getLogger("complaints.sla")


class SlaHandlers:
    def __init__(self, policies: PolicyStore, calendar: WorkingCalendar, policy_set: str) -> None:
        self.policies = policies
        self.calendar = calendar
        self.policy_set = policy_set

    async def on_routed(self, event: ComplaintRoutedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        existing = (await uow.session.scalars(select(Clock).where(Clock.complaint_id == event.complaint_id))).all()
        if existing:
            # Re-routing keeps the complaint's clock; the new department takes it over.
            for clock in existing:
                if clock.status == "open":
                    clock.department = event.department
                    uow.session.add(clock)
            return
        policy = self.policies.policy_for(event.sla_policy, self.policy_set)
        deadlines = milestone_deadlines(policy, event.received_at, self.calendar)
        warnings: list[str] = []
        opened: list[SlaMilestoneV1] = []
        for milestone, due in deadlines:
            first = step_at(milestone, event.received_at, due.due_at, 0, self.calendar)
            uow.session.add(Clock(
                complaint_id=event.complaint_id, milestone=milestone.name, policy=policy.name,
                department=event.department, status="open", started_at=event.received_at, due_at=due.due_at,
                next_step_index=first.index if first else 0, next_fire_at=first.fire_at if first else None,
            ))
            warnings.extend(due.calendar_warnings)
            opened.append(SlaMilestoneV1(milestone=milestone.name, due_at=due.due_at))
        if warnings:
            log.warning("complaint %s: deadline computed beyond the calendar data: %s", event.complaint_id,
                        "; ".join(sorted(set(warnings))))
        uow.emit(SlaClockOpenedV1(
            complaint_id=event.complaint_id, department=event.department, policy=policy.name, milestones=opened,
            calendar_warnings=sorted(set(warnings)),
        ), event_id=deterministic_id(event.complaint_id, "clock_opened"))
        metrics.CLOCKS_OPENED.labels(policy.name).inc(len(opened))


@dataclass(frozen=True)
class SweepResult:
    clocks: int
    fired: int


async def sweep(
    db: Database, policies: PolicyStore, calendar: WorkingCalendar, now: datetime, limit: int
) -> SweepResult:
    """Fire every escalation step due at ``now`` on up to ``limit`` due clocks."""
    fired = 0
    async with db.unit_of_work() as uow:
        query = (
            select(Clock)
            .where(Clock.status == "open", Clock.next_fire_at.is_not(None), Clock.next_fire_at <= now)
            .order_by(Clock.next_fire_at)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        clocks = (await uow.session.scalars(query)).all()
        for clock in clocks:
            milestone = policies.get(clock.policy).milestone(clock.milestone)
            step = step_at(milestone, clock.started_at, clock.due_at, clock.next_step_index, calendar)
            while step is not None and step.fire_at <= now:
                if await _record_step(uow, clock, step.index, step.kind, step.level, step.fire_at, now):
                    event_cls = SLA_STEP_EVENTS[step.kind]
                    uow.emit(event_cls(
                        complaint_id=clock.complaint_id, department=clock.department, policy=clock.policy,
                        milestone=clock.milestone, step=step.index, level=step.level, due_at=clock.due_at,
                        fire_at=step.fire_at,
                    ), event_id=deterministic_id(clock.complaint_id, clock.milestone, "step", step.index))
                    metrics.STEPS_FIRED.labels(step.kind, clock.policy).inc()
                    fired += 1
                step = step_at(milestone, clock.started_at, clock.due_at, step.index + 1, calendar)
            clock.next_step_index = step.index if step else clock.next_step_index + 1
            clock.next_fire_at = step.fire_at if step else None
            uow.session.add(clock)
        await uow.commit()
    return SweepResult(clocks=len(clocks), fired=fired)


async def _record_step(
    uow: UnitOfWork, clock: Clock, index: int, kind: str, level: str | None, fire_at: datetime, now: datetime
) -> bool:
    result = await uow.session.execute(
        insert_ignore(FiredStep.__table__, uow.dialect).values(
            complaint_id=clock.complaint_id, milestone=clock.milestone, step=index, kind=kind, level=level,
            fire_at=fire_at, fired_at=now,
        )
    )
    return result.rowcount == 1
