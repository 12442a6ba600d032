"""Work queues: a department's queue (most urgent first), the complaints it cooperates on, the dispatcher's triage.

Ordering is by deadline ascending with complaints without one last, then by id; pages are cut by an opaque cursor
(URL-safe base64 of the last row's sort key and id), so a page stays stable while new complaints arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from services.intake.errors import Unprocessable
from services.intake.domain.lifecycle import WORKING, Status
from services.intake.store import ComplaintRepository
from services.intake.schemas import QueuePage
from services.intake.views import queue_item
from shared.db import Database

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[str, ...] = tuple(s.value for s in WORKING)
    overdue: bool | None = None
    due_before: datetime | None = None


def parse_statuses(raw: list[str] | None, default: Collection[Status]) -> tuple[str, ...]:
    if not raw:
        return tuple(s.value for s in default)
    names = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    known = {s.value for s in Status}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise Unprocessable("status", "status_unknown", f"Unknown status {unknown}; one of: {sorted(known)}",
                            f"未知状态 {unknown}，可选：{'、'.join(sorted(known))}")
    return tuple(dict.fromkeys(names))


def encode_cursor(key: datetime | None, complaint_id: str) -> str:
    raw = json.dumps([key.isoformat() if key else None, complaint_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, complaint_id = json.loads(raw)
        return (datetime.fromisoformat(key) if key else None), str(complaint_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise Unprocessable("cursor", "cursor_invalid", "Not a cursor this API returned",
                            "游标无效，请使用接口返回的 next_cursor") from exc


async def page(
    db: Database, *, now: datetime, filters: QueueFilter, cursor: str | None, limit: int, role: str,
    department: str | None = None, cooperating_department: str | None = None, order: str = "due_at",
    township: str | None = None,
) -> QueuePage:
    limit = max(1, min(limit, MAX_LIMIT))
    after = decode_cursor(cursor) if cursor else None
    async with db.unit_of_work() as uow:
        rows = await ComplaintRepository(uow).page(
            department=department, cooperating_department=cooperating_department, statuses=filters.statuses,
            overdue=filters.overdue, due_before=filters.due_before, township=township, now=now, order=order,
            after=after, limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [queue_item(c, mobile, role=role, now=now) for c, mobile in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1][0]
        next_cursor = encode_cursor(getattr(last, order), last.id)
    return QueuePage(items=items, next_cursor=next_cursor)
