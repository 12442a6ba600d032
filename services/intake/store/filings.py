"""Where a batch of filings is written: the path every complaint takes.

The writer first reads its filers' earlier complaints (the duplicate candidates, ``FilingStore.candidates``: a read of
its own, which may run while the batch before is being written) and then writes the batch's complaints, contacts,
history lines, the rows of other tables that refer to them (the filing's SMS) and its outbox events, all or nothing.

- On SQLite the write is a unit of work like any other (``shared.db``).
- On PostgreSQL it is this module's bulk helper: a connection in autocommit, the look-up as one prepared statement
  and every row of the batch as one more — each table's rows as arrays of column values (``unnest``), the tables
  after the first as data-modifying ``WITH`` clauses. One statement is atomic on its own, so the batch needs no
  transaction block: one round trip for the write instead of four (BEGIN, rows, outbox, COMMIT), and none of a
  session's work. ``bench/RESULTS.md`` has what this saves. Errors are SQLAlchemy's, as on any other path: a
  constraint violated is an ``IntegrityError``, and a lost connection leaves the pool.
"""

from __future__ import annotations

import abc
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.domain.lifecycle import Status
from services.intake.store import COMPLAINT, CONTACT, HISTORY
from shared.db import Database, UnitOfWork
from shared.outbox import Outbox

#: A repeat is linked only to a first complaint that has not been answered yet: it is then answered with it.
LINKABLE = tuple(s.value for s in Status if s not in {Status.answered, Status.closed})

#: The rows of one kind: a table and its rows, all with the same keys.
TableRows = tuple[Table, list[dict[str, Any]]]
#: The candidates of a batch: (complaint id, filer key, title, text), oldest first.
Candidate = tuple[str, str, str, str]

_COLUMNS = (COMPLAINT.c.id, COMPLAINT.c.filer_key, COMPLAINT.c.title, COMPLAINT.c.text)
_FIRST_STILL_OPEN = (COMPLAINT.c.original_id.is_(None), COMPLAINT.c.status.in_(LINKABLE))


class FilingBatch(abc.ABC):
    """One batch of filings as it is written: ``outbox.add`` for its events, then one ``write``."""

    outbox: Outbox

    @abc.abstractmethod
    async def write(self, kinds: Sequence[TableRows]) -> None:
        """Write the rows of ``kinds`` (the complaints first; a kind with no rows is left out) and the events
        added to ``outbox``, all or nothing."""


class FilingStore:
    """The duplicate look-up and the batches of one database."""

    #: The look-up on SQLite, the filer keys expanded into a list.
    _CANDIDATES = (select(*_COLUMNS)
                   .where(COMPLAINT.c.filer_key.in_(bindparam("keys", expanding=True)),
                          COMPLAINT.c.received_at >= bindparam("since"), *_FIRST_STILL_OPEN)
                   .order_by(COMPLAINT.c.received_at, COMPLAINT.c.id))
    #: The look-up on PostgreSQL, the filer keys as one array: one prepared statement whatever their number.
    _CANDIDATES_ON_POSTGRES = (
        f"SELECT {', '.join(c.name for c in _COLUMNS)} FROM {COMPLAINT.name} "
        f"WHERE {COMPLAINT.c.filer_key.name} = ANY($1::text[]) AND {COMPLAINT.c.received_at.name} >= $2 "
        f"AND {COMPLAINT.c.original_id.name} IS NULL AND {COMPLAINT.c.status.name} = ANY($3::text[]) "
        f"ORDER BY {COMPLAINT.c.received_at.name}, {COMPLAINT.c.id.name}"
    )

    def __init__(self, db: Database) -> None:
        self._db = db
        self._autocommit = (db.engine.execution_options(isolation_level="AUTOCOMMIT")
                            if db.dialect == "postgresql" else None)

    async def candidates(self, filer_keys: Sequence[str], since: datetime) -> list[Candidate]:
        """The first complaints (not linked to another) still open of the filers ``filer_keys``, received since
        ``since``, oldest first: what was committed when the look-up began."""
        if self._autocommit is None:
            async with self._db.unit_of_work() as uow:
                rows = await uow.read(self._CANDIDATES, {"keys": list(filer_keys), "since": since})
            return [tuple(row) for row in rows]
        async with self._autocommit.connect() as connection:
            result = await connection.exec_driver_sql(self._CANDIDATES_ON_POSTGRES,
                                                      (list(filer_keys), since, list(LINKABLE)))
            return [tuple(row) for row in result.all()]

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[FilingBatch]:
        if self._autocommit is None:
            async with self._db.unit_of_work() as uow:
                yield _InUnitOfWork(uow)
            return
        async with self._autocommit.connect() as connection:
            yield _OnPostgres(self._db, connection)


class _InUnitOfWork(FilingBatch):
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.outbox = uow.outbox

    async def write(self, kinds: Sequence[TableRows]) -> None:
        for table, rows in kinds:
            if rows:
                self._uow.write(insert(table), rows)
        await self._uow.commit()


class _OnPostgres(FilingBatch):
    def __init__(self, db: Database, connection: AsyncConnection) -> None:
        self._db = db
        self._connection = connection
        self.outbox = Outbox(db.outbox)

    async def write(self, kinds: Sequence[TableRows]) -> None:
        kinds = [(table, rows) for table, rows in (*kinds, (self._db.outbox.outbox, self.outbox.rows())) if rows]
        shape = tuple((table, tuple(rows[0])) for table, rows in kinds)
        arguments = []
        for (table, keys), (_table, rows) in zip(shape, kinds):
            for key in keys:
                column = [row[key] for row in rows]
                if isinstance(table.c[key].type, JSON):
                    column = [None if value is None else json.dumps(value) for value in column]
                arguments.append(column)
        await self._connection.exec_driver_sql(_statement(shape), tuple(arguments))
        self._db.committed()


_STATEMENTS: dict[tuple[Any, ...], str] = {}


def _statement(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> str:
    """The batch's one statement, per set of tables and columns: each column's values as one typed array parameter,
    in the order of ``shape``. Its text does not depend on how many rows there are, so the driver prepares it once."""
    statement = _STATEMENTS.get(shape)
    if statement is None:
        dialect = postgresql.dialect()
        quote = dialect.identifier_preparer
        inserts, number = [], 0
        for table, keys in shape:
            arrays = []
            for key in keys:
                number += 1
                arrays.append(f"${number}::{table.c[key].type.compile(dialect=dialect)}[]")
            inserts.append(f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(k) for k in keys)}) "
                           f"SELECT * FROM unnest({', '.join(arrays)})")
        first, *others = inserts
        clauses = ", ".join(f"filed_{i} AS ({clause})" for i, clause in enumerate(others))
        statement = _STATEMENTS[shape] = f"WITH {clauses} {first}" if others else first
    return statement
