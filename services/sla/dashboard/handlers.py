"""Consumer handlers that keep the dashboard's projection (``projection.py``) up to date.

They run as their own consumer group (``sla-dashboard``) on the intake, router and SLA topics, inside the idempotent
consumer wrapper: a redelivered event changes nothing. Each handler upserts the complaint's row (events of one
complaint may arrive in any order across topics), updates only what its event knows, and appends one timeline entry.

The status follows intake's. Intake's events carry the status they leave; the router's decisions carry none, and
intake applies each one to the status it finds (``services/intake/domain/lifecycle.py``). A decision answers one request:
the filing, a return (退回) or a dispatch. The router's decision on a return may be consumed here before or after the
return itself, so the row counts both (:func:`follow_routing`): once the decisions seen answer every request seen,
the latest one moves the status as it moved intake's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.sla.dashboard.followups import followed_up
from services.sla.dashboard.projection import mask_contacts
from services.sla.dashboard.store import read_rows, row as _row, timeline
from services.sla.dashboard.returns import review_detail
from services.sla.domain.policies import PolicyStore
from shared.consumer import Handler
from shared.db import UnitOfWork
from shared.rows import Row
from shared.events import (
    TOPIC_INTAKE,
    TOPIC_ROUTER,
    TOPIC_SLA,
    ComplaintAcceptedV1,
    ComplaintAnsweredV1,
    ComplaintClaimedV1,
    ComplaintClosedV1,
    ComplaintContactedV1,
    ComplaintCooperatingAddedV1,
    ComplaintDispatchedV1,
    ComplaintDuplicateLinkedV1,
    ComplaintFollowedUpV1,
    ComplaintInfoRequestedV1,
    ComplaintRatedV1,
    ComplaintReceivedV1,
    ComplaintReopenedV1,
    ComplaintReturnedV1,
    ComplaintReturnRejectedV1,
    ComplaintReturnRequestedV1,
    ComplaintRoutedV1,
    ComplaintSupplementedV1,
    ComplaintTriageRequiredV1,
    Envelope,
    EventData,
    SlaBreachedV1,
    SlaClockOpenedV1,
    SlaDeadlineChangedV1,
    SlaEscalatedV1,
    SlaMetV1,
    SlaMissedV1,
    SlaWarningV1,
)

GROUP = "sla-dashboard"
TOPICS = (TOPIC_INTAKE, TOPIC_ROUTER, TOPIC_SLA)


def short_type(envelope: Envelope) -> str:
    return envelope.type.rsplit(".", 2)[-2]


#: The statuses intake applies a routing decision to (``route`` and ``triage`` in ``services/intake/domain/lifecycle.py``);
#: a decision finding the complaint in any other status changes nothing there, so nothing here either.
ROUTES_FROM = frozenset({"received", "triage", "rerouting", "routed"})
TRIAGES_FROM = frozenset({"received", "triage", "rerouting"})


def follow_routing(row: Row) -> None:
    """Move the status as intake moved it on the router's latest decision, once that decision is the answer to the
    latest request seen (the filing, plus every return and dispatch): until then intake still waits for it."""
    decisions = row.routed_count + row.triage_count
    if decisions == 0 or decisions < 1 + row.returned_count + row.dispatched_count:
        return
    status = row.status or "received"
    if row.triage and status in TRIAGES_FROM:
        row.status = "triage"
    elif not row.triage and status in ROUTES_FROM:
        row.status = "routed"


def _first(current: datetime | None, value: datetime) -> datetime:
    return value if current is None or value < current else current


def _timeline(uow: UnitOfWork, envelope: Envelope, at: datetime, *, actor: str | None = None,
              department: str | None = None, **detail: Any) -> None:
    timeline(uow, {
        "event_id": envelope.id[:64], "complaint_id": envelope.subject, "at": at, "kind": short_type(envelope),
        "actor": actor, "department": department,
        "detail": {k: v for k, v in detail.items() if v is not None and v != []},
    })


def _rate(row: Row, rating: str, at: datetime, department: str | None) -> None:
    """A rating judges the answer of ``department``: the lead department when it was given, the one that answered."""
    department = department and department[:32]
    if row.first_rated_at is None or at < row.first_rated_at:
        row.first_rating, row.first_rated_at, row.first_rating_department = rating[:24], at, department
    if row.rated_at is None or at >= row.rated_at:
        row.rating, row.rated_at, row.rating_department = rating[:24], at, department


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class DashboardHandlers:
    """One method per event type; ``policies`` tells which milestone is the resolution (stops on answered)."""

    def __init__(self, policies: PolicyStore | None = None) -> None:
        self.policies = policies

    async def prefetch(self, uow: UnitOfWork, events: list[tuple[Envelope, EventData]]) -> None:
        """The projection rows of every complaint a batch's events are about, read and locked in one query."""
        ids = sorted({envelope.subject for envelope, _payload in events if envelope.subject})
        await read_rows(uow, ids)

    def handlers(self) -> dict[str, Handler]:
        return {
            ComplaintReceivedV1.TYPE: self.on_received,
            ComplaintClaimedV1.TYPE: self.on_transition,
            ComplaintAcceptedV1.TYPE: self.on_transition,
            ComplaintContactedV1.TYPE: self.on_transition,
            ComplaintInfoRequestedV1.TYPE: self.on_transition,
            ComplaintSupplementedV1.TYPE: self.on_transition,
            ComplaintAnsweredV1.TYPE: self.on_transition,
            ComplaintCooperatingAddedV1.TYPE: self.on_transition,
            ComplaintRatedV1.TYPE: self.on_transition,
            ComplaintReopenedV1.TYPE: self.on_transition,
            ComplaintClosedV1.TYPE: self.on_transition,
            ComplaintDuplicateLinkedV1.TYPE: self.on_transition,
            ComplaintReturnedV1.TYPE: self.on_transition,
            ComplaintReturnRequestedV1.TYPE: self.on_transition,
            ComplaintReturnRejectedV1.TYPE: self.on_transition,
            ComplaintDispatchedV1.TYPE: self.on_transition,
            ComplaintFollowedUpV1.TYPE: self.on_followed_up,
            ComplaintRoutedV1.TYPE: self.on_routed,
            ComplaintTriageRequiredV1.TYPE: self.on_triage,
            SlaClockOpenedV1.TYPE: self.on_clock_opened,
            SlaDeadlineChangedV1.TYPE: self.on_deadline_changed,
            SlaWarningV1.TYPE: self.on_step,
            SlaBreachedV1.TYPE: self.on_step,
            SlaEscalatedV1.TYPE: self.on_step,
            SlaMetV1.TYPE: self.on_outcome,
            SlaMissedV1.TYPE: self.on_outcome,
        }

    # -- intake ---------------------------------------------------------------------------------------------------

    async def on_received(self, event: ComplaintReceivedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        row.tracking_number = event.tracking_number[:32]
        row.title = mask_contacts(event.title)[:200]
        row.channel = event.channel[:20]
        row.filer_kind = event.filer_kind[:16]
        row.township = (event.township or None) and event.township[:40]
        row.received_at = event.received_at
        row.status = row.status or "received"
        _timeline(uow, envelope, event.received_at, actor=event.filed_by or event.channel,
                  tracking_number=event.tracking_number, title=row.title, channel=event.channel,
                  township=event.township, filed_by=event.filed_by)

    async def on_transition(self, event: EventData, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        at: datetime = event.at  # type: ignore[attr-defined]
        row.status = event.status[:24]  # type: ignore[attr-defined]
        detail: dict[str, Any] = {}
        if isinstance(event, ComplaintClaimedV1):
            row.claimed_at = _first(row.claimed_at, at)
        elif isinstance(event, ComplaintAcceptedV1):
            row.accepted_at = _first(row.accepted_at, at)
        elif isinstance(event, ComplaintContactedV1):
            row.contacted_at = _first(row.contacted_at, at)
        elif isinstance(event, ComplaintAnsweredV1):
            row.first_answered_at = _first(row.first_answered_at, at)
            if row.last_answered_at is None or at >= row.last_answered_at:
                row.last_answered_at = at
                row.answered = True
                row.answered_department = event.department and event.department[:32]
                row.answer_has_contact = event.has_contact
        elif isinstance(event, ComplaintRatedV1):
            _rate(row, event.rating, at, event.department)
            detail["rating"] = event.rating
        elif isinstance(event, ComplaintReopenedV1):
            row.reopened_count += 1
            if row.last_reopened_at is None or at >= row.last_reopened_at:
                row.last_reopened_at = at
                if row.last_answered_at is None or row.last_answered_at <= at:
                    row.answered = False
            detail["reason"] = mask_contacts(event.reason)
        elif isinstance(event, ComplaintClosedV1):
            row.closed_at = at
            if event.rating and row.rating is None:
                _rate(row, event.rating, at, event.department)
            detail["rating"] = event.rating
        elif isinstance(event, ComplaintDuplicateLinkedV1):
            row.duplicate_of = event.original_id[:36]
            detail["original_id"] = event.original_id
        elif isinstance(event, (ComplaintReturnedV1, ComplaintReturnRequestedV1, ComplaintReturnRejectedV1)):
            row.returned_count += isinstance(event, ComplaintReturnedV1)  # only an approved return asks for routing
            detail.update(review_detail(event))
        elif isinstance(event, ComplaintDispatchedV1):
            row.dispatched_count += 1
            detail.update(also=event.also, financial_service=event.financial_service)
        elif isinstance(event, ComplaintCooperatingAddedV1):
            detail["cooperating"] = event.cooperating
        follow_routing(row)
        _timeline(uow, envelope, at, actor=event.actor, department=event.department,  # type: ignore[attr-defined]
                  status=event.status, **detail)  # type: ignore[attr-defined]

    async def on_followed_up(self, event: ComplaintFollowedUpV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        _timeline(uow, envelope, event.at, actor=event.actor, department=event.department, **followed_up(row, event))

    # -- router ---------------------------------------------------------------------------------------------------

    async def on_routed(self, event: ComplaintRoutedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        row.routed_count += 1
        row.department = event.department
        if row.first_department is None or event.attempt == 0:
            row.first_department = event.department
        row.triage = False
        row.received_at = row.received_at or event.received_at
        row.policy = row.policy or event.sla_policy[:40]
        follow_routing(row)
        _timeline(uow, envelope, event.routed_at, actor=event.decided_by, department=event.department,
                  also=event.also, confidence=round(event.confidence, 3), attempt=event.attempt,
                  sla_policy=event.sla_policy)

    async def on_triage(self, event: ComplaintTriageRequiredV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        row.triage_count += 1
        row.triage = True
        row.received_at = row.received_at or event.received_at
        row.policy = row.policy or event.sla_policy[:40]
        follow_routing(row)
        _timeline(uow, envelope, envelope.time, actor="router", confidence=round(event.confidence, 3),
                  ranked=[r.department for r in event.ranked[:3]])

    # -- sla ------------------------------------------------------------------------------------------------------

    def _resolution(self, event: SlaClockOpenedV1) -> tuple[str, datetime] | None:
        if not event.milestones:
            return None
        names: set[str] = set()
        if self.policies is not None:
            try:
                policy = self.policies.get(event.policy)
                names = {m.name for m in policy.milestones if m.stops_on == "answered"}
            except Exception:  # noqa: BLE001 - an unknown policy falls back to the latest milestone
                names = set()
        chosen = [m for m in event.milestones if m.milestone in names] or list(event.milestones)
        last = max(chosen, key=lambda m: m.due_at)
        return last.milestone, last.due_at

    async def on_clock_opened(self, event: SlaClockOpenedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        row.policy = event.policy[:40]
        row.department = row.department or event.department
        row.first_department = row.first_department or event.department
        resolution = self._resolution(event)
        if resolution is not None:
            milestone, due = resolution
            if row.milestone is None:  # a deadline change seen first keeps its later due_at
                row.milestone, row.due_at = milestone[:40], due
            row.first_due_at = due
        _timeline(uow, envelope, envelope.time, actor="sla", department=event.department, policy=event.policy,
                  milestones=[{"milestone": m.milestone, "due_at": _iso(m.due_at)} for m in event.milestones])

    async def on_deadline_changed(self, event: SlaDeadlineChangedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        if row.milestone is None or row.milestone == event.milestone:
            row.milestone, row.due_at = event.milestone[:40], event.due_at
        _timeline(uow, envelope, envelope.time, actor=event.actor, milestone=event.milestone,
                  due_at=_iso(event.due_at), previous_due_at=_iso(event.previous_due_at), cause=event.cause,
                  reason=mask_contacts(event.reason))

    async def on_step(self, event: SlaWarningV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        kind = short_type(envelope)
        if row.milestone is None or row.milestone == event.milestone:
            if kind == "warning":
                row.warned_at = _first(row.warned_at, event.fire_at)
            elif kind == "breached":
                row.breached_at = _first(row.breached_at, event.fire_at)
            else:
                if row.escalated_at is None or event.fire_at >= row.escalated_at:
                    row.escalation_level, row.escalated_at = (event.level or "")[:40] or None, event.fire_at
        _timeline(uow, envelope, event.fire_at, actor="sla", department=event.department, milestone=event.milestone,
                  step=event.step, level=event.level, due_at=_iso(event.due_at))

    async def on_outcome(self, event: SlaMetV1, envelope: Envelope, uow: UnitOfWork) -> None:
        row = await _row(uow, event.complaint_id)
        if row.milestone is None or row.milestone == event.milestone:
            row.sla_outcome = short_type(envelope)
        _timeline(uow, envelope, event.done_at, actor="sla", department=event.department, milestone=event.milestone,
                  due_at=_iso(event.due_at), done_at=_iso(event.done_at))
