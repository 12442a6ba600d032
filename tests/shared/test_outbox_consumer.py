"""The delivery guarantees on real databases (SQLite and PostgreSQL) and the embedded bus: the unit of work writes
nothing without commit and runs its after-commit steps only after one; a crash between sending and marking republishes and the consumer absorbs it; a handler that
fails half-way leaves no effect and is retried; an undecodable record goes to the dead-letter topic; the embedded
bus keeps records and committed offsets across a restart; a consumer off the routing path lingers to gather its
batch."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from services.sla.app import MIGRATIONS
from services.sla.models import OUTBOX, AuditEntry
from shared import migrations
from shared.bus.base import OutgoingRecord, Record
from shared.bus.embedded import EmbeddedBus
from shared.consumer import IdempotentConsumer, mark_processed
from shared.db import Database
from shared.events import ALL_TOPICS, TOPIC_DEAD_LETTER, TOPIC_SLA, SlaMetV1
from shared.outbox import OutboxRelay, claim_oldest
from tests.support import database_url, eventually, generic_plan

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    async with database_url(request.param, tmp_path / "svc.db") as url:
        database = Database(url, OUTBOX)
        await migrations.upgrade(database.engine, MIGRATIONS, "sla_alembic_version")
        yield database
        await database.dispose()


@pytest.fixture
async def bus(tmp_path):
    b = EmbeddedBus(tmp_path / "bus.db")
    await b.start(ALL_TOPICS)
    yield b
    await b.stop()


def met(complaint_id: str) -> SlaMetV1:
    return SlaMetV1(complaint_id=complaint_id, department="power", policy="standard", milestone="resolution",
                    due_at=NOW, done_at=NOW)


async def count(db: Database, table) -> int:
    async with db.engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table))


async def test_unit_of_work_writes_nothing_without_commit(db):
    async with db.unit_of_work() as uow:
        uow.session.add(AuditEntry(complaint_id="c1", at=NOW, actor="t", action="x", detail={}))
        uow.outbox.add(met("c1"))
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            uow.session.add(AuditEntry(complaint_id="c1", at=NOW, actor="t", action="x", detail={}))
            uow.outbox.add(met("c1"))
            raise RuntimeError("crash before commit")
    assert await count(db, AuditEntry.__table__) == 0
    assert await count(db, OUTBOX.outbox) == 0



async def test_after_commit_steps_run_after_a_commit_and_never_after_a_rollback(db):
    ran: list[str] = []
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("rolled back"))
    async with db.unit_of_work() as uow:
        uow.session.add(AuditEntry(complaint_id="c1", at=NOW, actor="t", action="x", detail={}))
        uow.after_commit(lambda: ran.append(f"committed {len(ran)}"))
        assert ran == []
        await uow.commit()
        await uow.commit()  # a step runs once, with the commit it followed
    assert ran == ["committed 0"]

async def test_state_and_event_commit_together_and_a_duplicate_event_id_is_one_row(db):
    for _ in range(2):
        async with db.unit_of_work() as uow:
            uow.session.add(AuditEntry(complaint_id="c1", at=NOW, actor="t", action="x", detail={}))
            uow.outbox.add(met("c1"), event_id="fixed-id")
            await uow.commit()
    assert await count(db, AuditEntry.__table__) == 2
    assert await count(db, OUTBOX.outbox) == 1


class CrashAfterSend:
    """A bus whose publish reaches the broker, then the process 'dies' before marking the rows published."""

    def __init__(self, bus: EmbeddedBus) -> None:
        self.bus = bus

    async def publish(self, records: list[OutgoingRecord]) -> None:
        await self.bus.publish(records)
        raise ConnectionResetError("process died after sending")


async def effect_handler(event, envelope, uow) -> None:
    uow.session.add(AuditEntry(complaint_id=event.complaint_id, at=NOW, actor="consumer", action="applied",
                               detail={"event": envelope.id}))


async def drain(consumer: IdempotentConsumer, bus: EmbeddedBus, group: str) -> None:
    """Run the consumer until its group has committed everything on its topics."""
    task = asyncio.create_task(consumer.run())
    reader = bus.consumer(group, (TOPIC_SLA,))
    await reader.start()
    try:
        await eventually(lambda: _lag_zero(reader), timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _lag_zero(reader) -> bool:
    return await reader.lag() == 0


async def test_a_claim_finds_its_rows_by_key_whatever_the_outbox_holds(db):
    """A backlog (the broker was away) beside the rows published before it: the relay's claim, in the generic plan
    PostgreSQL settles on after a few rounds, reads only the oldest unpublished rows and then each by its key — never
    every row the outbox holds."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite plans each statement afresh, with its values")
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            "INSERT INTO sla_outbox (event_id, topic, key, payload, created_at, published_at)"
            " SELECT 'e-' || n, 'sla', 'c-' || n, '\\x00', $1::timestamptz, CASE WHEN n % 2 = 0 THEN $1::timestamptz END"
            " FROM generate_series(1, 5000) AS n", (NOW,))
        await conn.exec_driver_sql("ANALYZE sla_outbox")
        plan = await generic_plan(conn, claim_oldest(OUTBOX.outbox, 200, "postgresql"))
    assert "Seq Scan" not in plan and "ix_sla_outbox_unpublished" in plan and "sla_outbox_pkey" in plan, plan


async def test_crash_between_send_and_mark_republishes_and_the_consumer_applies_once(db, bus):
    async with db.unit_of_work() as uow:
        uow.outbox.add(met("c-crash"))
        await uow.commit()
    with pytest.raises(ConnectionResetError):
        await OutboxRelay(db, CrashAfterSend(bus)).relay_once()
    assert await OutboxRelay(db, bus).relay_once() == 1  # the row was not marked: sent again
    assert await OutboxRelay(db, bus).relay_once() == 0

    reader = bus.consumer("copies", (TOPIC_SLA,))
    await reader.start()
    copies = await reader.fetch(0.2, 10)
    assert len(copies) == 2 and copies[0].value == copies[1].value

    consumer = IdempotentConsumer("effects", bus, db, (TOPIC_SLA,), {SlaMetV1.TYPE: effect_handler})
    await drain(consumer, bus, "effects")
    assert await count(db, AuditEntry.__table__) == 1


async def test_a_handler_failing_half_way_leaves_nothing_and_is_retried(db, bus):
    attempts = []

    async def flaky(event, envelope, uow):
        await effect_handler(event, envelope, uow)
        await uow.session.flush()  # the effect is written…
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("…and the handler crashes before the commit")

    await bus.publish([OutgoingRecord(TOPIC_SLA, "c-flaky", met("c-flaky").envelope().to_bytes())])
    await drain(IdempotentConsumer("flaky", bus, db, (TOPIC_SLA,), {SlaMetV1.TYPE: flaky}), bus, "flaky")
    assert len(attempts) == 2
    assert await count(db, AuditEntry.__table__) == 1


async def test_an_undecodable_record_goes_to_the_dead_letter_topic_and_the_rest_flows(db, bus):
    await bus.publish([
        OutgoingRecord(TOPIC_SLA, "bad", b"{not json"),
        OutgoingRecord(TOPIC_SLA, "c-ok", met("c-ok").envelope().to_bytes()),
    ])
    await drain(IdempotentConsumer("poison", bus, db, (TOPIC_SLA,), {SlaMetV1.TYPE: effect_handler}), bus, "poison")
    assert await count(db, AuditEntry.__table__) == 1
    dead = bus.consumer("dlq-reader", (TOPIC_DEAD_LETTER,))
    await dead.start()
    assert [r.value for r in await dead.fetch(0.2, 10)] == [b"{not json"]


async def test_a_batch_of_events_the_consumer_does_not_handle_costs_no_transaction(db, bus, monkeypatch):
    """A consumer reads whole topics; a batch with none of its events (a notifier among the filings' events) opens no
    unit of work — and an undecodable record among them still goes to the dead-letter topic."""
    opened = []
    open_unit_of_work = db.unit_of_work
    monkeypatch.setattr(db, "unit_of_work", lambda: opened.append(1) or open_unit_of_work())
    consumer = IdempotentConsumer("bystander", bus, db, (TOPIC_SLA,), {"gov.county.complaints.other.v1": effect_handler})
    values = [met(f"c-{n}").envelope().to_bytes() for n in range(3)] + [b"{not json"]
    await consumer.handle_together([Record(TOPIC_SLA, 0, n, "k", value) for n, value in enumerate(values)])
    assert opened == []
    dead = bus.consumer("dlq-reader", (TOPIC_DEAD_LETTER,))
    await dead.start()
    assert [r.value for r in await dead.fetch(0.2, 10)] == [b"{not json"]
    await consumer.handle_together([Record(TOPIC_SLA, 0, 9, "k", met("c-9").envelope().to_bytes())] * 2)
    assert opened == []


async def test_the_embedded_bus_keeps_records_and_offsets_across_a_restart(tmp_path):
    path = tmp_path / "durable.db"
    first = EmbeddedBus(path)
    await first.start(ALL_TOPICS)
    await first.publish([OutgoingRecord(TOPIC_SLA, str(i), f"r{i}".encode()) for i in range(5)])
    consumer = first.consumer("g", (TOPIC_SLA,))
    await consumer.start()
    records = await consumer.fetch(0.2, 3)
    await consumer.commit(records)
    await first.stop()

    second = EmbeddedBus(path)
    await second.start(ALL_TOPICS)
    resumed = second.consumer("g", (TOPIC_SLA,))
    await resumed.start()
    assert [r.value for r in await resumed.fetch(0.2, 10)] == [b"r3", b"r4"]
    await second.publish([OutgoingRecord(TOPIC_SLA, "5", b"r5")])
    assert [r.offset for r in await resumed.fetch(0.2, 10)] == [5]
    await second.stop()




async def test_a_batch_prefetch_sees_each_new_event_once_and_handlers_share_its_memo(db, bus):
    first, second = met("c-a").envelope(), met("c-b").envelope()
    async with db.unit_of_work() as uow:  # the first event was handled before: a redelivery
        await mark_processed(uow, db.outbox.processed, "batched", [first.id])
        await uow.commit()
    seen: list[list[str]] = []
    shared: list[object] = []

    async def prefetch(uow, events):
        seen.append([envelope.subject for envelope, _payload in events])
        uow.memo["batch"] = object()

    async def handler(event, envelope, uow):
        shared.append(uow.memo["batch"])
        await effect_handler(event, envelope, uow)

    await bus.publish([OutgoingRecord(TOPIC_SLA, e.subject, e.to_bytes()) for e in (first, second, second)])
    consumer = IdempotentConsumer("batched", bus, db, (TOPIC_SLA,), {SlaMetV1.TYPE: handler}, prefetch=prefetch)
    await drain(consumer, bus, "batched")
    assert seen == [["c-b"]]  # one call for the batch, with only the event not handled before (once)
    assert len(shared) == 1
    assert await count(db, AuditEntry.__table__) == 1


async def test_a_lingering_consumer_takes_the_records_of_the_next_moments_into_its_batch(db, bus):
    first, second = met("c-early").envelope(), met("c-late").envelope()
    batches: list[list[str]] = []

    async def prefetch(uow, events):
        batches.append([envelope.subject for envelope, _payload in events])

    consumer = IdempotentConsumer("lingering", bus, db, (TOPIC_SLA,), {SlaMetV1.TYPE: effect_handler},
                                  prefetch=prefetch, linger_s=1.0)
    await bus.publish([OutgoingRecord(TOPIC_SLA, first.subject, first.to_bytes())])
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.sleep(0.3)  # the first record is fetched; the consumer lingers
        assert batches == []
        await bus.publish([OutgoingRecord(TOPIC_SLA, second.subject, second.to_bytes())])
        await eventually(lambda: _count_is(db, 2), timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert batches == [["c-early", "c-late"]]


async def _count_is(db: Database, expected: int) -> bool:
    return await count(db, AuditEntry.__table__) == expected
