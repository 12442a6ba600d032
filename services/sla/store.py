"""The SLA service's statements: its clocks, audit trail and fired steps (the tables are in ``models.py``).

A unit of work reads a complaint's clocks once and works on them as plain values (``shared.rows``): clocks opened by
a routing and stopped by an answer in the same batch are written once, at commit, as the batch left them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from services.sla.models import OPEN, AuditEntry, Clock, FiredStep
from shared.db import UnitOfWork
from shared.outbox import insert_ignore
from shared.rows import Row, Rows

CLOCKS = Rows(Clock.__table__)
CLOCK = Clock.__table__
INSERT_AUDIT = insert(AuditEntry.__table__)
FIRED = FiredStep.__table__
#: ``uow.memo`` key: complaint id → its clocks as the unit of work has them, in the order they were opened.
_BY_COMPLAINT = "sla.clocks"


def _by_complaint(uow: UnitOfWork) -> dict[str, list[Row]]:
    return uow.memo.setdefault(_BY_COMPLAINT, {})


async def read_clocks(uow: UnitOfWork, complaint_ids: Collection[str]) -> None:
    """Read, in one query, the clocks of the complaints ``complaint_ids`` this unit of work has not read yet."""
    known = _by_complaint(uow)
    todo = sorted(set(complaint_ids) - known.keys())
    if not todo:
        return
    for complaint_id in todo:
        known[complaint_id] = []
    for row in await CLOCKS.read(uow, CLOCKS.columns.where(CLOCK.c.complaint_id.in_(todo)).order_by(CLOCK.c.id)):
        known[row.complaint_id].append(row)


async def clocks_of(uow: UnitOfWork, complaint_id: str, **where: Any) -> list[Row]:
    """The complaint's clocks as this unit of work has them (those it opened included), with the column values
    ``where`` names."""
    await read_clocks(uow, [complaint_id])
    return [clock for clock in _by_complaint(uow)[complaint_id]
            if all(getattr(clock, column) == value for column, value in where.items())]


def open_clock(uow: UnitOfWork, **values: Any) -> Row:
    """A new clock of a complaint whose clocks this unit of work has read; inserted at commit as it then is."""
    clock = CLOCKS.add(uow, **values)
    _by_complaint(uow)[clock.complaint_id].append(clock)
    return clock


async def due_clocks(uow: UnitOfWork, now: datetime, limit: int) -> list[Row]:
    """Up to ``limit`` open clocks with a step due at ``now``, soonest first (on PostgreSQL, locked, skipping those
    another replica's sweep holds)."""
    query = (
        CLOCKS.columns
        .where(CLOCK.c.status == OPEN, CLOCK.c.next_fire_at.is_not(None), CLOCK.c.next_fire_at <= now)
        .order_by(CLOCK.c.next_fire_at)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await CLOCKS.read(uow, query)


def audit(uow: UnitOfWork, complaint_id: str, at: datetime, actor: str, action: str, **detail: Any) -> None:
    uow.write(INSERT_AUDIT, {"complaint_id": complaint_id, "at": at, "actor": actor, "action": action,
                             "detail": detail})


async def record_fired(uow: UnitOfWork, rows: list[dict[str, Any]]) -> set[tuple[str, str, int, int]]:
    """Insert the fired-step rows now (one statement); returns the keys that were new — the steps to fire, those
    another replica fired already left out."""
    if not rows:
        return set()
    result = await uow.session.execute(
        insert_ignore(FIRED, uow.dialect).returning(FIRED.c.complaint_id, FIRED.c.milestone, FIRED.c.revision,
                                                    FIRED.c.step),
        rows,
    )
    return {tuple(row) for row in result.all()}
