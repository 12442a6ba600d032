"""Exactly-once escalation with real processes: two SLA replicas on one PostgreSQL and a real broker across a
deadline, and one SLA process killed before a deadline and restarted after it. Each process's clock is shifted
(CLOCK_OFFSET_SECONDS) so the deadline passes within seconds."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from services.sla.domain.deadlines import due_instant
from shared import clock
from shared.bus.kafka import KafkaBus
from shared.calendar import WorkingCalendar
from shared.events import ComplaintRoutedV1
from shared.settings import CommonSettings
from tests.pipeline.helpers import bus_events
from tests.support import eventually, spawn_service, stop_process

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def kafka(broker) -> KafkaBus:
    return KafkaBus(CommonSettings(kafka_bootstrap_servers=broker.bootstrap, kafka_enable_idempotence=False), "test")


async def publish_routed(bus: KafkaBus, complaint_id: str) -> float:
    """Route one complaint; returns the seconds from now until its deadline."""
    received = clock.now()
    event = ComplaintRoutedV1(
        complaint_id=complaint_id, department="power", score=0.9, confidence=0.9, financial_service=False,
        sla_policy="standard", received_at=received, routed_at=received,
    )
    from shared.bus.base import OutgoingRecord

    await bus.publish([OutgoingRecord(event.TOPIC, complaint_id, event.envelope().to_bytes())])
    due = due_instant(received, 10, "calendar_days", WorkingCalendar()).due_at
    return (due - received).total_seconds()


async def step_counts(bus: KafkaBus, complaint_id: str) -> Counter:
    events = await bus_events(bus, group=f"reader-{uuid.uuid4().hex[:6]}", idle_s=1.0)
    return Counter((e.type.rsplit(".", 2)[-2], e.data.get("step")) for e in events if e.subject == complaint_id)


def sla_env(broker, postgres_url: str, offset: float) -> dict[str, str]:
    return {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_ENABLE_IDEMPOTENCE": "false",
            "KAFKA_TOPIC_PARTITIONS": "3", "DATABASE_URL": postgres_url, "TIMER_INTERVAL_S": "0.2",
            "CLOCK_OFFSET_SECONDS": str(offset), "SLA_PORT": "0", "LOG_LEVEL": "INFO"}


async def test_two_replicas_fire_one_breach(broker, postgres_url, tmp_path):
    bus = kafka(broker)
    await bus.start(("complaintline.router", "complaintline.sla", "complaintline.intake", "complaintline.dead-letter"))
    complaint_id = str(uuid.uuid4())
    until_due = await publish_routed(bus, complaint_id)
    env = sla_env(broker, postgres_url, until_due - 12)  # both replicas see the deadline 12 s after they start
    replicas = [spawn_service("sla", env, tmp_path / f"sla-{i}.log") for i in range(2)]
    try:
        counts = await eventually(
            lambda: _with(step_counts(bus, complaint_id), lambda c: c if c[("breached", 2)] else None),
            timeout=60, interval=1.0)
        await asyncio.sleep(3)  # give a duplicate every chance to appear
        counts = await step_counts(bus, complaint_id)
    finally:
        for proc in replicas:
            stop_process(proc)
        await bus.stop()
    assert counts[("breached", 2)] == 1
    assert counts[("warning", 0)] == counts[("warning", 1)] == 1
    assert counts[("clock_opened", None)] == 1
    assert set(counts.values()) == {1}  # every step (and any escalation already due) exactly once


async def test_killed_before_the_deadline_and_restarted_after_fires_once(broker, postgres_url, tmp_path):
    bus = kafka(broker)
    await bus.start(("complaintline.router", "complaintline.sla", "complaintline.intake", "complaintline.dead-letter"))
    complaint_id = str(uuid.uuid4())
    until_due = await publish_routed(bus, complaint_id)
    first = spawn_service("sla", sla_env(broker, postgres_url, until_due - 600), tmp_path / "sla-first.log")
    try:
        await eventually(lambda: _with(step_counts(bus, complaint_id), lambda c: c[("clock_opened", None)]),
                         timeout=60, interval=1.0)
    finally:
        stop_process(first, kill=True)  # SIGKILL: no chance to clean up
    assert (await step_counts(bus, complaint_id))[("breached", 2)] == 0
    second = spawn_service("sla", sla_env(broker, postgres_url, until_due + 60), tmp_path / "sla-second.log")
    try:
        await eventually(lambda: _with(step_counts(bus, complaint_id), lambda c: c[("breached", 2)]),
                         timeout=60, interval=1.0)
        await asyncio.sleep(3)
        counts = await step_counts(bus, complaint_id)
    finally:
        stop_process(second)
        await bus.stop()
    assert counts[("breached", 2)] == 1
    assert counts[("warning", 0)] == counts[("warning", 1)] == 1
    assert set(counts.values()) == {1}


async def _with(awaitable, pick):
    return pick(await awaitable)


