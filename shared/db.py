"""Database engine and unit of work, on SQLAlchemy 2 async (asyncpg for PostgreSQL, aiosqlite for the embedded
default).

The unit of work follows one rule: nothing persists without an explicit ``commit()``; leaving the block without it
rolls back. Events a handler emits are written to the service's outbox inside the same transaction, and a consumed
event's id is recorded in the same transaction as its effects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.events import Envelope, EventData
from shared.outbox import OutboxTables, insert_ignore

log = logging.getLogger("complaints.db")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Own the transactions (BEGIN IMMEDIATE below): a writer waits for the lock instead of failing with
            # SQLITE_BUSY when it upgrades a read snapshot.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class Database:
    """One service's engine, session factory and outbox tables."""

    def __init__(self, url: str, outbox: OutboxTables, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.outbox = outbox
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit that wrote outbox rows (wakes the relay)."""
        self._commit_listeners.append(listener)

    def unit_of_work(self) -> "UnitOfWork":
        return UnitOfWork(self)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - readiness reports any failure as not ready
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._envelopes: list[Envelope] = []
        self.session: AsyncSession

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._db.sessions()
        self._envelopes = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Objects read here stay usable (detached, loaded) after the block; anything not committed is discarded.
        self.session.expunge_all()
        await self.session.rollback()
        await self.session.close()

    def emit(self, data: EventData, *, event_id: str | None = None, time: datetime | None = None) -> Envelope:
        """Queue an event for the outbox; it is written with the next ``commit()`` and published after it.

        A deterministic ``event_id`` makes a second copy of the same event (another replica, a replay) a no-op.
        """
        envelope = data.envelope(event_id=event_id, time=time)
        self._envelopes.append(envelope)
        return envelope

    async def mark_processed(self, consumer: str, event_id: str) -> bool:
        """Record that ``consumer`` handled ``event_id``; False when it already had (skip the effects)."""
        result = await self.session.execute(
            insert_ignore(self._db.outbox.processed, self.dialect).values(
                consumer=consumer, event_id=event_id, processed_at=datetime.now(timezone.utc)
            )
        )
        return result.rowcount == 1

    async def mark_processed_many(self, consumer: str, event_ids: list[str]) -> set[str]:
        """``mark_processed`` for many events in one statement; returns the ids not handled before."""
        if not event_ids:
            return set()
        table = self._db.outbox.processed
        now = datetime.now(timezone.utc)
        with self.session.no_autoflush:
            result = await self.session.execute(
                insert_ignore(table, self.dialect).returning(table.c.event_id),
                [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in event_ids],
            )
        return set(result.scalars().all())

    async def commit(self) -> None:
        envelopes, self._envelopes = self._envelopes, []
        if envelopes:
            await self.session.execute(
                insert_ignore(self._db.outbox.outbox, self.dialect),
                [self._db.outbox.row(envelope) for envelope in envelopes],
            )
        await self.session.commit()
        if envelopes:
            for listener in self._db._commit_listeners:
                listener()
