"""A service's database and its unit of work: a transaction, the events it announces, and its writes.

The unit of work follows one rule: nothing persists without an explicit ``commit()``; leaving the block without it
rolls back. It reads through its session; it writes one way: ``write`` queues rows for a Core INSERT, UPDATE or DELETE
(many rows, one statement), and ``commit()`` runs every queued statement, in order, and then the outbox INSERT of the
events ``outbox.add`` announced — one transaction. Only a statement whose answer the command needs at once (an UPDATE
guarded by the version it checks by row count, a ``SELECT … FOR UPDATE``, a ``RETURNING``) runs immediately on the
session, in the same transaction. A handler that needs what it changed earlier in the same unit of work keeps it as
plain values (``shared.rows``) instead of reading it back: queued rows are not there to read before the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlalchemy.sql.selectable import Select

from shared.engine import create_engine
from shared.outbox import Outbox, OutboxTables, insert_ignore

Write = Insert | Update | Delete


class Database:
    """One service's engine, session factory and outbox tables."""

    def __init__(self, url: str, outbox: OutboxTables, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.outbox = outbox
        #: The outbox insert (a second copy of an event, same id, is ignored).
        self.outbox_insert = insert_ignore(outbox.outbox, self.engine.dialect.name)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit that wrote outbox rows (wakes the relay)."""
        self._commit_listeners.append(listener)

    def committed(self) -> None:
        """Outbox rows were committed: call the ``on_commit`` listeners. A unit of work calls it; so does the one
        write that commits on its own (intake's filings on PostgreSQL, ``services.intake.store.filings``)."""
        for listener in self._commit_listeners:
            listener()

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
    """Reads and writes that commit together or not at all (see the module's docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.session: AsyncSession
        self.outbox = Outbox(db.outbox)
        #: What the handlers of one consumer batch share: the rows it read and works on (``shared.rows``).
        self.memo: dict[Any, Any] = {}
        self._writes: dict[Write, list[dict[str, Any]]] = {}
        self._before_commit: list[Callable[[], Awaitable[None] | None]] = []
        self._after_commit: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._db.sessions()
        self.outbox = Outbox(self._db.outbox)
        self.memo = {}
        self._writes = {}
        self._before_commit = []
        self._after_commit = []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        self._after_commit = []  # what was not committed is not followed
        # Objects read here stay usable (detached, loaded) after the block; anything not committed is discarded.
        self.session.expunge_all()
        await self.session.rollback()
        await self.session.close()

    async def read(self, statement: Select, params: dict[str, Any] | None = None) -> list[Any]:
        """The rows of the Core query ``statement`` with ``params``, in the unit of work's transaction."""
        connection = await self.session.connection()
        return list((await connection.execute(statement, params or {})).all())

    def write(self, statement: Write, rows: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Queue ``rows`` (one or many, all with the same keys) for ``statement`` — an INSERT, or an UPDATE or DELETE
        of the row its parameters name. ``commit()`` runs each statement once with all its rows in the order they
        were queued, statements in the order of their first use. Rows are not copied: they are written as they are
        at the commit."""
        queued = self._writes.setdefault(statement, [])
        if isinstance(rows, dict):
            queued.append(rows)
        else:
            queued.extend(rows)

    def before_commit(self, step: Callable[[], Awaitable[None] | None]) -> None:
        """Run ``step`` at the start of ``commit()``: a batch that keeps rows as plain values through its handlers
        queues them there, once, as they ended (``shared.rows``)."""
        self._before_commit.append(step)

    def after_commit(self, step: Callable[[], None]) -> None:
        """Call ``step`` once ``commit()`` has succeeded; never when the unit of work rolls back (left without a
        commit, or the commit failed). State outside the database — a model in memory — follows only what is
        durable."""
        self._after_commit.append(step)

    async def commit(self) -> None:
        after, self._after_commit = self._after_commit, []
        steps, self._before_commit = self._before_commit, []
        for step in steps:
            pending = step()
            if pending is not None:
                await pending
        envelopes = self.outbox.rows()
        self.outbox = Outbox(self._db.outbox)
        self.write(self._db.outbox_insert, envelopes)
        writes, self._writes = self._writes, {}
        await self.session.flush()  # new objects a test or a tool added through the session
        # Core statements on the session's connection: the same transaction, without the ORM's execution steps.
        connection = await self.session.connection()
        for statement, rows in writes.items():
            if rows:
                await connection.execute(statement, rows)
        await self.session.commit()
        if envelopes:
            self._db.committed()
        for step in after:
            step()
