"""The database engine of every service, and errors that carry none of a statement's data.

Engines run on SQLAlchemy 2 async (asyncpg for PostgreSQL, aiosqlite for the embedded default). A database error
never carries the data of its statement (a filing's text, an enterprise's credit code, a contact's mobile), so whatever
logs it logs none: every engine hides statement parameters, and ``without_values`` strips what the driver quotes of the
data on the engine's errors (its ``handle_error`` hook).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import EmulatedDBAPIException, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
