"""Rows a unit of work reads once, works on as plain values, and writes at its commit.

A consumer batch applies many events, several of which may concern the same row: a handler reads the row through
``Rows`` — from the database the first time, from the batch after that — changes its values, and ``commit()`` writes
what the batch made of it: the new rows in one INSERT, the changed ones in one UPDATE per set of changed columns. No
handler reads back what another wrote, and none depends on what the database has not been told yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.sql.selectable import Select

from shared.db import UnitOfWork


def column_defaults(table: Table) -> dict[str, Any]:
    """Each column of ``table`` at its model default (None where there is none): a new row built as plain values."""
    return {c.name: c.default.arg if c.default is not None and c.default.is_scalar else None for c in table.columns}


class Row:
    """A row while a unit of work works on it: its columns as attributes. It remembers which columns changed."""

    __slots__ = ("values", "changed", "new")

    def __init__(self, values: dict[str, Any], *, new: bool) -> None:
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "changed", set())
        object.__setattr__(self, "new", new)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.values:
            raise AttributeError(f"the row has no column {name!r}")
        if self.values[name] != value or type(self.values[name]) is not type(value):
            self.values[name] = value
            self.changed.add(name)


class Rows:
    """The rows of ``table`` a unit of work tracks (its primary key is one column). ``new`` rows leave out the
    columns the database fills (an autoincrement key)."""

    def __init__(self, table: Table) -> None:
        (key,) = table.primary_key.columns
        self.table = table
        self.key = key.name
        self._generated = {key.name} if key.autoincrement is True or (
            key.autoincrement == "auto" and key.type.python_type is int) else set()
        self.defaults = {k: v for k, v in column_defaults(table).items() if k not in self._generated}
        self._insert = insert(table)
        #: Per set of columns: the UPDATE setting them on the row ``target_id`` names.
        self._updates: dict[tuple[str, ...], Any] = {}
        self.columns = select(*table.columns)

    def tracked(self, uow: UnitOfWork) -> list[Row]:
        """The rows ``uow`` tracks, in the order it met them; the first call registers their writing at commit."""
        memo = uow.memo.get(self)
        if memo is None:
            memo = uow.memo[self] = ({}, [])
            uow.before_commit(lambda: self._write(uow))
        return memo[1]

    def known(self, uow: UnitOfWork, key: Any) -> Row | None:
        """The row ``key`` names if ``uow`` already tracks it."""
        self.tracked(uow)
        return uow.memo[self][0].get(key)

    async def read(self, uow: UnitOfWork, query: Select) -> list[Row]:
        """The rows ``query`` (on ``self.columns``) finds, as this unit of work has them: a row it already tracks is
        its tracked copy, not the database's."""
        rows = self.tracked(uow)
        by_key = uow.memo[self][0]
        found = []
        for values in (await uow.session.execute(query)).mappings().all():
            row = by_key.get(values[self.key])
            if row is None:
                row = by_key[values[self.key]] = Row(dict(values), new=False)
                rows.append(row)
            found.append(row)
        return found

    def add(self, uow: UnitOfWork, **values: Any) -> Row:
        """A new row, at the model's defaults but for ``values``; inserted at commit."""
        row = Row({**self.defaults, **values}, new=True)
        self.tracked(uow).append(row)
        if self.key in row.values and row.values[self.key] is not None:
            uow.memo[self][0][row.values[self.key]] = row
        return row

    def _write(self, uow: UnitOfWork) -> None:
        """Queue what the unit of work made of its rows: the new ones together, the changed ones grouped by what
        changed."""
        changed: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        new: list[dict[str, Any]] = []
        for row in uow.memo[self][1]:
            if row.new:
                new.append(row.values)
            elif row.changed:
                columns = tuple(sorted(row.changed))
                changed[columns].append({"target_id": row.values[self.key], **{c: row.values[c] for c in columns}})
        if new:
            uow.write(self._insert, new)
        for columns, rows in changed.items():
            statement = self._updates.get(columns)
            if statement is None:
                key = self.table.c[self.key]
                statement = self._updates[columns] = update(self.table).where(key == bindparam("target_id"))
            uow.write(statement, rows)


def keyed(rows: Iterable[Row], column: str) -> dict[Any, list[Row]]:
    """``rows`` grouped by the value of ``column``, in order."""
    grouped: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.values[column]].append(row)
    return grouped
