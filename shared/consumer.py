"""The idempotent consumer wrapper: the one place where events enter a service.

For each record: decode the CloudEvents envelope, record (consumer, event id) in the processed table — a duplicate
skips the effects — run the handler, commit the database, and only then commit the offset. The records of one fetch
share a transaction; if any of them fails the batch is rolled back and applied record by record. A transient
failure rolls back and rewinds to the failed record; a record that cannot be decoded, or whose handler keeps
failing for a reason other than an unreachable database, goes to the dead-letter topic before its offset is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import metrics
from shared.bus.base import Bus, BusConsumer, OutgoingRecord, Record
from shared.db import Database, UnitOfWork
from shared.events import TOPIC_DEAD_LETTER, Envelope, EventData
from shared.outbox import insert_ignore

log = logging.getLogger("complaints.consumer")

Handler = Callable[[EventData, Envelope, UnitOfWork], Awaitable[None]]
#: Runs once per batch before its handlers, with the events about to be handled: reads in one query what the
#: handlers would otherwise read one event at a time, and leaves it in ``uow.memo``. Handlers must not depend on it.
Prefetch = Callable[[UnitOfWork, list[tuple[Envelope, EventData]]], Awaitable[None]]

#: Failures worth waiting out rather than dead-lettering: the database or the broker is away.
TRANSIENT = (OperationalError, DBAPIError, ConnectionError, OSError, asyncio.TimeoutError)


async def mark_processed(uow: UnitOfWork, table: Table, consumer: str, event_ids: list[str]) -> set[str]:
    """Record in ``table`` (the service's processed events) that ``consumer`` handled ``event_ids``, in the unit of
    work's transaction and in one statement; returns the ids it had not handled before (the others skip their
    effects)."""
    if not event_ids:
        return set()
    now = datetime.now(timezone.utc)
    result = await uow.session.execute(
        insert_ignore(table, uow.dialect).returning(table.c.event_id),
        [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in event_ids],
    )
    return set(result.scalars().all())


class IdempotentConsumer:
    def __init__(
        self,
        name: str,
        bus: Bus,
        db: Database,
        topics: tuple[str, ...],
        handlers: dict[str, Handler],
        *,
        batch_size: int = 100,
        max_attempts: int = 5,
        prefetch: Prefetch | None = None,
        linger_s: float = 0.0,
        off_routing_path: bool = False,
    ) -> None:
        self.name = name
        self._bus = bus
        self._db = db
        self._topics = topics
        self._handlers = handlers
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._prefetch = prefetch
        self._linger_s = linger_s
        self._off_routing_path = off_routing_path
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._consumer: BusConsumer | None = None

    async def run(self) -> None:
        consumer = await self._start()
        try:
            while True:
                records = await consumer.fetch(0.5, self._batch_size)
                if records and self._linger_s and len(records) < self._batch_size:
                    # Nobody waits on this consumer's effects within the second: let the records of the next
                    # moments join the batch (one transaction for many events, not one each).
                    await asyncio.sleep(self._linger_s)
                    records += await consumer.fetch(0, self._batch_size - len(records))
                await self._handle_batch(consumer, records)
        finally:
            await consumer.stop()

    async def _start(self) -> BusConsumer:
        backoff = 0.5
        while True:
            consumer = self._bus.consumer(self.name, self._topics, off_routing_path=self._off_routing_path)
            try:
                await consumer.start()
                self._consumer = consumer
                return consumer
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker not there yet
                log.warning("consumer %s cannot start (%s); retrying in %.1fs", self.name, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _handle_batch(self, consumer: BusConsumer, records: list[Record]) -> None:
        if records:
            metrics.CONSUMER_BATCH_RECORDS.labels(self.name).observe(len(records))
        if len(records) > 1:
            try:
                await self.handle_together(records)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the records are applied one by one below
                log.info("consumer %s: a batch of %d records failed together (%s); applying them one by one",
                         self.name, len(records), exc)
            else:
                await consumer.commit(records)
                return
        done: list[Record] = []
        for index, record in enumerate(records):
            try:
                await self.handle(record)
            except asyncio.CancelledError:
                await consumer.commit(done)
                raise
            except Exception as exc:  # noqa: BLE001 - decided below: retry or dead-letter
                if self._give_up(record, exc):
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                    done.append(record)
                    continue
                await consumer.commit(done)
                await self._rewind_rest(consumer, records[index:])
                await asyncio.sleep(min(0.2 * 2 ** self._attempts.get(self._key(record), 1), 5.0))
                return
            done.append(record)
        await consumer.commit(done)

    @staticmethod
    def _key(record: Record) -> tuple[str, int, int]:
        return (record.topic, record.partition, record.offset)

    def _give_up(self, record: Record, exc: Exception) -> bool:
        if isinstance(exc, TRANSIENT):
            log.warning("consumer %s: transient failure on %s@%s (%s); will retry", self.name, record.topic,
                        record.offset, exc)
            return False
        key = self._key(record)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        log.exception("consumer %s: handler failed on %s@%s (attempt %d)", self.name, record.topic, record.offset,
                      self._attempts[key], exc_info=exc)
        if self._attempts[key] >= self._max_attempts:
            del self._attempts[key]
            return True
        return False

    @staticmethod
    async def _rewind_rest(consumer: BusConsumer, rest: list[Record]) -> None:
        first: dict[tuple[str, int], Record] = {}
        for record in rest:
            first.setdefault((record.topic, record.partition), record)
        for record in first.values():
            await consumer.rewind(record)

    def _decode(self, record: Record) -> tuple[Envelope, Handler, EventData] | None | Exception:
        """The record's envelope, handler and payload; None when this consumer has no handler for it; the decoding
        error when it cannot be read."""
        try:
            envelope = Envelope.from_bytes(record.value)
            handler = self._handlers.get(envelope.type)
            return (envelope, handler, envelope.payload()) if handler else None
        except (ValidationError, ValueError, KeyError) as exc:
            return exc

    async def _apply(self, uow: UnitOfWork, envelope: Envelope, handler: Handler, payload: EventData) -> str:
        if await mark_processed(uow, self._db.outbox.processed, self.name, [envelope.id]):
            await handler(payload, envelope, uow)
            return "handled"
        return "duplicate"

    async def handle(self, record: Record) -> None:
        """Apply one record exactly once (by event id); public so tests can redeliver records by hand."""
        decoded = self._decode(record)
        if isinstance(decoded, Exception):
            await self._dead_letter(record, f"undecodable: {decoded}")
            return
        if decoded is None:
            return
        envelope, handler, payload = decoded
        async with self._db.unit_of_work() as uow:
            outcome = await self._apply(uow, envelope, handler, payload)
            await uow.commit()
        metrics.EVENTS_CONSUMED.labels(self.name, envelope.type.rsplit(".", 2)[-2], outcome).inc()

    async def handle_together(self, records: list[Record]) -> None:
        """Apply a fetched batch in one transaction (each event still exactly once, by event id): one commit for
        many events keeps consumers ahead of a busy line. Raises when any of them fails; nothing is then kept."""
        decoded = [(record, self._decode(record)) for record in records]
        handled = [item for _record, item in decoded if item is not None and not isinstance(item, Exception)]
        outcomes: list[tuple[str, str]] = []
        if not handled:  # none of them is this consumer's: nothing to record, no transaction
            await self._dead_letter_undecodable(decoded)
            return
        async with self._db.unit_of_work() as uow:
            fresh = await mark_processed(uow, self._db.outbox.processed, self.name,
                                         list(dict.fromkeys(e.id for e, _h, _p in handled)))
            todo = []
            for envelope, handler, payload in handled:
                first = envelope.id in fresh
                fresh.discard(envelope.id)  # a second copy in the same batch is a duplicate too
                if first:
                    todo.append((envelope, handler, payload))
                outcomes.append((envelope.type.rsplit(".", 2)[-2], "handled" if first else "duplicate"))
            if todo and self._prefetch is not None:
                await self._prefetch(uow, [(envelope, payload) for envelope, _h, payload in todo])
            for envelope, handler, payload in todo:
                await handler(payload, envelope, uow)
            await uow.commit()
        await self._dead_letter_undecodable(decoded)
        for event_type, outcome in outcomes:
            metrics.EVENTS_CONSUMED.labels(self.name, event_type, outcome).inc()

    async def _dead_letter_undecodable(self, decoded: list[tuple[Record, object]]) -> None:
        for record, item in decoded:
            if isinstance(item, Exception):
                await self._dead_letter(record, f"undecodable: {item}")

    async def _dead_letter(self, record: Record, reason: str) -> None:
        log.error("consumer %s: sending %s@%s to the dead-letter topic: %s", self.name, record.topic, record.offset,
                  reason[:300])
        await self._bus.publish([OutgoingRecord(TOPIC_DEAD_LETTER, record.key or "", record.value)])
        metrics.DEAD_LETTERS.labels(self.name).inc()

    async def lag(self) -> int | None:
        return await self._consumer.lag() if self._consumer else None

