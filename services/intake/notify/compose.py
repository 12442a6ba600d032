"""What the filer is told, and when: the message rows written for each event of a complaint, out of quiet hours.

The filing's message is written by the filing transaction itself (``filing_notice``): only there is everything it
tells known. The later ones follow intake's lifecycle events and the SLA service's clock through the notifier's own
idempotent consumer (``follow_handlers``); each row is written in the same transaction as the consumer's record of
the event, and the table's key (complaint, event) keeps a second copy of an event from writing a second message.
Anonymous complaints, hotline callers who left a landline and filers who opted out get no message.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, bindparam, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from services.intake.models import Complaint, FilerContact
from services.intake.notify.model import PENDING, SmsNotice, SmsOptOut
from services.intake.schemas import is_cn_mobile
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.db import UnitOfWork
from shared.events import (
    ComplaintAnsweredV1,
    ComplaintClosedV1,
    ComplaintInfoRequestedV1,
    ComplaintReopenedV1,
    Envelope,
    EventData,
    SlaClockOpenedV1,
)
from shared.outbox import insert_ignore

SMS = SmsNotice.__table__
COMPLAINT = Complaint.__table__
CONTACT = FilerContact.__table__
OPT_OUT = SmsOptOut.__table__
#: The event id of the filing's message (the filing has no event of its own before it commits).
FILED = "filed"
#: No message goes out from 22:00 to 08:00 Asia/Shanghai; one due then waits for the morning.
QUIET_FROM, QUIET_UNTIL = time(22), time(8)


def out_of_quiet_hours(at: datetime) -> datetime:
    """``at``, or the next 08:00 Asia/Shanghai when ``at`` falls in the quiet hours."""
    local = at.astimezone(SHANGHAI)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return at
    day = local.date() + timedelta(days=1) if local.time() >= QUIET_FROM else local.date()
    return datetime.combine(day, QUIET_UNTIL, tzinfo=SHANGHAI)


def notice_row(complaint_id: str, event_id: str, template: str, params: dict[str, Any], now: datetime) -> dict:
    return {"complaint_id": complaint_id, "event_id": event_id, "template": template, "params": params,
            "status": PENDING, "attempts": 0, "next_attempt_at": out_of_quiet_hours(now), "created_at": now,
            "sent_at": None, "provider": None, "provider_message_id": None, "last_error": None}


def filing_notice(complaint_id: str, tracking_number: str, mobile: str | None, now: datetime,
                  code: str | None = None) -> dict | None:
    """The filing's message row, for the filing transaction to write (None: nobody to tell — only a Chinese mobile
    is texted, never a hotline caller's landline). ``code`` is the short access code, known only there; it leaves
    the row once the message is sent."""
    if not is_cn_mobile(mobile):
        return None
    if code:
        return notice_row(complaint_id, FILED, "filed_with_code",
                          {"tracking_number": tracking_number, "code": code}, now)
    return notice_row(complaint_id, FILED, "filed", {"tracking_number": tracking_number}, now)


def deadline_day(due: datetime) -> str:
    """A deadline as the message names it: 12月16日 (one ending at midnight is the day before)."""
    local = due.astimezone(SHANGHAI)
    if local.time() == time(0):
        local -= timedelta(days=1)
    return f"{local.month}月{local.day}日"


class Follower:
    """The notifier's consumer handlers: one message row per event the filer is told of.

    A batch reads its filers once (``prefetch``: number, opt-out and tracking number of every complaint it names, one
    query), and its message rows go as one INSERT at the commit; a record applied on its own reads its filer then."""

    def __init__(self, track_url: str, rating_window_days: int) -> None:
        self._track_url = track_url
        self._days = rating_window_days

    def handlers(self) -> dict[str, Any]:
        return {
            SlaClockOpenedV1.TYPE: self.on_clock_opened,
            ComplaintInfoRequestedV1.TYPE: self._simple("info_requested", track_url=True),
            ComplaintAnsweredV1.TYPE: self._simple("answered", track_url=True, days=True),
            ComplaintReopenedV1.TYPE: self._simple("reopened"),
            ComplaintClosedV1.TYPE: self._simple("closed"),
        }

    @staticmethod
    async def prefetch(uow: UnitOfWork, events: list[tuple[Envelope, EventData]]) -> None:
        await _read_recipients(uow, {payload.complaint_id for _envelope, payload in events
                                     if isinstance(payload, _TOLD)})

    async def on_clock_opened(self, event: SlaClockOpenedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        catalog = load_catalog()
        department = catalog.get(event.department).name if event.department in catalog else event.department
        due = max(m.due_at for m in event.milestones)
        await self._write(uow, event.complaint_id, envelope, "placed",
                          {"department": department, "deadline": deadline_day(due)})

    def _simple(self, template: str, *, track_url: bool = False, days: bool = False):
        async def handle(event: Any, envelope: Envelope, uow: UnitOfWork) -> None:
            params = {}
            if track_url:
                params["track_url"] = self._track_url
            if days:
                params["days"] = str(self._days)
            await self._write(uow, event.complaint_id, envelope, template, params)
        return handle

    @staticmethod
    async def _write(uow: UnitOfWork, complaint_id: str, envelope: Envelope, template: str,
                     params: dict[str, Any]) -> None:
        await _read_recipients(uow, [complaint_id])
        tracking_number = uow.memo[_RECIPIENTS][complaint_id]
        if tracking_number is None:
            return
        row = notice_row(complaint_id, envelope.id, template, {"tracking_number": tracking_number, **params},
                         envelope.time)
        uow.write(insert_ignore(SMS, uow.dialect), row)  # a second copy of an event's message is ignored


#: The events that tell the filer something (each handler of ``Follower.handlers``).
_TOLD = (SlaClockOpenedV1, ComplaintInfoRequestedV1, ComplaintAnsweredV1, ComplaintReopenedV1, ComplaintClosedV1)
#: A unit of work's memo of the filers it read: complaint id → tracking number, or None when nobody is texted.
_RECIPIENTS = "notify.recipients"


async def _read_recipients(uow: UnitOfWork, complaint_ids: Collection[str]) -> None:
    """Read, in one query, whom the complaints ``complaint_ids`` not read yet by this unit of work would text."""
    known = uow.memo.setdefault(_RECIPIENTS, {})
    todo = set(complaint_ids) - known.keys()
    if not todo:
        return
    known.update(dict.fromkeys(todo))
    known.update({complaint_id: number for complaint_id, (_mobile, number) in (await reachable(uow, todo)).items()})


def contacts_of(complaint_ids: Collection[str], dialect: str) -> Select:
    """The filer's mobile of each complaint of ``complaint_ids`` (None without a contact), its tracking number and
    whether the filer opted out, each read by its key.

    On PostgreSQL the ids are one array and every table is read in a subquery of the select list, which no plan
    turns into a join: a prepared statement's generic plan, made once while the tables were small and kept as they
    grow, cannot read a whole table instead. (A join chose a hash join over a scan of every complaint, and kept it.)"""
    ids = sorted(set(complaint_ids))
    if dialect == "postgresql":
        key = func.unnest(bindparam("ids", ids, type_=ARRAY(String))).table_valued("id").render_derived(name="ids").c.id
        query = select(key.label("complaint_id"),
                       select(CONTACT.c.mobile).where(CONTACT.c.complaint_id == key).scalar_subquery().label("mobile"))
    else:
        key = CONTACT.c.complaint_id
        query = select(key.label("complaint_id"), CONTACT.c.mobile).where(key.in_(ids))
    tracking_number = select(COMPLAINT.c.tracking_number).where(COMPLAINT.c.id == key).scalar_subquery()
    opted_out = exists().where(OPT_OUT.c.complaint_id == key)
    return query.add_columns(tracking_number.label("tracking_number"), opted_out.label("opted_out"))


async def reachable(uow: UnitOfWork, complaint_ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """Whom the complaints ``complaint_ids`` text, in one query: complaint id → the filer's mobile and the tracking
    number, for the complaints whose filer left a mobile and did not opt out."""
    rows = await uow.read(contacts_of(complaint_ids, uow.dialect))
    return {row.complaint_id: (row.mobile, row.tracking_number) for row in rows
            if row.mobile and not row.opted_out and is_cn_mobile(row.mobile)}
