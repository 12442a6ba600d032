"""Intake's commands: filing a complaint (with duplicate detection and Idempotency-Keys), and following the routing
and SLA events about it.

Each command runs inside one unit of work and emits its events through the outbox. The lifecycle commands people
issue on a complaint live in ``commands.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from services.intake.filing import Accepted, FilingWriter
from services.intake.domain.lifecycle import Action, IllegalTransition, Status, transition
from services.intake.domain import reasons
from services.intake.store import COMPLAINT, INSERT_HISTORY, cooperating, followed, read_followed, set_cooperating
from services.intake.schemas import ComplaintCreate
from shared.db import Database, UnitOfWork
from shared.rows import Row
from shared.settings import IntakeSettings
from shared.events import (
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    Envelope,
    EventData,
    SlaBreachedV1,
    SlaClockOpenedV1,
    SlaDeadlineChangedV1,
    SlaEscalatedV1,
    SlaWarningV1,
)

#: The events whose complaint following reads: all of them, in one query per batch (``prefetch``).
_FOLLOWED_EVENTS = (ComplaintRoutedV1, ComplaintTriageRequiredV1, SlaClockOpenedV1, SlaDeadlineChangedV1,
                    SlaWarningV1, SlaBreachedV1, SlaEscalatedV1)

def request_fingerprint(body: ComplaintCreate, service_code: str | None = None) -> str:
    filed = body.model_dump(mode="json")
    if filed["filer"].get("kind") == "enterprise":  # the default: the same body as before filers had kinds
        del filed["filer"]["kind"]
    if service_code:
        filed["service_code"] = service_code
    canonical = json.dumps(filed, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyKey:
    """An Idempotency-Key as its client's: it names a complaint only for the client that sent it (the token's subject
    for staff, the address for the public) and only for ``IDEMPOTENCY_KEY_HOURS``.

    What is stored and looked up is ``digest``, an HMAC (keyed with the signing secret) of the client and the key:
    one column with a unique index, one indexed read, and neither a name nor an address kept readable."""

    digest: str
    #: Filings with this key before this instant no longer answer for it.
    since: datetime

    @classmethod
    def of(cls, key: str, client: str, settings: IntakeSettings, now: datetime) -> "IdempotencyKey":
        """``key`` (a validated header: printable ASCII) as the one of ``client`` (a client key without newlines)."""
        digest = hmac.new(settings.auth_secret.encode(), f"{client}\n{key}".encode(), hashlib.sha256).hexdigest()
        return cls(digest, now - timedelta(hours=settings.idempotency_key_hours))


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request body."""


#: Tries of one filing: a tracking number is 30 random bits a day, so a busy line draws one already taken now and
#: then (about once in 20,000 filings with 50,000 filed that day); a second draw is all but certain to be free.
FILING_TRIES = 3


@dataclass(frozen=True)
class Filed:
    complaint: Accepted
    replayed: bool


async def file_complaint(
    db: Database, writer: FilingWriter, body: ComplaintCreate, *, key: IdempotencyKey | None, now: datetime,
    filed_by: str | None = None, service_code: str | None = None, access_code: str | None = None,
    access_code_digest: str | None = None,
) -> Filed:
    """File a validated complaint (through the batching writer); a retry with the same Idempotency-Key by the same
    client answers with the complaint it filed first. ``filed_by`` is who filed it for the filer (an operator, a
    partner system), ``service_code`` the Open311 service type a partner named."""
    fingerprint = request_fingerprint(body, service_code) if key else None
    if key:
        existing = await _replay(db, key, fingerprint)
        if existing is not None:
            return Filed(existing, replayed=True)
    tried = 0
    while True:
        tried += 1
        try:
            accepted = await writer.file(body, idempotency_digest=key.digest if key else None,
                                         fingerprint=fingerprint, now=now, filed_by=filed_by,
                                         service_code=service_code, access_code=access_code,
                                         access_code_digest=access_code_digest)
            return Filed(accepted, replayed=False)
        except IntegrityError:
            # A concurrent retry with the same key won the race; answer with its complaint.
            if key:
                existing = await _replay(db, key, fingerprint)
                if existing is not None:
                    return Filed(existing, replayed=True)
            # Else the tracking number drawn was taken (two filings of a day drew the same 30 random bits): the
            # next try draws another.
            if tried >= FILING_TRIES:
                raise


#: The complaint a client's key names: one read of the digest's unique index.
_BY_KEY = select(
    COMPLAINT.c.id, COMPLAINT.c.tracking_number, COMPLAINT.c.status, COMPLAINT.c.channel, COMPLAINT.c.received_at,
    COMPLAINT.c.original_id, COMPLAINT.c.request_hash,
).where(COMPLAINT.c.idempotency_digest == bindparam("digest"))
#: A key whose time is over names its complaint no more: the client may file a new one with it.
_RELEASE = (update(COMPLAINT).where(COMPLAINT.c.id == bindparam("complaint_id"))
            .values(idempotency_digest=None, request_hash=None))


async def _replay(db: Database, key: IdempotencyKey, fingerprint: str) -> Accepted | None:
    async with db.unit_of_work() as uow:
        rows = await uow.read(_BY_KEY, {"digest": key.digest})
    if not rows:
        return None
    complaint_id, tracking_number, status, channel, received_at, original_id, request_hash = rows[0]
    if received_at < key.since:
        async with db.unit_of_work() as uow:
            uow.write(_RELEASE, {"complaint_id": complaint_id})
            await uow.commit()
        return None
    if request_hash != fingerprint:
        raise IdempotencyConflict()
    return Accepted(complaint_id, tracking_number, status, channel, received_at, original_id)


# --- following other services' events ------------------------------------------------------------------------------
#
# A batch reads its complaints once (``prefetch``; a record applied on its own reads its complaint then), each handler
# works on the complaint as the batch has left it, and the unit of work writes what the batch made of them at commit:
# no handler reads back what another wrote.


async def prefetch(uow: UnitOfWork, events: list[tuple[Envelope, EventData]]) -> None:
    """Read, in one query each, the batch's complaints and the cooperating departments of those it routes."""
    await read_followed(
        uow, {payload.complaint_id for _envelope, payload in events if isinstance(payload, _FOLLOWED_EVENTS)},
        cooperating_of={payload.complaint_id for _envelope, payload in events
                        if isinstance(payload, ComplaintRoutedV1)},
    )


def _record(uow: UnitOfWork, complaint_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
    uow.write(INSERT_HISTORY, {"complaint_id": complaint_id, "at": at, "actor": actor, "action": action,
                               "detail": detail})


async def _moved(uow: UnitOfWork, complaint_id: str, action: Action, at: datetime) -> tuple[Row, Status] | None:
    """The complaint moved on by ``action`` at ``at`` (status, version and time changed); None when there is no such
    complaint or the action no longer applies to it (a handler already works it: a late decision changes nothing)."""
    complaint = await followed(uow, complaint_id)
    if complaint is None:
        return None
    try:
        status = transition(complaint.status, action)
    except IllegalTransition:
        return None
    complaint.updated_at, complaint.status, complaint.version = at, status.value, complaint.version + 1
    return complaint, status


async def on_routed(event: ComplaintRoutedV1, envelope, uow: UnitOfWork) -> None:
    """The router placed the complaint (first decision, re-routing after a return, or a dispatcher's choice)."""
    moved = await _moved(uow, event.complaint_id, Action.route, envelope.time)
    if moved is None:
        return
    complaint, status = moved
    # The new lead no longer cooperates on it; the departments the router names with it do.
    departments = [d for d in await cooperating(uow, event.complaint_id) if d != event.department]
    for department in event.also:
        if department != event.department and department not in departments:
            departments.append(department)
    set_cooperating(uow, event.complaint_id, departments, envelope.time, "router")
    complaint.department, complaint.also, complaint.assigned_township = event.department, departments, event.township
    complaint.financial_service, complaint.sla_policy = event.financial_service, event.sla_policy
    complaint.claimed_by = complaint.lease_until = complaint.candidates = None
    _record(uow, event.complaint_id, envelope.time, event.decided_by, "routed", {
        "department": event.department, "also": list(event.also), "confidence": event.confidence,
        "financial_service": event.financial_service, "township": event.township, "attempt": event.attempt,
        "status": status.value, "version": complaint.version, "reasons": reasons.condensed(event.explanation),
    })


async def on_triage_required(event: ComplaintTriageRequiredV1, envelope, uow: UnitOfWork) -> None:
    moved = await _moved(uow, event.complaint_id, Action.triage, envelope.time)
    if moved is None:
        return
    complaint, status = moved
    complaint.department, complaint.financial_service = None, event.financial_service
    complaint.sla_policy = event.sla_policy
    complaint.candidates = reasons.candidates(event.ranked, event.explanation)
    complaint.claimed_by = complaint.lease_until = None
    _record(uow, event.complaint_id, envelope.time, "router", "triage_required", {
        "confidence": event.confidence, "candidates": [r.department for r in event.ranked[:3]],
        "status": status.value, "version": complaint.version,
    })


# SLA events inform (deadline, overdue) without being transitions: they leave the version alone, so a handler's
# If-Match does not go stale because a reminder fired.


async def on_clock_opened(event: SlaClockOpenedV1, envelope, uow: UnitOfWork) -> None:
    complaint = await followed(uow, event.complaint_id)
    if complaint is None:
        return
    deadlines = {m.milestone: m.due_at.isoformat() for m in event.milestones}
    complaint.due_at = max(event.milestones, key=lambda m: m.due_at).due_at
    complaint.deadlines = deadlines
    _record(uow, event.complaint_id, envelope.time, "sla", "clock_opened", {
        "policy": event.policy, "milestones": deadlines,
    })


async def on_deadline_changed(event: SlaDeadlineChangedV1, envelope, uow: UnitOfWork) -> None:
    """One milestone's new deadline, merged into the deadlines the complaint has in this batch (a clock opened
    earlier in the same batch included)."""
    complaint = await followed(uow, event.complaint_id)
    if complaint is None:
        return
    deadlines = dict(complaint.deadlines or {})
    deadlines[event.milestone] = event.due_at.isoformat()
    complaint.deadlines = deadlines
    complaint.due_at = max(datetime.fromisoformat(v) for v in deadlines.values())
    if complaint.due_at > envelope.time:
        complaint.overdue = False
    _record(uow, event.complaint_id, envelope.time, "sla", "deadline_changed", {
        "milestone": event.milestone, "due_at": event.due_at.isoformat(), "cause": event.cause,
    })


async def on_sla_step(event: SlaWarningV1 | SlaBreachedV1 | SlaEscalatedV1, envelope, uow: UnitOfWork) -> None:
    complaint = await followed(uow, event.complaint_id)
    if complaint is None:
        return
    if isinstance(event, (SlaBreachedV1, SlaEscalatedV1)):
        complaint.overdue = True
    _record(uow, event.complaint_id, envelope.time, "sla", envelope.type.rsplit(".", 2)[-2], {
        "milestone": event.milestone, "step": event.step, "level": event.level, "due_at": event.due_at.isoformat(),
    })
