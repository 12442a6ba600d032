"""Intake's commands: filing a complaint (with duplicate detection), and following the routing and SLA events about it.

Each command runs inside one unit of work and emits its events through the outbox. The lifecycle commands people
issue on a complaint live in ``commands.py``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from services.intake.duplicates import find_original
from services.intake.lifecycle import Action, IllegalTransition, Status, transition
from services.intake.models import Complaint
from services.intake.repository import ComplaintRepository
from services.intake.schemas import ComplaintCreate
from shared.calendar import SHANGHAI
from shared.db import Database, UnitOfWork
from shared.events import (
    ComplaintDuplicateLinkedV1,
    ComplaintReceivedV1,
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    SlaBreachedV1,
    SlaClockOpenedV1,
    SlaDeadlineChangedV1,
    SlaEscalatedV1,
    SlaWarningV1,
)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_tracking_number(now: datetime) -> str:
    """Human-readable tracking number: TS + filing date (Asia/Shanghai) + 6 random Crockford base-32 characters."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(6))
    return f"TS{now.astimezone(SHANGHAI):%Y%m%d}-{suffix}"


def request_fingerprint(body: ComplaintCreate) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request body."""


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    replayed: bool


@dataclass(frozen=True)
class DuplicateRule:
    """A complaint by the same enterprise (credit code) with nearly the same title + text within ``window`` repeats
    the first still-open one (重复件)."""

    window: timedelta = timedelta(days=30)
    threshold: float = 0.8


#: A repeat is linked only to a first complaint that has not been answered yet: it is then answered with it.
_LINKABLE = [s.value for s in Status if s not in {Status.answered, Status.closed}]


async def file_complaint(
    db: Database, body: ComplaintCreate, *, idempotency_key: str | None, now: datetime,
    filed_by: str | None = None, duplicates: DuplicateRule = DuplicateRule(),
) -> Filed:
    fingerprint = request_fingerprint(body)
    if idempotency_key:
        existing = await _replay(db, idempotency_key, fingerprint)
        if existing is not None:
            return Filed(existing, replayed=True)
    try:
        return Filed(await _insert(db, body, idempotency_key, fingerprint, now, filed_by, duplicates),
                     replayed=False)
    except IntegrityError:
        # A concurrent retry with the same key won the race; answer with its complaint.
        if idempotency_key:
            existing = await _replay(db, idempotency_key, fingerprint)
            if existing is not None:
                return Filed(existing, replayed=True)
        raise


async def _replay(db: Database, key: str, fingerprint: str) -> Complaint | None:
    async with db.unit_of_work() as uow:
        existing = await ComplaintRepository(uow.session).by_idempotency_key(key)
    if existing is not None and existing.request_hash != fingerprint:
        raise IdempotencyConflict(key)
    return existing


async def _insert(
    db: Database, body: ComplaintCreate, key: str | None, fingerprint: str, now: datetime, filed_by: str | None,
    duplicates: DuplicateRule,
) -> Complaint:
    complaint = Complaint(
        id=str(uuid.uuid4()),
        tracking_number=new_tracking_number(now),
        idempotency_key=key,
        request_hash=fingerprint,
        title=body.title,
        text=body.text,
        channel=body.channel.value,
        enterprise_name=body.filer.enterprise_name,
        credit_code=body.filer.credit_code,
        township=body.township,
        address=body.address,
        status=Status.received.value,
        also=[],
        received_at=now,
        updated_at=now,
        version=1,
        filed_by=filed_by,
        reopen_count=0,
    )
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow.session)
        earlier = await repo.duplicate_candidates(body.filer.credit_code, now - duplicates.window, _LINKABLE)
        complaint.original_id = find_original(
            body.title, body.text, [(c.id, c.title, c.text) for c in earlier], duplicates.threshold
        )
        actor = filed_by or f"filer:{body.channel.value}"
        await repo.add(
            complaint.model_dump(),
            {"complaint_id": complaint.id, "contact_name": body.filer.contact_name, "mobile": body.filer.mobile},
            {"complaint_id": complaint.id, "at": now, "actor": actor, "action": "received",
             "detail": {"tracking_number": complaint.tracking_number, "channel": complaint.channel}},
        )
        uow.emit(
            ComplaintReceivedV1(
                complaint_id=complaint.id,
                tracking_number=complaint.tracking_number,
                title=complaint.title,
                text=complaint.text,
                channel=complaint.channel,
                enterprise_name=complaint.enterprise_name,
                township=complaint.township,
                address=complaint.address,
                received_at=now,
            ),
            time=now,
        )
        if complaint.original_id:
            await repo.record(complaint.id, now, "intake", "duplicate_linked", {"original_id": complaint.original_id})
            await repo.record(complaint.original_id, now, "intake", "duplicate_linked", {"duplicate_id": complaint.id})
            uow.emit(ComplaintDuplicateLinkedV1(
                complaint_id=complaint.id, actor="intake", department=None, status=complaint.status, version=1,
                at=now, original_id=complaint.original_id,
            ), time=now)
        await uow.commit()
    return complaint


# --- following other services' events ------------------------------------------------------------------------------


async def on_routed(event: ComplaintRoutedV1, envelope, uow: UnitOfWork) -> None:
    """The router placed the complaint (first decision, re-routing after a return, or a dispatcher's choice)."""
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(event.complaint_id)
    if complaint is None:
        return
    try:
        status = transition(complaint.status, Action.route)
    except IllegalTransition:
        return  # a handler already works it; a late decision changes nothing
    cooperating = [d for d in await repo.cooperating(complaint.id) if d != event.department]
    await repo.remove_cooperation(complaint.id, event.department)
    for department in event.also:
        if department != event.department and department not in cooperating:
            await repo.add_cooperation(complaint.id, department, envelope.time, "router")
            cooperating.append(department)
    await repo.update(
        event.complaint_id, envelope.time, status=status.value, department=event.department,
        also=cooperating, assigned_township=event.township, financial_service=event.financial_service,
        sla_policy=event.sla_policy, claimed_by=None, lease_until=None, candidates=None,
    )
    actor = "router" if event.decided_by == "router" else event.decided_by
    await repo.record(event.complaint_id, envelope.time, actor[:80], "routed", {
        "department": event.department, "also": list(event.also), "confidence": event.confidence,
        "financial_service": event.financial_service, "township": event.township, "attempt": event.attempt,
        "status": status.value, "version": complaint.version + 1,
    })


async def on_triage_required(event: ComplaintTriageRequiredV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(event.complaint_id)
    if complaint is None:
        return
    try:
        status = transition(complaint.status, Action.triage)
    except IllegalTransition:
        return
    candidates = [{"department": r.department, "score": r.score} for r in event.ranked[:5]]
    await repo.update(
        event.complaint_id, envelope.time, status=status.value, department=None,
        financial_service=event.financial_service, sla_policy=event.sla_policy, candidates=candidates,
        claimed_by=None, lease_until=None,
    )
    await repo.record(event.complaint_id, envelope.time, "router", "triage_required", {
        "confidence": event.confidence, "candidates": [r.department for r in event.ranked[:3]],
        "status": status.value, "version": complaint.version + 1,
    })


# SLA events inform (deadline, overdue) without being transitions: they leave the version alone, so a handler's
# If-Match does not go stale because a reminder fired.


async def on_clock_opened(event: SlaClockOpenedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    if await repo.get(event.complaint_id) is None:
        return
    deadlines = {m.milestone: m.due_at.isoformat() for m in event.milestones}
    final = max(event.milestones, key=lambda m: m.due_at)
    await repo.annotate(event.complaint_id, due_at=final.due_at, deadlines=deadlines)
    await repo.record(event.complaint_id, envelope.time, "sla", "clock_opened", {
        "policy": event.policy, "milestones": deadlines,
    })


async def on_deadline_changed(event: SlaDeadlineChangedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(event.complaint_id)
    if complaint is None:
        return
    deadlines = dict(complaint.deadlines or {})
    deadlines[event.milestone] = event.due_at.isoformat()
    due_at = max(datetime.fromisoformat(v) for v in deadlines.values())
    values = {"deadlines": deadlines, "due_at": due_at}
    if due_at > envelope.time:
        values["overdue"] = False
    await repo.annotate(event.complaint_id, **values)
    await repo.record(event.complaint_id, envelope.time, "sla", "deadline_changed", {
        "milestone": event.milestone, "due_at": event.due_at.isoformat(), "cause": event.cause,
    })


async def on_sla_step(event: SlaWarningV1 | SlaBreachedV1 | SlaEscalatedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    if await repo.get(event.complaint_id) is None:
        return
    action = envelope.type.rsplit(".", 2)[-2]
    if isinstance(event, (SlaBreachedV1, SlaEscalatedV1)):
        await repo.annotate(event.complaint_id, overdue=True)
    await repo.record(event.complaint_id, envelope.time, "sla", action, {
        "milestone": event.milestone, "step": event.step, "level": event.level, "due_at": event.due_at.isoformat(),
    })
