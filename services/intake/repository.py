"""Queries on intake's tables. Repositories execute and flush; the unit of work commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, update
from sqlmodel import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Complaint, Cooperation, FilerContact, HistoryEntry, Message
from services.intake.visible import in_township
from shared.db import execute_many

COMPLAINT = Complaint.__table__
HISTORY = HistoryEntry.__table__
INSERT_HISTORY = insert(HISTORY)
MESSAGE = Message.__table__
COOPERATION = Cooperation.__table__


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, complaint_id: str) -> Complaint | None:
        """The complaint as the database has it now — also after a Core update earlier in the same transaction
        (a consumer applies a batch of events in one transaction)."""
        return await self.session.get(Complaint, complaint_id, populate_existing=True)

    async def contact(self, complaint_id: str) -> FilerContact | None:
        return await self.session.get(FilerContact, complaint_id)

    async def update(self, complaint_id: str, now: datetime, **values: Any) -> None:
        """A transition: change the complaint and bump its version."""
        await self.session.execute(
            update(COMPLAINT)
            .where(COMPLAINT.c.id == complaint_id)
            .values(updated_at=now, version=COMPLAINT.c.version + 1, **values)
        )

    async def update_if_version(self, complaint_id: str, version: int, now: datetime, **values: Any) -> bool:
        """A transition guarded by the version the caller read (optimistic concurrency); False when it moved on."""
        result = await self.session.execute(
            update(COMPLAINT)
            .where(COMPLAINT.c.id == complaint_id, COMPLAINT.c.version == version)
            .values(updated_at=now, version=version + 1, **values)
        )
        return result.rowcount == 1

    async def annotate(self, complaint_id: str, **values: Any) -> bool:
        """Information that is not a transition (deadlines, overdue): no version bump, so nobody's If-Match breaks.
        False when there is no such complaint."""
        result = await self.session.execute(update(COMPLAINT).where(COMPLAINT.c.id == complaint_id).values(**values))
        return result.rowcount == 1

    async def record(self, complaint_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
        await execute_many(self.session, INSERT_HISTORY, [
            {"complaint_id": complaint_id, "at": at, "actor": actor, "action": action, "detail": detail}
        ])

    async def history(self, complaint_id: str) -> list[HistoryEntry]:
        result = await self.session.scalars(
            select(HistoryEntry).where(HistoryEntry.complaint_id == complaint_id).order_by(HistoryEntry.id)
        )
        return list(result.all())

    # --- correspondence and cooperating departments -----------------------------------------------------------------

    async def add_message(self, complaint_id: str, at: datetime, actor: str, department: str | None, kind: str,
                          text: str, *, to_filer: bool) -> None:
        await self.session.execute(insert(MESSAGE), {
            "complaint_id": complaint_id, "at": at, "actor": actor, "department": department, "kind": kind,
            "text": text, "to_filer": to_filer,
        })

    async def messages(self, complaint_id: str, *, to_filer_only: bool) -> list[Message]:
        query = select(Message).where(Message.complaint_id == complaint_id)
        if to_filer_only:
            query = query.where(Message.to_filer.is_(True))
        return list((await self.session.scalars(query.order_by(Message.id))).all())

    async def cooperating(self, complaint_id: str) -> list[str]:
        result = await self.session.scalars(
            select(Cooperation.department).where(Cooperation.complaint_id == complaint_id)
            .order_by(Cooperation.added_at, Cooperation.department)
        )
        return list(result.all())

    async def add_cooperation(self, complaint_id: str, department: str, at: datetime, by: str) -> bool:
        if await self.session.get(Cooperation, (complaint_id, department)) is not None:
            return False
        await self.session.execute(insert(COOPERATION), {
            "complaint_id": complaint_id, "department": department, "added_at": at, "added_by": by,
        })
        return True

    async def remove_cooperation(self, complaint_id: str, department: str) -> None:
        await self.session.execute(delete(COOPERATION).where(
            COOPERATION.c.complaint_id == complaint_id, COOPERATION.c.department == department
        ))

    # --- duplicates ---------------------------------------------------------------------------------------------------

    async def linked_duplicates(self, original_id: str) -> list[Complaint]:
        result = await self.session.scalars(
            select(Complaint).where(Complaint.original_id == original_id).order_by(Complaint.received_at)
        )
        return list(result.all())

    # --- queues -------------------------------------------------------------------------------------------------------

    async def page(
        self,
        *,
        department: str | None = None,
        cooperating_department: str | None = None,
        statuses: Collection[str],
        overdue: bool | None = None,
        due_before: datetime | None = None,
        township: str | None = None,
        now: datetime,
        order: str = "due_at",
        after: tuple[datetime | None, str] | None = None,
        limit: int = 50,
    ) -> list[tuple[Complaint, str | None]]:
        """One page of complaints with the filer's mobile (to be masked), ordered by ``order`` (``due_at`` or
        ``received_at``) ascending with empty values last, then by id; ``after`` is the last row of the previous page.
        """
        key = COMPLAINT.c[order]
        query = (
            select(Complaint, FilerContact.mobile)
            .join(FilerContact, FilerContact.complaint_id == Complaint.id, isouter=True)
            .where(Complaint.status.in_(list(statuses)))
        )
        if department is not None:
            query = query.where(Complaint.department == department)
        if cooperating_department is not None:
            query = query.join(Cooperation, and_(Cooperation.complaint_id == Complaint.id,
                                                 Cooperation.department == cooperating_department))
        late = or_(Complaint.overdue.is_(True), and_(Complaint.due_at.is_not(None), Complaint.due_at < now))
        if overdue is True:
            query = query.where(late)
        elif overdue is False:
            query = query.where(~late)
        if due_before is not None:
            query = query.where(Complaint.due_at.is_not(None), Complaint.due_at < due_before)
        if township is not None:  # a township handler's queue: its township's complaints only
            query = query.where(in_township(township))
        if after is not None:
            value, last_id = after
            if value is None:
                query = query.where(key.is_(None), COMPLAINT.c.id > last_id)
            else:
                query = query.where(or_(key > value, and_(key == value, COMPLAINT.c.id > last_id), key.is_(None)))
        query = query.order_by(case((key.is_(None), 1), else_=0), key, COMPLAINT.c.id).limit(limit)
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def unrated_answered(self, answered_before: datetime, limit: int) -> list[Complaint]:
        result = await self.session.scalars(
            select(Complaint)
            .where(Complaint.answered_at.is_not(None), Complaint.answered_at <= answered_before,
                   Complaint.status == "answered")
            .order_by(Complaint.answered_at)
            .limit(limit)
        )
        return list(result.all())
