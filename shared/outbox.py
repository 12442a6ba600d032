"""Transactional outbox and its relay, plus the declaration of the processed-events table of idempotent consumers.

A service writes its state change and the events announcing it in one transaction: a unit of work's ``outbox.add``
queues an event, written as a row of ``<service>_outbox`` with the unit's commit;
the relay later sends unpublished rows to the bus oldest first and marks them published once the broker has
acknowledged them. A crash between sending and marking republishes, which consumers absorb through
``<service>_processed_event``. One relay per service is active at a time (a PostgreSQL advisory lock), which keeps each
complaint's events in order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Update,
    any_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import metrics
from shared.bus.base import Bus, OutgoingRecord
from shared.events import EVENT_TYPES, Envelope, EventData
from shared.sqltypes import UtcDateTime

log = logging.getLogger("complaints.outbox")

#: BIGINT on PostgreSQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY auto-increments).
BigId = BigInteger().with_variant(Integer(), "sqlite")


@functools.cache
def insert_ignore(table: Table, dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for the two supported databases: one statement per table and dialect, so the
    rows a unit of work queues for it (``UnitOfWork.write``, by statement) go as one INSERT."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def picked(key: Column, first_rows: Select, dialect: str) -> ColumnElement[bool]:
    """The rows of a queue that ``first_rows`` picks (the keys of its first rows, ``LIMIT`` and, on PostgreSQL,
    ``FOR UPDATE SKIP LOCKED``), as the condition of the statement that claims them.

    On PostgreSQL ``key = ANY(ARRAY(first_rows))``: the rows are picked once, before the claim, which then finds each
    by its key. Written as ``key IN (first_rows)``, a prepared statement's generic plan (PostgreSQL's own choice after
    a few runs, which sees neither the batch size nor the instant) may join the picked rows to a scan of the whole
    table, whose cost grows with every row the queue ever held. SQLite plans each statement afresh: ``IN`` there."""
    if dialect == "postgresql":
        return key == any_(func.array(first_rows.scalar_subquery()))
    return key.in_(first_rows.scalar_subquery())


def claim_oldest(table: Table, batch_size: int, dialect: str) -> Update:
    """The relay's claim: marks the oldest unpublished rows of the outbox ``table`` (at most ``batch_size``; on
    PostgreSQL skipping those another relay holds) published at ``published_at``, and answers them."""
    oldest = select(table.c.seq).where(table.c.published_at.is_(None)).order_by(table.c.seq).limit(batch_size)
    if dialect == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    return (
        update(table)
        .where(picked(table.c.seq, oldest, dialect))
        .values(published_at=bindparam("published_at"))
        .returning(table.c.seq, table.c.topic, table.c.key, table.c.payload)
    )


@dataclass(frozen=True)
class OutboxTables:
    service: str
    outbox: Table
    processed: Table

    def row(self, envelope: Envelope) -> dict[str, Any]:
        return {
            "event_id": envelope.id,
            "topic": EVENT_TYPES[envelope.type].TOPIC,
            "key": envelope.partitionkey,
            "payload": envelope.to_bytes(),
            "created_at": datetime.now(timezone.utc),
        }


class Outbox:
    """The events one unit of work announces: each is written to the outbox with the unit's commit, and published
    after it."""

    def __init__(self, tables: OutboxTables) -> None:
        self._tables = tables
        self.envelopes: list[Envelope] = []

    def add(self, data: EventData, *, event_id: str | None = None, time: datetime | None = None) -> Envelope:
        """Queue ``data`` as an event. A deterministic ``event_id`` makes a second copy of the same event (another
        replica, a replay) a no-op."""
        envelope = data.envelope(event_id=event_id, time=time)
        self.envelopes.append(envelope)
        return envelope

    def rows(self) -> list[dict[str, Any]]:
        """The outbox rows of the queued events."""
        return [self._tables.row(envelope) for envelope in self.envelopes]


class RelaySource(Protocol):
    """What the relay needs of a service's database."""

    engine: AsyncEngine
    outbox: OutboxTables

    @property
    def dialect(self) -> str: ...

    def on_commit(self, listener: Any) -> None: ...


def outbox_tables(service: str, metadata: MetaData) -> OutboxTables:
    """The outbox and processed-event tables of ``service``, declared in ``metadata`` (used by models and migrations)."""
    outbox = Table(
        f"{service}_outbox",
        metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(120), nullable=False),
        Column("key", String(64), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
    )
    Index(
        f"ix_{service}_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    processed = Table(
        f"{service}_processed_event",
        metadata,
        Column("consumer", String(80), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    return OutboxTables(service=service, outbox=outbox, processed=processed)


class OutboxRelay:
    """Publishes a service's outbox rows to the bus; woken after each commit and polling as a fallback.

    The running relay keeps one connection. On PostgreSQL it first takes the service's relay lock on it (a
    session-level advisory lock, released when the connection ends), so one relay per service publishes while the
    others wait to take over. Each round then needs three round trips: begin, one statement that claims the oldest
    unpublished rows and returns them, and — after the broker has acknowledged them — commit. A failed send rolls the
    claim back; a crash before the commit leaves the rows unpublished, to be sent again.
    """

    def __init__(
        self,
        db: RelaySource,
        bus: Bus,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 0.25,
        linger_s: float = 0.005,
        retention: timedelta = timedelta(hours=24),
    ) -> None:
        self._db = db
        self._table = db.outbox.outbox
        self._service = db.outbox.service
        self._bus = bus
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._linger_s = linger_s
        self._retention = retention
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"outbox-relay:{self._service}".encode())
        self._postgres = db.dialect == "postgresql"
        self._claim = claim_oldest(self._table, batch_size, db.dialect)
        db.on_commit(self._wake.set)

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                async with self._db.engine.connect() as conn:
                    try:
                        await self._lead(conn)
                        backoff = 0.2
                        await self._publish(conn)
                    finally:
                        # Ends the session, and with it the relay lock (a pooled connection would keep it).
                        await conn.invalidate()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - broker or database away: keep the rows, try again
                log.warning("outbox relay of %s could not publish (%s); retrying in %.1fs", self._service, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _lead(self, conn: AsyncConnection) -> None:
        """Wait until this relay holds the service's relay lock (PostgreSQL; SQLite has one process per file)."""
        if not self._postgres:
            return
        while not await conn.scalar(select(func.pg_try_advisory_lock(self._lock_key))):
            await conn.commit()
            await asyncio.sleep(self._poll_interval_s * 4)
        await conn.commit()

    async def _publish(self, conn: AsyncConnection) -> None:
        last_prune = datetime.now(timezone.utc)
        while True:
            sent = await self._round(conn)
            if sent == self._batch_size:
                continue
            if datetime.now(timezone.utc) - last_prune > timedelta(minutes=10):
                await self._prune(conn)
                last_prune = datetime.now(timezone.utc)
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                # Let the commits of the next few milliseconds join this round: one claim and one send for many
                # events instead of one each.
                await asyncio.sleep(self._linger_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def _round(self, conn: AsyncConnection, *, take_lock: bool = False) -> int:
        """Claim the oldest unpublished rows, publish them and commit the claim; returns how many were published."""
        async with conn.begin():
            if take_lock and not await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key))):
                return 0
            rows = sorted((await conn.execute(self._claim, {"published_at": datetime.now(timezone.utc)})).all())
            if rows:
                await self._bus.publish([OutgoingRecord(r.topic, r.key, r.payload) for r in rows])
        metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        if rows:
            metrics.OUTBOX_ROUND_ROWS.labels(self._service).observe(len(rows))
        if len(rows) == self._batch_size:
            metrics.OUTBOX_BACKLOG.labels(self._service).set(await self.backlog())
        else:
            metrics.OUTBOX_BACKLOG.labels(self._service).set(0)
        return len(rows)

    async def relay_once(self) -> int:
        """One round on a connection of its own (holding the relay lock for that round only)."""
        async with self._db.engine.connect() as conn:
            return await self._round(conn, take_lock=self._postgres)

    async def backlog(self) -> int:
        async with self._db.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(self._table).where(self._table.c.published_at.is_(None))
            )

    async def _prune(self, conn: AsyncConnection) -> None:
        cutoff = datetime.now(timezone.utc) - self._retention
        async with conn.begin():
            await conn.execute(
                delete(self._table).where(self._table.c.published_at.is_not(None), self._table.c.published_at < cutoff)
            )
