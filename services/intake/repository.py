"""Queries on intake's tables. Repositories execute and flush; the unit of work commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Complaint, FilerContact, HistoryEntry

COMPLAINT = Complaint.__table__
CONTACT = FilerContact.__table__
HISTORY = HistoryEntry.__table__


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, complaint: dict[str, Any], contact: dict[str, Any], history: dict[str, Any]) -> None:
        """Insert a new complaint, its contact row and first history entry (SQLAlchemy Core: the filing hot path)."""
        await self.session.execute(insert(COMPLAINT), complaint)
        await self.session.execute(insert(CONTACT), contact)
        await self.session.execute(insert(HISTORY), history)

    async def get(self, complaint_id: str) -> Complaint | None:
        return await self.session.get(Complaint, complaint_id)

    async def by_idempotency_key(self, key: str) -> Complaint | None:
        result = await self.session.scalars(select(Complaint).where(Complaint.idempotency_key == key))
        return result.first()

    async def contact(self, complaint_id: str) -> FilerContact | None:
        return await self.session.get(FilerContact, complaint_id)

    async def update(self, complaint_id: str, now: datetime, **values: Any) -> None:
        await self.session.execute(
            update(COMPLAINT)
            .where(COMPLAINT.c.id == complaint_id)
            .values(updated_at=now, version=COMPLAINT.c.version + 1, **values)
        )

    async def record(self, complaint_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
        await self.session.execute(
            insert(HISTORY), {"complaint_id": complaint_id, "at": at, "actor": actor, "action": action,
                              "detail": detail}
        )

    async def history(self, complaint_id: str) -> list[HistoryEntry]:
        result = await self.session.scalars(
            select(HistoryEntry).where(HistoryEntry.complaint_id == complaint_id).order_by(HistoryEntry.id)
        )
        return list(result.all())
