"""Filing on the hot path: concurrent filings are written together (group commit).

A filing arrives validated; the writer takes every filing that is waiting (up to ``max_batch``), looks up duplicate
candidates for all their filers at once, writes the complaints, contact rows, history entries, SMS rows and outbox
events together, all or nothing (``store.filings``: one statement for the whole batch on PostgreSQL), and answers
each caller. Nothing is acknowledged before its commit. When a batch hits a constraint (an Idempotency-Key raced by a
concurrent retry, a tracking-number clash), each of its filings is written alone, so one bad filing never fails the
others.

The look-up of a batch runs while the batch before it is being written: under load, a batch's time is its write
alone. That look-up may not see the batch being written, so the writer adds the first complaints of the batches it
wrote since the look-up began (it keeps them in memory) to what the look-up read.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from services.intake.domain.duplicates import filer_key, find_original
from services.intake.domain.lifecycle import Status
from services.intake.models import Complaint
from services.intake.notify.compose import SMS, filing_notice
from services.intake.store import COMPLAINT, CONTACT, HISTORY
from services.intake.store.filings import Candidate, FilingStore
from services.intake.schemas import ComplaintCreate, filer_contact
from shared.calendar import SHANGHAI
from shared.db import Database
from shared.events import ComplaintDuplicateLinkedV1, ComplaintReceivedV1
from shared.ids import new_id

log = logging.getLogger("complaints.intake")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_number(now: datetime) -> str:
    """Human-readable tracking number: TS + filing date (Asia/Shanghai) + 6 random Crockford base-32 characters."""
    bits = secrets.randbits(30)
    suffix = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(0, 30, 5))
    return f"TS{now.astimezone(SHANGHAI):%Y%m%d}-{suffix}"


async def next_batch(queue: asyncio.Queue, most: int) -> list:
    """The next item of ``queue`` and, up to ``most`` in all, those that arrived with it. One turn of the event loop
    lets the requests it has already read reach the queue: under load they join this batch (one round trip for many
    filings); when idle this costs nothing."""
    batch = [await queue.get()]
    await asyncio.sleep(0)
    while len(batch) < most and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


@dataclass(frozen=True)
class DuplicateRule:
    """A complaint by the same filer (an enterprise's credit code, a citizen's number: ``duplicates.filer_key``,
    keyed with ``secret``) with nearly the same title + text within ``window`` repeats the first still-open one
    (重复件)."""

    window: timedelta = timedelta(days=30)
    threshold: float = 0.8
    secret: str = ""


@dataclass(frozen=True)
class Accepted:
    """What the filer is told about an accepted complaint."""

    id: str
    tracking_number: str
    status: str
    channel: str
    received_at: datetime
    original_id: str | None


@dataclass
class NewFiling:
    body: ComplaintCreate
    #: Whose complaints it may repeat (``duplicates.filer_key``).
    filer_key: str | None
    idempotency_digest: str | None
    fingerprint: str | None
    now: datetime
    filed_by: str | None
    answer: asyncio.Future = field(repr=False)
    #: The Open311 service type a partner filed it as (a hint for the history, not a routing decision).
    service_code: str | None = None
    #: The filer's short access code (told once, in the answer and the filing's SMS) and its stored form
    #: (``access_codes.code_digest``).
    access_code: str | None = None
    access_code_digest: str | None = None


def _complaint_defaults() -> dict[str, Any]:
    """Every column of the complaint row with its model default, so all rows of a batch have the same keys."""
    defaults: dict[str, Any] = {}
    for name, info in Complaint.model_fields.items():
        if info.default_factory is not None:
            defaults[name] = info.default_factory
        elif not info.is_required():
            defaults[name] = info.default
    return defaults


_DEFAULTS = _complaint_defaults()


@dataclass(frozen=True)
class Found:
    """What a batch's look-up read (``FilingStore.candidates``), and how many batches the writer had written when it
    began: those written later may be missing from it."""

    candidates: list[Candidate]
    written_before: int


#: How many written batches the writer remembers the first complaints of (more than can be written between a
#: look-up and its batch's write; were it fewer, the batch would be looked up again).
REMEMBERED_BATCHES = 64


def _complaint_row(filing: NewFiling) -> dict[str, Any]:
    body, now = filing.body, filing.now
    row = {k: (v() if callable(v) else v) for k, v in _DEFAULTS.items()}
    row.update(
        id=new_id(), tracking_number=new_tracking_number(now), idempotency_digest=filing.idempotency_digest,
        request_hash=filing.fingerprint, title=body.title, text=body.text, channel=body.channel.value,
        filer_kind=body.filer.kind, enterprise_name=getattr(body.filer, "enterprise_name", ""),
        credit_code=getattr(body.filer, "credit_code", ""), filer_key=filing.filer_key,
        township=body.township,
        address=body.address, status=Status.received.value, received_at=now, updated_at=now, version=1,
        filed_by=filing.filed_by, service_code=filing.service_code, original_id=None,
        access_code_digest=filing.access_code_digest,
    )
    return row


class FilingWriter:
    def __init__(self, db: Database, duplicates: DuplicateRule, *, max_batch: int = 100) -> None:
        self._db = db
        self._duplicates = duplicates
        self._max_batch = max_batch
        self._queue: asyncio.Queue[NewFiling] = asyncio.Queue()
        self._store = FilingStore(db)
        #: How many batches were written, and the first complaints of the latest ones (each with that count then).
        self._written = 0
        self._recent: deque[tuple[int, list[Candidate]]] = deque(maxlen=REMEMBERED_BATCHES)

    async def file(self, body: ComplaintCreate, *, idempotency_digest: str | None, fingerprint: str | None,
                   now: datetime, filed_by: str | None, service_code: str | None = None,
                   access_code: str | None = None, access_code_digest: str | None = None) -> Accepted:
        """Queue a validated filing and wait until it is committed (or has failed)."""
        answer = asyncio.get_running_loop().create_future()
        await self._queue.put(NewFiling(body, filer_key(body.filer, self._duplicates.secret), idempotency_digest,
                                        fingerprint, now, filed_by, answer, service_code, access_code,
                                        access_code_digest))
        return await answer

    async def run(self) -> None:
        """Write batch after batch; each batch is formed, and looked up, while the one before it is being written."""
        looked_up: asyncio.Queue[tuple[list[NewFiling], Found]] = asyncio.Queue(maxsize=1)
        ahead = asyncio.create_task(self._look_ahead(looked_up))
        try:
            while True:
                batch, found = await looked_up.get()
                looked_up.task_done()
                await self._write_batch(batch, found)
        finally:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)  # its look-up ends before the database is closed

    async def _look_ahead(self, looked_up: asyncio.Queue[tuple[list[NewFiling], Found]]) -> None:
        while True:
            batch = await next_batch(self._queue, self._max_batch)
            try:
                found = await self.look_up(batch)
            except Exception as exc:  # noqa: BLE001 - every caller must get an answer
                for filing in batch:
                    self._fail(filing, exc)
                continue
            await looked_up.put((batch, found))
            await looked_up.join()  # taken: the next batch gathers while this one is written

    async def look_up(self, batch: list[NewFiling]) -> Found:
        """The duplicate candidates of ``batch``'s filers: their first complaints still open within the window."""
        written = self._written
        since = min(f.now for f in batch) - self._duplicates.window
        keys = sorted({f.filer_key for f in batch} - {None})
        return Found(await self._store.candidates(keys, since) if keys else [], written)

    async def _write_batch(self, batch: list[NewFiling], found: Found) -> None:
        try:
            accepted = await self.write(batch, found)
        except IntegrityError as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return
            for filing in batch:  # isolate the filing at fault
                await self._write_batch([filing], found)
            return
        except Exception as exc:  # noqa: BLE001 - every caller must get an answer
            for filing in batch:
                self._fail(filing, exc)
            return
        for filing, result in zip(batch, accepted):
            if not filing.answer.done():  # a caller that went away is filed all the same
                filing.answer.set_result(result)

    @staticmethod
    def _fail(filing: NewFiling, exc: BaseException) -> None:
        if not filing.answer.done():
            filing.answer.set_exception(exc)

    async def _earlier(self, batch: list[NewFiling], found: Found) -> dict[str, list[tuple[str, str, str]]]:
        """The filers' first complaints still open within the window, oldest first, by filer key: what the look-up
        read, and the first complaints of the batches written since it began (it may not have seen them)."""
        if self._written - found.written_before > len(self._recent):  # forgotten meanwhile: look up again
            found = await self.look_up(batch)
        later = [c for written, firsts in self._recent if written > found.written_before for c in firsts]
        earlier: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        seen: set[str] = set()
        for complaint_id, key, title, text in (*found.candidates, *later):
            if complaint_id not in seen:
                seen.add(complaint_id)
                earlier[key].append((complaint_id, title, text))
        return earlier

    async def write(self, batch: list[NewFiling], found: Found) -> list[Accepted]:
        """Write ``batch`` (its duplicates linked by what ``found`` and the batches written since tell), all or
        nothing; answers what each filer is told."""
        rows = [_complaint_row(f) for f in batch]
        earlier = await self._earlier(batch, found)
        async with self._store.batch() as filings:
            contacts, history, notices = [], [], []
            for filing, row in zip(batch, rows):
                key = row["filer_key"]
                row["original_id"] = find_original(row["title"], row["text"], earlier[key],
                                                   self._duplicates.threshold) if key else None
                if row["original_id"] is None and key:
                    earlier[key].append((row["id"], row["title"], row["text"]))
                contact = filer_contact(filing.body.filer)
                if contact:  # an anonymous caller leaves none
                    contacts.append({"complaint_id": row["id"], "contact_name": contact[0], "mobile": contact[1],
                                     "id_number": contact[2]})
                mobile = contact[1] if contact else None
                if notice := filing_notice(row["id"], row["tracking_number"], mobile, filing.now,
                                           code=filing.access_code):
                    notices.append(notice)  # the filer is told in the filing's transaction (see notify.compose)
                received = {"tracking_number": row["tracking_number"], "channel": row["channel"]}
                if filing.service_code:
                    received["service_code"] = filing.service_code
                history.append({"complaint_id": row["id"], "at": filing.now,
                                "actor": filing.filed_by or f"filer:{row['channel']}", "action": "received",
                                "detail": received})
                filings.outbox.add(ComplaintReceivedV1(
                    complaint_id=row["id"], tracking_number=row["tracking_number"], title=row["title"],
                    text=row["text"], channel=row["channel"], enterprise_name=row["enterprise_name"] or None,
                    filer_kind=row["filer_kind"],
                    township=row["township"], address=row["address"], received_at=filing.now,
                    filed_by=filing.filed_by,
                ), time=filing.now)
                if row["original_id"]:
                    history.append({"complaint_id": row["id"], "at": filing.now, "actor": "intake",
                                    "action": "duplicate_linked", "detail": {"original_id": row["original_id"]}})
                    history.append({"complaint_id": row["original_id"], "at": filing.now, "actor": "intake",
                                    "action": "duplicate_linked", "detail": {"duplicate_id": row["id"]}})
                    filings.outbox.add(ComplaintDuplicateLinkedV1(
                        complaint_id=row["id"], actor="intake", department=None, status=row["status"], version=1,
                        at=filing.now, original_id=row["original_id"],
                    ), time=filing.now)
            await filings.write([(COMPLAINT, rows), (CONTACT, contacts), (HISTORY, history), (SMS, notices)])
        self._written += 1
        self._recent.append((self._written, [(r["id"], r["filer_key"], r["title"], r["text"]) for r in rows
                                             if r["filer_key"] and r["original_id"] is None]))
        return [Accepted(r["id"], r["tracking_number"], r["status"], r["channel"], r["received_at"], r["original_id"])
                for r in rows]
