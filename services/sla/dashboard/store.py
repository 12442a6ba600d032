"""The dashboard's statements on its projection: the reads of the pages (the complaint rows a period's figures need,
the period's reopenings and returns, one complaint's timeline) and the writes of its consumer (``handlers.py``), which
reads a batch's rows once, works on them as plain values and writes them at commit (``shared.rows``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import insert, or_, select

from services.sla.dashboard import returns
from services.sla.dashboard.periods import Period
from services.sla.dashboard.projection import ReportComplaint, ReportEvent
from shared.db import Database, UnitOfWork
from shared.rows import Row, Rows

REPORT = ReportComplaint.__table__
ROWS = Rows(REPORT)
INSERT_EVENT = insert(ReportEvent.__table__)

#: The timeline kind of ``complaint.reopened`` (``handlers.short_type``).
REOPENED = "reopened"


async def rows_for(db: Database, period: Period, policy: str | None = None) -> list[ReportComplaint]:
    """Every complaint that can count in ``period`` or is open now: received before the period's end, and open,
    or received, answered or rated since the period's start."""
    query = select(ReportComplaint).where(
        ReportComplaint.duplicate_of.is_(None),
        or_(ReportComplaint.received_at.is_(None), ReportComplaint.received_at < period.end),
        or_(
            ReportComplaint.answered.is_(False),
            ReportComplaint.last_answered_at.is_(None),
            ReportComplaint.last_answered_at >= period.start,
            ReportComplaint.received_at >= period.start,
            ReportComplaint.first_rated_at >= period.start,
            ReportComplaint.rated_at >= period.start,
        ),
    )
    if policy:
        query = query.where(ReportComplaint.policy == policy)
    async with db.unit_of_work() as uow:
        return list((await uow.session.scalars(query)).all())


async def _entries(db: Database, policy: str | None, *conditions: Any) -> list[tuple[ReportEvent, ReportComplaint]]:
    """Timeline entries meeting ``conditions``, each with its complaint's row (duplicates left out)."""
    query = (
        select(ReportEvent, ReportComplaint)
        .join(ReportComplaint, ReportComplaint.complaint_id == ReportEvent.complaint_id)
        .where(*conditions, ReportComplaint.duplicate_of.is_(None))
    )
    if policy:
        query = query.where(ReportComplaint.policy == policy)
    async with db.unit_of_work() as uow:
        return [(event, row) for event, row in (await uow.session.execute(query)).all()]


async def reopenings(db: Database, period: Period, policy: str | None = None
                     ) -> list[tuple[ReportEvent, ReportComplaint]]:
    """The reopenings (不满意重办) in ``period`` — their timeline entries — each with its complaint's row."""
    return await _entries(db, policy, ReportEvent.kind == REOPENED, ReportEvent.at >= period.start,
                          ReportEvent.at < period.end)


async def entries(db: Database, kind: str, period: Period, policy: str | None = None
                  ) -> list[tuple[ReportEvent, ReportComplaint]]:
    """The timeline entries of one kind in ``period``, each with its complaint's row."""
    return await _entries(db, policy, ReportEvent.kind == kind, ReportEvent.at >= period.start,
                          ReportEvent.at < period.end)


async def return_entries(db: Database, period: Period, policy: str | None = None
                         ) -> list[tuple[ReportEvent, ReportComplaint]]:
    """The timeline entries of returns and their review since the period's start (a request in the period is decided
    in it or later), each with its complaint's row."""
    return await _entries(db, policy, ReportEvent.kind.in_(returns.KINDS), ReportEvent.at >= period.start)


async def open_rows(db: Database, policy: str | None = None) -> list[ReportComplaint]:
    query = select(ReportComplaint).where(
        ReportComplaint.answered.is_(False), ReportComplaint.closed_at.is_(None),
        ReportComplaint.duplicate_of.is_(None), ReportComplaint.due_at.is_not(None),
    )
    if policy:
        query = query.where(ReportComplaint.policy == policy)
    async with db.unit_of_work() as uow:
        return list((await uow.session.scalars(query)).all())


async def complaint(db: Database, complaint_id: str) -> tuple[ReportComplaint | None, list[ReportEvent]]:
    async with db.unit_of_work() as uow:
        row = await uow.session.get(ReportComplaint, complaint_id)
        events = list((await uow.session.scalars(
            select(ReportEvent).where(ReportEvent.complaint_id == complaint_id)
            .order_by(ReportEvent.at, ReportEvent.event_id)
        )).all())
    return row, events


async def policies_seen(db: Database) -> list[str]:
    async with db.unit_of_work() as uow:
        result = await uow.session.scalars(
            select(ReportComplaint.policy).where(ReportComplaint.policy.is_not(None)).distinct()
        )
        return sorted(p for p in result.all() if p)


# --- the consumer's writes --------------------------------------------------------------------------------------------


#: ``uow.memo`` key: the complaints read and found without a projection row (one is added when a handler asks).
_ABSENT = "dashboard.absent"


async def read_rows(uow: UnitOfWork, ids: Collection[str]) -> None:
    """Read, in one query, the projection rows of ``ids`` this unit of work has not read yet (locked on
    PostgreSQL)."""
    absent: set[str] = uow.memo.setdefault(_ABSENT, set())
    todo = sorted(i for i in set(ids) - absent if ROWS.known(uow, i) is None)
    if not todo:
        return
    query = ROWS.columns.where(REPORT.c.complaint_id.in_(todo)).order_by(REPORT.c.complaint_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    absent.update(todo)
    absent.difference_update(found.complaint_id for found in await ROWS.read(uow, query))


async def row(uow: UnitOfWork, complaint_id: str) -> Row:
    """The complaint's projection row as this unit of work has it so far (a new one when it has none)."""
    await read_rows(uow, [complaint_id])
    found = ROWS.known(uow, complaint_id)
    if found is None:
        uow.memo[_ABSENT].discard(complaint_id)
        found = ROWS.add(uow, complaint_id=complaint_id)
    return found


def timeline(uow: UnitOfWork, entry: dict[str, Any]) -> None:
    """One entry of a complaint's timeline, written at commit."""
    uow.write(INSERT_EVENT, entry)
