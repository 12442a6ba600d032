"""Intake's commands: filing a complaint, and following the routing and SLA events about it.

Each command runs inside a unit of work handed in by the caller and emits its events through the outbox.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from services.intake.lifecycle import ROUTABLE_FROM, Status
from services.intake.models import Complaint
from services.intake.repository import ComplaintRepository
from services.intake.schemas import ComplaintCreate
from shared.calendar import SHANGHAI
from shared.db import Database, UnitOfWork
from shared.events import (
    ComplaintReceivedV1,
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    SlaBreachedV1,
    SlaClockOpenedV1,
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


async def file_complaint(
    db: Database, body: ComplaintCreate, *, idempotency_key: str | None, now: datetime
) -> Filed:
    fingerprint = request_fingerprint(body)
    if idempotency_key:
        existing = await _replay(db, idempotency_key, fingerprint)
        if existing is not None:
            return Filed(existing, replayed=True)
    try:
        return Filed(await _insert(db, body, idempotency_key, fingerprint, now), replayed=False)
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
    db: Database, body: ComplaintCreate, key: str | None, fingerprint: str, now: datetime
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
    )
    async with db.unit_of_work() as uow:
        await ComplaintRepository(uow.session).add(
            complaint.model_dump(),
            {"complaint_id": complaint.id, "contact_name": body.filer.contact_name, "mobile": body.filer.mobile},
            {"complaint_id": complaint.id, "at": now, "actor": f"filer:{body.channel.value}", "action": "received",
             "detail": {"tracking_number": complaint.tracking_number}},
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
        await uow.commit()
    return complaint


# --- following other services' events ------------------------------------------------------------------------------


async def on_routed(event: ComplaintRoutedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(event.complaint_id)
    if complaint is None or complaint.status not in ROUTABLE_FROM:
        return
    await repo.update(
        event.complaint_id, envelope.time, status=Status.routed.value, department=event.department,
        also=list(event.also), assigned_township=event.township, financial_service=event.financial_service,
        sla_policy=event.sla_policy,
    )
    await repo.record(event.complaint_id, envelope.time, "router", "routed", {
        "department": event.department, "also": list(event.also), "confidence": event.confidence,
        "financial_service": event.financial_service, "township": event.township,
    })


async def on_triage_required(event: ComplaintTriageRequiredV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(event.complaint_id)
    if complaint is None or complaint.status not in ROUTABLE_FROM:
        return
    await repo.update(
        event.complaint_id, envelope.time, status=Status.triage.value, department=None,
        financial_service=event.financial_service, sla_policy=event.sla_policy,
    )
    await repo.record(event.complaint_id, envelope.time, "router", "triage_required", {
        "confidence": event.confidence, "candidates": [r.department for r in event.ranked[:3]],
    })


async def on_clock_opened(event: SlaClockOpenedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    if await repo.get(event.complaint_id) is None:
        return
    final = max(event.milestones, key=lambda m: m.due_at)
    await repo.update(event.complaint_id, envelope.time, due_at=final.due_at)
    await repo.record(event.complaint_id, envelope.time, "sla", "clock_opened", {
        "policy": event.policy, "milestones": {m.milestone: m.due_at.isoformat() for m in event.milestones},
    })


async def on_sla_step(event: SlaWarningV1 | SlaBreachedV1 | SlaEscalatedV1, envelope, uow: UnitOfWork) -> None:
    repo = ComplaintRepository(uow.session)
    if await repo.get(event.complaint_id) is None:
        return
    action = envelope.type.rsplit(".", 2)[-2]
    if isinstance(event, (SlaBreachedV1, SlaEscalatedV1)):
        await repo.update(event.complaint_id, envelope.time, overdue=True)
    await repo.record(event.complaint_id, envelope.time, "sla", action, {
        "milestone": event.milestone, "step": event.step, "level": event.level, "due_at": event.due_at.isoformat(),
    })
