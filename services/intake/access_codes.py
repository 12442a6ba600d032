"""Following a complaint up by phone: its short access code, and an operator's own complaints.

A caller is read the tracking number (TS…) and a 6-digit access code at filing; with both, the caller — or an
operator for a caller on the line — gets the filer's access to the complaint without the long token. The code is
random (``secrets``) and stored only as a random salt and an HMAC (SHA-256, keyed with ``AUTH_SECRET``) of the salt
and the code: the database holds nothing a reader could turn back into the code without the secret, and the same code
on two complaints is stored differently. It is shown once, in the filing's answer; a retry with the same
Idempotency-Key makes a new one (only its client can replay the filing), so the code of the last answer works.

Guessing is bounded by ``ratelimit.AccessCodeLimit``: every try counts against its client, every wrong code against
the tracking number, which is then locked — even the right code waits until the lock ends. A wrong pair and an
unknown number answer alike (404), and count alike, so the answers tell nothing about which numbers exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, update

from services.intake.errors import NotFound, TooManyTries
from services.intake.domain.lifecycle import status_zh
from services.intake.models import Complaint, FilerContact
from services.intake.queue import decode_cursor, encode_cursor
from services.intake.ratelimit import AccessCodeLimit
from services.intake.schemas import QueuePage
from services.intake.views import queue_item
from shared.db import Database

COMPLAINT = Complaint.__table__
CODE_DIGITS = 6
_REPLACE_CODE = update(COMPLAINT).where(COMPLAINT.c.id == bindparam("target_id"))


def new_code() -> str:
    """A random 6-digit access code (leading zeros kept)."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(secret: str, code: str, salt: str | None = None) -> str:
    """The stored form of ``code``: ``<salt>:<HMAC-SHA256 of the salt and the code>`` (a new salt unless given)."""
    salt = salt or secrets.token_hex(8)
    mac = hmac.new(secret.encode(), f"access-code\n{salt}\n{code}".encode(), hashlib.sha256).hexdigest()
    return f"{salt}:{mac}"


def code_matches(secret: str, code: str, stored: str | None) -> bool:
    if not stored or ":" not in stored:
        return False
    return hmac.compare_digest(code_digest(secret, code, stored.partition(":")[0]), stored)


async def replace_code(db: Database, complaint_id: str, digest: str) -> None:
    """A new code for a complaint (a replayed filing answers with a new one: the first answer may never have come)."""
    async with db.unit_of_work() as uow:
        uow.write(_REPLACE_CODE, {"target_id": complaint_id, "access_code_digest": digest})
        await uow.commit()


@dataclass(frozen=True)
class Found:
    """The complaint a tracking number and its code open."""

    id: str
    tracking_number: str
    status: str

    @property
    def status_zh(self) -> str:
        return status_zh(self.status)


_BY_NUMBER = (select(COMPLAINT.c.id, COMPLAINT.c.tracking_number, COMPLAINT.c.status, COMPLAINT.c.access_code_digest)
              .where(COMPLAINT.c.tracking_number == bindparam("number")))


async def open_with_code(db: Database, limit: AccessCodeLimit, secret: str, *, client: str, tracking_number: str,
                         code: str, now: datetime) -> Found:
    """The complaint of ``tracking_number`` when ``code`` is its access code; 429 (``TooManyTries``) when ``client``
    or the number is limited, 404 when the pair is wrong or the number unknown (counted against the number)."""
    wait = await limit.admit(client, tracking_number, now)
    if wait:
        raise TooManyTries(wait)
    async with db.unit_of_work() as uow:
        rows = (await uow.session.execute(_BY_NUMBER, {"number": tracking_number})).all()
    if not rows or not code_matches(secret, code, rows[0][3]):
        await limit.wrong(tracking_number, now)
        raise NotFound()
    complaint_id, number, status, _ = rows[0]
    return Found(complaint_id, number, status)


async def filed_by(db: Database, actor: str, *, cursor: str | None, limit: int, now: datetime) -> QueuePage:
    """The complaints ``actor`` (an operator) filed, newest first, a page at a time (mobile numbers masked)."""
    query = (select(Complaint, FilerContact.mobile)
             .join(FilerContact, FilerContact.complaint_id == Complaint.id, isouter=True)
             .where(Complaint.filed_by == actor))
    if cursor:
        received_at, last_id = decode_cursor(cursor)
        if received_at is not None:
            query = query.where(or_(Complaint.received_at < received_at,
                                    and_(Complaint.received_at == received_at, Complaint.id < last_id)))
    query = query.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit + 1)
    async with db.unit_of_work() as uow:
        rows = [(row[0], row[1]) for row in (await uow.session.execute(query)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    items = [queue_item(c, mobile, role="operator", now=now) for c, mobile in rows]
    next_cursor = encode_cursor(rows[-1][0].received_at, rows[-1][0].id) if more else None
    return QueuePage(items=items, next_cursor=next_cursor)
