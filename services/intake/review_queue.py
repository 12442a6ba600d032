"""The center's review queue of returns (派单异议审核): every complaint whose department asked to return it, most
urgent first (its clocks keep running during the review), each with the return's reason, suggested department, who
asked and when, and whether a supervisor's permit let it through."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import select

from services.intake.domain.lifecycle import Status
from services.intake.models import HistoryEntry
from services.intake.queue import QueueFilter, page
from services.intake.schemas import QueueItem
from shared.calendar import SHANGHAI
from shared.db import Database


class ReturnQueueItem(QueueItem):
    #: The department that asks to return it (``department``: it still holds it), its reason and suggestion.
    returned_by: str
    reason: str
    suggested_department: str | None
    requested_by: str
    requested_at: datetime
    #: Why the return needed a supervisor's permit (``late``, ``again``) and who gave it; empty and null otherwise.
    needed_permit: list[str]
    permitted_by: str | None


class ReturnQueuePage(BaseModel):
    items: list[ReturnQueueItem]
    next_cursor: str | None


async def _requests(db: Database, ids: list[str]) -> dict[str, HistoryEntry]:
    """The latest return request of each complaint."""
    async with db.unit_of_work() as uow:
        entries = await uow.session.scalars(
            select(HistoryEntry).where(HistoryEntry.complaint_id.in_(ids), HistoryEntry.action == "return_requested")
            .order_by(HistoryEntry.id)
        )
        return {e.complaint_id: e for e in entries.all()}


async def review_page(db: Database, *, now: datetime, cursor: str | None, limit: int) -> ReturnQueuePage:
    found = await page(db, now=now, filters=QueueFilter((Status.return_review.value,)), cursor=cursor, limit=limit,
                       role="review")
    requests = await _requests(db, [item.id for item in found.items])
    items = []
    for item in found.items:
        request = requests.get(item.id)
        if request is None:
            continue
        detail = request.detail
        items.append(ReturnQueueItem(
            **item.model_dump(), returned_by=detail.get("department") or "", reason=detail.get("reason") or "",
            suggested_department=detail.get("suggested_department"), requested_by=request.actor,
            requested_at=request.at.astimezone(SHANGHAI), needed_permit=list(detail.get("needed_permit") or []),
            permitted_by=detail.get("permitted_by"),
        ))
    return ReturnQueuePage(items=items, next_cursor=found.next_cursor)
