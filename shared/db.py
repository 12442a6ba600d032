"""Database engine and unit of work, on SQLAlchemy 2 async (asyncpg for PostgreSQL, aiosqlite for the embedded
default).

The unit of work follows one rule: nothing persists without an explicit ``commit()``; leaving the block without it
rolls back. Events a handler emits are written to the service's outbox inside the same transaction, and a consumed
event's id is recorded in the same transaction as its effects.

A database error never carries the data of its statement (a filing's text, an enterprise's credit code, a contact's
mobile), so whatever logs it logs none: every engine hides statement parameters, and ``without_values`` strips what
the driver quotes of the data — on the engine's errors (its ``handle_error`` hook) and on those of the statements this
module sends through asyncpg itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, event
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, EmulatedDBAPIException, IntegrityError, StatementError
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.events import Envelope, EventData
from shared.outbox import OutboxTables, insert_ignore

log = logging.getLogger("complaints.db")
_Error = TypeVar("_Error", bound=BaseException)

#: Loggers that trace statements with their bound values (aiosqlite logs every call with its arguments at DEBUG):
#: they stay quiet below WARNING whatever the process's log level.
STATEMENT_TRACERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """The engine of every database this product opens. Its errors and its statement log carry no bound values
    (``hide_parameters``, ``without_values``)."""
    for name in STATEMENT_TRACERS:
        tracer = logging.getLogger(name)
        if tracer.level < logging.WARNING:
            tracer.setLevel(logging.WARNING)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, hide_parameters=True, connect_args={"timeout": 10})
        _own_sqlite_transactions(engine)
    else:
        # Disconnects are handled optimistically, without a ping before every checkout (a round trip on every unit
        # of work): when a statement finds its connection gone, SQLAlchemy discards every connection opened before
        # that moment, the loops retry and an HTTP caller gets a 503 to retry.
        engine = create_async_engine(url, hide_parameters=True, pool_size=pool_size, max_overflow=pool_size,
                                     pool_recycle=1800)
    event.listen(engine.sync_engine, "handle_error", _error_without_values)
    return engine


def _own_sqlite_transactions(engine: AsyncEngine) -> None:
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


def _error_without_values(context: ExceptionContext) -> None:
    if context.sqlalchemy_exception is not None:
        without_values(context.sqlalchemy_exception)


def without_values(error: _Error) -> _Error:
    """``error`` — a database error as SQLAlchemy or this module raises it — stripped, in place and with every driver
    error it was raised from, of what may quote a statement's data: SQLAlchemy's copy of the parameters; PostgreSQL's
    DETAIL, HINT and CONTEXT (a failing row, a duplicate key's value); the message of a data exception (SQLSTATE class
    22), which quotes the value PostgreSQL could not read — or, raised by asyncpg, the argument it could not encode.

    What remains says what failed: the statement, the error's class and SQLSTATE, PostgreSQL's primary message with the
    constraint, table and column it names. SQLite's messages name no values and stay as they are."""
    import asyncpg

    chain: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is not None and all(current is not seen for seen in chain):
            chain.append(current)
            pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    stripped: list[BaseException] = []
    for current in reversed(chain):  # drivers first: the messages of the errors wrapping them are made from theirs
        if isinstance(current, StatementError):
            current.hide_parameters = True
            if any(current.orig is done for done in stripped):
                orig = current.orig
                current.args = (f"({type(orig).__module__}.{type(orig).__name__}) {orig}",)
        elif isinstance(current, (asyncpg.PostgresError, asyncpg.InterfaceError)):
            current.detail = current.hint = None
            if isinstance(current, asyncpg.PostgresError):
                current.context = current.internal_query = None
                if str(current.sqlstate or "").startswith("22"):
                    current.args = (f"{type(current).__name__} (SQLSTATE {current.sqlstate}): the value is not shown",)
            stripped.append(current)
        elif isinstance(current, EmulatedDBAPIException) and any(current.orig is done for done in stripped):
            current.args = (str(current.orig),)  # SQLAlchemy's copy of an asyncpg error
            if hasattr(current, "detail"):
                current.detail = None
            stripped.append(current)
    return error


@dataclass(frozen=True)
class _DriverStatement:
    """An INSERT, UPDATE or query in the driver's form: its SQL, the order of its parameters and their type
    conversions."""

    sql: str
    keys: tuple[str, ...]
    #: (position, conversion) for the parameters whose type converts its value (JSON, instants).
    conversions: tuple[tuple[int, Callable[[Any], Any]], ...]

    #: Values of the parameters bound in the statement itself (``bindparam(name, value)``), by name.
    fixed: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def compile(cls, statement: Insert | Update | Select, keys: tuple[str, ...], dialect: Dialect
                ) -> "_DriverStatement":
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        names = tuple(compiled.positiontup or ())
        processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        fixed = tuple((name, compiled.binds[name].value) for name in names
                      if compiled.binds[name].value is not None and not compiled.binds[name].required)
        return cls(str(compiled), names, tuple((i, p) for i, p in enumerate(processors) if p is not None), fixed)

    def values(self, row: dict[str, Any]) -> list[Any]:
        if self.fixed:
            row = {**dict(self.fixed), **row}
        values = [row[key] for key in self.keys]
        for i, convert in self.conversions:
            values[i] = convert(values[i])
        return values


_DRIVER_STATEMENTS: dict[tuple[Any, ...], _DriverStatement] = {}


def _driver_statement(statement: Insert | Update | Select, keys: tuple[str, ...], dialect: Dialect
                      ) -> _DriverStatement:
    """``statement`` in the driver's form, compiled once per statement and parameter names."""
    cache_key = (statement, keys)
    compiled = _DRIVER_STATEMENTS.get(cache_key)
    if compiled is None:
        compiled = _DRIVER_STATEMENTS[cache_key] = _DriverStatement.compile(statement, keys, dialect)
    return compiled


def column_defaults(table: Table) -> dict[str, Any]:
    """Each column of ``table`` at its model default (None where there is none): a new row built as plain values,
    for a hot path where constructing the ORM model would cost more than the rest of the work."""
    return {c.name: c.default.arg if c.default is not None and c.default.is_scalar else None for c in table.columns}


async def execute_many(session: AsyncSession, statement: Insert | Update, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` (an INSERT, or an UPDATE whose parameters name its row) once per row, all rows having the
    same keys, in the session's transaction.

    On PostgreSQL, once the transaction has begun, the rows go straight to the driver: one prepared statement and the
    rows pipelined (asyncpg's ``executemany``), with SQLAlchemy's type conversions applied. That costs about a third of
    going through SQLAlchemy's execution, which matters on the paths every complaint takes (filing, the outbox).
    Everywhere else — SQLite, or before the transaction's first statement — SQLAlchemy runs it.
    """
    if not rows:
        return
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection
        if driver is not None and driver.is_in_transaction():
            compiled = _driver_statement(statement, tuple(rows[0]), conn.dialect)
            try:
                await driver.executemany(compiled.sql, [compiled.values(row) for row in rows])
            except Exception as exc:
                raise _as_sqlalchemy_error(exc, compiled.sql, driver) from exc
            return
    await session.execute(statement, rows)


@dataclass(frozen=True)
class _CombinedInsert:
    """Several INSERTs as one PostgreSQL statement: each takes its rows as one array per column (``unnest``), and all
    but the last are data-modifying ``WITH`` clauses. One round trip for what would be one per table; the text does
    not depend on how many rows there are, so it is prepared once."""

    sql: str
    #: Per INSERT: its columns and each column's conversion (None where the driver takes the value as it is).
    parts: tuple[tuple[tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]], ...]

    @classmethod
    def compile(cls, inserts: list[tuple[Insert, tuple[str, ...]]], dialect: Dialect) -> "_CombinedInsert":
        quote = dialect.identifier_preparer
        clauses, parts, n = [], [], 0
        for statement, keys in inserts:
            table = statement.table
            impls = [table.c[key].type.dialect_impl(dialect) for key in keys]
            arrays = ", ".join(f"${n + i + 1}::{impl.compile(dialect=dialect)}[]" for i, impl in enumerate(impls))
            n += len(keys)
            conflict = " ON CONFLICT DO NOTHING" if statement._post_values_clause is not None else ""
            clauses.append(f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(k) for k in keys)}) "
                           f"SELECT * FROM unnest({arrays}){conflict}")
            parts.append((keys, tuple(impl.bind_processor(dialect) for impl in impls)))
        *first, last = clauses
        prefix = "WITH " + ", ".join(f"w{i} AS ({clause})" for i, clause in enumerate(first)) + " " if first else ""
        return cls(prefix + last, tuple(parts))

    def arguments(self, rows: list[list[dict[str, Any]]]) -> list[list[Any]]:
        arguments = []
        for (keys, conversions), table_rows in zip(self.parts, rows):
            for key, convert in zip(keys, conversions):
                column = [row[key] for row in table_rows]
                arguments.append([convert(v) for v in column] if convert is not None else column)
        return arguments


_COMBINED_INSERTS: dict[tuple[Any, ...], _CombinedInsert] = {}


def _combinable(statement: Insert | Update) -> bool:
    """An INSERT of plain rows, at most ignoring any conflict: what ``_CombinedInsert`` runs."""
    if not isinstance(statement, Insert) or statement._returning:
        return False
    conflict = statement._post_values_clause
    return conflict is None or (conflict.__visit_name__ == "on_conflict_do_nothing"
                                and conflict.constraint_target is None and not conflict.inferred_target_elements)


async def write_all(session: AsyncSession, writes: list[tuple[Insert | Update, list[dict[str, Any]]]]) -> None:
    """Run each statement once per row (as ``execute_many``), in the session's transaction.

    On PostgreSQL, once the transaction has begun, the UPDATEs run first and every INSERT then goes in one statement
    (``_CombinedInsert``): the rows of a filing or a consumer batch and their outbox events cost one round trip. Writes
    that cannot be reordered so (an UPDATE of a table also inserted into) run in order, one statement each."""
    writes = [(statement, rows) for statement, rows in writes if rows]
    if not writes:
        return
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection if conn.dialect.name == "postgresql" else None
    inserts = [(st, rows) for st, rows in writes if isinstance(st, Insert)]
    updates = [(st, rows) for st, rows in writes if not isinstance(st, Insert)]
    if (driver is None or not driver.is_in_transaction() or len(inserts) < 2
            or not all(_combinable(st) for st, _rows in inserts)
            or {st.table for st, _rows in updates} & {st.table for st, _rows in inserts}):
        for statement, rows in writes:
            await execute_many(session, statement, rows)
        return
    for statement, rows in updates:
        await execute_many(session, statement, rows)
    await _insert_combined(driver, conn.dialect, inserts)


async def _insert_combined(driver: Any, dialect: Dialect, inserts: list[tuple[Insert, list[dict[str, Any]]]]) -> None:
    """Every row of ``inserts`` in one statement (``_CombinedInsert``) on the asyncpg connection ``driver``."""
    shape = [(statement, tuple(rows[0])) for statement, rows in inserts]
    cache_key = tuple(shape)
    combined = _COMBINED_INSERTS.get(cache_key)
    if combined is None:
        combined = _COMBINED_INSERTS[cache_key] = _CombinedInsert.compile(shape, dialect)
    try:
        await driver.execute(combined.sql, *combined.arguments([rows for _st, rows in inserts]))
    except Exception as exc:
        raise _as_sqlalchemy_error(exc, combined.sql, driver) from exc


def _as_sqlalchemy_error(exc: Exception, sql: str, driver: Any) -> Exception:
    """The error SQLAlchemy would have raised for an error of the asyncpg connection ``driver``, so callers handle one
    kind (a constraint violated, the connection lost — as SQLAlchemy judges it: the connection is closed)."""
    import asyncpg

    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return without_values(IntegrityError(sql, None, exc, hide_parameters=True))
    lost = isinstance(exc, (asyncpg.ConnectionDoesNotExistError, OSError)) or driver.is_closed()
    if lost or isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError)):
        return without_values(DBAPIError(sql, None, exc, hide_parameters=True, connection_invalidated=lost))
    return exc


class Database:
    """One service's engine, session factory and outbox tables."""

    def __init__(self, url: str, outbox: OutboxTables, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.outbox = outbox
        #: The outbox insert (a second copy of an event, same id, is ignored), built once: ``execute_many`` keeps the
        #: driver's form of each statement it runs.
        self.outbox_insert = insert_ignore(outbox.outbox, self.engine.dialect.name)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        #: PostgreSQL connections outside any transaction block, for units of work committed by one statement.
        self.autocommit_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT") if self.dialect == "postgresql" else None
        )
        self._commit_listeners: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit that wrote outbox rows (wakes the relay)."""
        self._commit_listeners.append(listener)

    def unit_of_work(self, *, one_statement: bool = False) -> "UnitOfWork":
        """A unit of work; ``one_statement`` for one that reads with ``read`` and writes only new rows queued with
        ``write_later`` (see ``UnitOfWork``)."""
        return UnitOfWork(self, one_statement=one_statement)

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
    """Reads and writes that commit together or not at all.

    A unit of work made ``one_statement`` reads with ``read`` and writes only new rows, queued with ``write_later``,
    and its outbox events. On PostgreSQL it then has no session: it works on the driver's connection outside any
    transaction block, its reads see what is committed when each runs (as they would at READ COMMITTED, PostgreSQL's
    default), and ``commit()`` writes everything as one statement, atomic on its own — no BEGIN or COMMIT round trip,
    and none of the session's bookkeeping, on the path every filing takes. Elsewhere it is an ordinary unit of work.
    """

    def __init__(self, db: Database, *, one_statement: bool = False) -> None:
        self._db = db
        self._one_statement = one_statement and db.autocommit_engine is not None
        self._connection: AsyncConnection | None = None
        self._driver: Any = None
        self._envelopes: list[Envelope] = []
        self.session: AsyncSession
        #: What the handlers of one consumer batch share, such as rows a batch prefetch read for all of them.
        self.memo: dict[Any, Any] = {}
        self._later: dict[Insert | Update, list[dict[str, Any]]] = {}
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._after_commit: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self._db.dialect

    async def __aenter__(self) -> "UnitOfWork":
        if self._one_statement:
            self._connection = await self._db.autocommit_engine.connect()
            self._driver = (await self._connection.get_raw_connection()).driver_connection
        else:
            self.session = self._db.sessions()
        self._envelopes = []
        self.memo = {}
        self._later = {}
        self._before_commit = []
        self._after_commit = []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        self._after_commit = []  # what was not committed is not followed
        if self._connection is not None:  # one statement: nothing was written unless it ran
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                await self._connection.invalidate()  # a lost connection does not go back to the pool
            await self._connection.close()
            return
        # Objects read here stay usable (detached, loaded) after the block; anything not committed is discarded.
        self.session.expunge_all()
        await self.session.rollback()
        await self.session.close()

    async def read(self, statement: Select, params: dict[str, Any]) -> list[Any]:
        """The rows of the query ``statement`` with ``params``, as tuples. A one-statement unit of work on PostgreSQL
        runs it through the driver, prepared once; the selected columns must be ones the driver returns as they are
        stored (text, numbers, instants)."""
        if self._driver is None:
            return list((await self.session.execute(statement, params)).all())
        compiled = _driver_statement(statement, tuple(params), self._db.engine.dialect)
        try:
            return [tuple(record) for record in await self._driver.fetch(compiled.sql, *compiled.values(params))]
        except Exception as exc:
            raise _as_sqlalchemy_error(exc, compiled.sql, self._driver) from exc

    async def read_each(self, statement: Select | Insert, params: list[dict[str, Any]]) -> list[Any]:
        """``read`` once per set of ``params``: all their rows, in order. A one-statement unit of work on PostgreSQL
        sends them in one round trip (the driver's ``fetchmany``), atomic together; there ``statement`` may also be a
        write with RETURNING, such as the filing limit's UPSERT, run once for each filing of a batch."""
        if not params:
            return []
        if self._driver is None:
            return [row for one in params for row in await self.read(statement, one)]
        compiled = _driver_statement(statement, tuple(params[0]), self._db.engine.dialect)
        try:
            records = await self._driver.fetchmany(compiled.sql, [compiled.values(one) for one in params])
        except Exception as exc:
            raise _as_sqlalchemy_error(exc, compiled.sql, self._driver) from exc
        return [tuple(record) for record in records]

    def emit(self, data: EventData, *, event_id: str | None = None, time: datetime | None = None) -> Envelope:
        """Queue an event for the outbox; it is written with the next ``commit()`` and published after it.

        A deterministic ``event_id`` makes a second copy of the same event (another replica, a replay) a no-op.
        """
        envelope = data.envelope(event_id=event_id, time=time)
        self._envelopes.append(envelope)
        return envelope

    def write_later(self, statement: Insert | Update, row: dict[str, Any]) -> None:
        """Queue a row for ``statement`` — an INSERT, or an UPDATE of the row its parameters name — to run at
        ``commit()``, which runs each statement once per queued row, in order: one statement for a whole consumer
        batch. A handler that reads such rows back calls ``write_queued()`` first."""
        self._later.setdefault(statement, []).append(row)

    def write_later_all(self, statement: Insert | Update, rows: list[dict[str, Any]]) -> None:
        """``write_later`` for many rows."""
        if rows:
            self._later.setdefault(statement, []).extend(rows)

    def before_commit(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run ``step`` at the start of ``commit()``: a handler that keeps rows in memory through a batch writes
        them there, once, whatever they became."""
        self._before_commit.append(step)

    def after_commit(self, step: Callable[[], None]) -> None:
        """Call ``step`` once ``commit()`` has succeeded; never when the unit of work rolls back (left without a
        commit, or the commit failed). State outside the database — a model in memory — follows only what is
        durable."""
        self._after_commit.append(step)

    async def write_queued(self) -> None:
        """Write the rows queued by ``write_later`` now (after the session's pending changes)."""
        later, self._later = self._later, {}
        if later:
            await self.session.flush()
            await write_all(self.session, list(later.items()))

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
        after, self._after_commit = self._after_commit, []
        steps, self._before_commit = self._before_commit, []
        for step in steps:
            await step()
        envelopes, self._envelopes = self._envelopes, []
        # The queued rows and the outbox events go together: one statement on PostgreSQL.
        self.write_later_all(self._db.outbox_insert, [self._db.outbox.row(envelope) for envelope in envelopes])
        if self._driver is not None:
            later, self._later = self._later, {}
            inserts = [(statement, rows) for statement, rows in later.items() if rows]
            if not all(_combinable(statement) for statement, _rows in inserts):
                raise ValueError("a one-statement unit of work writes only new rows")
            if inserts:
                await _insert_combined(self._driver, self._db.engine.dialect, inserts)
        else:
            await self.write_queued()
            await self.session.commit()
        if envelopes:
            for listener in self._db._commit_listeners:
                listener()
        for step in after:
            step()
