"""Reads of the dashboard's projection: the complaint rows a period's figures need, the period's reopenings, and one
complaint's timeline."""

from __future__ import annotations

from sqlalchemy import or_, select

from services.sla.dashboard.figures import Period
from services.sla.dashboard.projection import ReportComplaint, ReportEvent
from shared.db import Database

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


async def reopenings(db: Database, period: Period, policy: str | None = None
                     ) -> list[tuple[ReportEvent, ReportComplaint]]:
    """The reopenings (不满意重办) in ``period`` — their timeline entries — each with its complaint's row."""
    return await entries(db, REOPENED, period, policy)


async def entries(db: Database, kind: str, period: Period, policy: str | None = None
                  ) -> list[tuple[ReportEvent, ReportComplaint]]:
    """The timeline entries of one kind in ``period``, each with its complaint's row."""
    query = (
        select(ReportEvent, ReportComplaint)
        .join(ReportComplaint, ReportComplaint.complaint_id == ReportEvent.complaint_id)
        .where(ReportEvent.kind == kind, ReportEvent.at >= period.start, ReportEvent.at < period.end,
               ReportComplaint.duplicate_of.is_(None))
    )
    if policy:
        query = query.where(ReportComplaint.policy == policy)
    async with db.unit_of_work() as uow:
        return [(event, row) for event, row in (await uow.session.execute(query)).all()]


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
