"""Helpers for the dashboard tests: build lifecycle events by hand and feed them through the projection handlers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from services.sla.dashboard.handlers import GROUP, TOPICS, DashboardHandlers
from services.sla.domain.policies import load_policies
from services.sla.models import OUTBOX
from shared import events as ev
from shared.calendar import SHANGHAI
from shared.consumer import IdempotentConsumer
from shared.db import Database
from shared.migrations import upgrade
from tests.support import records

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "sla" / "migrations"


def sh(text: str) -> datetime:
    """A Shanghai local time written 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def milestone_of(policy: str) -> str:
    """The resolution milestone of the two default policies (``shared/data/sla_policies.json``)."""
    return "answer" if policy == "financial_service" else "resolution"


class Feed:
    """Builds one complaint's events in order; ``envelopes`` collects them for delivery."""

    def __init__(self) -> None:
        self.envelopes: list[ev.Envelope] = []
        self._n = 0

    def _add(self, data: ev.EventData, time: datetime) -> None:
        self._n += 1
        self.envelopes.append(data.envelope(event_id=f"evt-{self._n:05d}", time=time))

    def received(self, cid: str, at: datetime, title: str = "停电影响生产", channel: str = "api",
                 filed_by: str | None = None) -> None:
        self._add(ev.ComplaintReceivedV1(
            complaint_id=cid, tracking_number=f"TS-{cid}", title=title, text="正文不进入看板", channel=channel,
            enterprise_name="青山县某企业", received_at=at, filed_by=filed_by), at)

    def routed(self, cid: str, dept: str, received: datetime, at: datetime, policy: str = "standard",
               attempt: int = 0, by: str = "router") -> None:
        self._add(ev.ComplaintRoutedV1(
            complaint_id=cid, department=dept, score=1.0, confidence=0.9,
            financial_service=policy == "financial_service", sla_policy=policy, received_at=received, routed_at=at,
            attempt=attempt, decided_by=by), at)

    def triage(self, cid: str, received: datetime) -> None:
        self._add(ev.ComplaintTriageRequiredV1(
            complaint_id=cid, confidence=0.2, financial_service=False, sla_policy="standard", received_at=received),
            received)

    def clock(self, cid: str, dept: str, due: datetime, policy: str = "standard", at: datetime | None = None) -> None:
        self._add(ev.SlaClockOpenedV1(
            complaint_id=cid, department=dept, policy=policy,
            milestones=[ev.SlaMilestoneV1(milestone=milestone_of(policy), due_at=due)]), at or due)

    def transition(self, cls: type, cid: str, dept: str | None, at: datetime, status: str, *,
                   actor: str | None = None, **extra: Any) -> None:
        """An intake transition; by default a handler of ``dept`` (``handler:<dept>:张三``) acts."""
        self._add(cls(complaint_id=cid, actor=actor or f"handler:{dept}:张三", department=dept, status=status,
                      version=1, at=at, **extra), at)

    def answered(self, cid: str, dept: str, at: datetime) -> None:
        self.transition(ev.ComplaintAnsweredV1, cid, dept, at, "answered")

    def rated(self, cid: str, dept: str, at: datetime, rating: str) -> None:
        self.transition(ev.ComplaintRatedV1, cid, dept, at, "closed" if rating != "dissatisfied" else "reopened",
                        actor="filer", rating=rating)

    def reopened(self, cid: str, dept: str, at: datetime, reason: str = "问题没有解决") -> None:
        """The filer's 不满意 reopens the complaint (intake emits it with the rating, at the same instant)."""
        self.transition(ev.ComplaintReopenedV1, cid, dept, at, "reopened", actor="filer", reason=reason)

    def step(self, kind: str, cid: str, dept: str, due: datetime, fire: datetime, level: str | None = None,
             policy: str = "standard") -> None:
        self._add(ev.SLA_STEP_EVENTS[kind](
            complaint_id=cid, department=dept, policy=policy, milestone=milestone_of(policy), step=0, level=level,
            due_at=due, fire_at=fire), fire)

    def deadline(self, cid: str, due: datetime, previous: datetime, at: datetime, policy: str = "standard",
                 cause: str = "reopened", actor: str = "filer", reason: str = "企业不满意，电话 13812345678") -> None:
        self._add(ev.SlaDeadlineChangedV1(
            complaint_id=cid, milestone=milestone_of(policy), due_at=due, previous_due_at=previous, cause=cause,
            reason=reason, actor=actor), at)

    def outcome(self, kind: str, cid: str, dept: str, due: datetime, done: datetime, policy: str = "standard") -> None:
        """``sla.met`` or ``sla.missed`` of the resolution milestone."""
        cls = ev.SlaMetV1 if kind == "met" else ev.SlaMissedV1
        self._add(cls(complaint_id=cid, department=dept, policy=policy, milestone=milestone_of(policy), due_at=due,
                      done_at=done), done)


async def projection_db(url: str) -> Database:
    db = Database(url, OUTBOX)
    await upgrade(db.engine, MIGRATIONS, "sla_alembic_version")
    return db


async def deliver(db: Database, envelopes: list[ev.Envelope], *, twice: bool = True, batch: int | None = None
                  ) -> None:
    """Through the real idempotent consumer wrapper, as the ``sla-dashboard`` group would get them: one by one, or
    ``batch`` at a time with the group's batch prefetch (as the running consumer applies what one fetch brings)."""
    handlers = DashboardHandlers(load_policies())
    consumer = IdempotentConsumer(GROUP, None, db, TOPICS, handlers.handlers(),  # type: ignore[arg-type]
                                  prefetch=handlers.prefetch)
    fetched = records(envelopes)
    for round_ in range(2 if twice else 1):
        if batch is None:
            for record in fetched:
                await consumer.handle(record)
        else:
            for start in range(0, len(fetched), batch):
                await consumer.handle_together(fetched[start:start + batch])
