"""The router's event handlers: classify a received complaint, re-route a returned one, and store the departments
people choose. The classification itself is pure (``services.router.domain``); this module persists the decision and
emits ``complaint.routed`` or ``complaint.triage_required`` through the outbox. A correction is only stored here: the
model learns it from the table once it is committed (``services.router.learning``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.router import metrics
from services.router.domain.classifier import Classifier
from services.router.domain.classifier import Decision as Classified
from services.router.store import COMPLAINTS, INSERT_CORRECTION, INSERT_DECISION, complaint as stored_complaint
from shared.db import UnitOfWork
from shared.rows import Row
from shared.events import (
    ComplaintDispatchedV1,
    ComplaintReceivedV1,
    ComplaintReturnedV1,
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    Envelope,
    RankedDepartmentV1,
    deterministic_id,
    utcnow,
)

STANDARD = "standard"
FINANCIAL_SERVICE = "financial_service"


def sla_class(financial_service: bool, filer_kind: str = "enterprise") -> str:
    """The SLA class of a complaint: the 5-working-day limit of guide §8.3 is for financial services to firms (its
    chapter 8 is the county's financial services to market entities), so a citizen's or an anonymous caller's
    complaint about a bank is a standard one (10 days), still routed to the financial department."""
    return FINANCIAL_SERVICE if financial_service and filer_kind == "enterprise" else STANDARD


class RouterHandlers:
    def __init__(self, classifier: Classifier, corrected: Callable[[], None]) -> None:
        self.classifier = classifier
        #: Called once a unit of work that stored a correction has committed.
        self._corrected = corrected

    async def on_received(self, event: ComplaintReceivedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        complaint = COMPLAINTS.add(uow, complaint_id=event.complaint_id, title=event.title, text=event.text,
                                   received_at=event.received_at, excluded=[], attempt=0, filer_kind=event.filer_kind)
        now = utcnow()
        self._decide(uow, complaint, now)
        metrics.ROUTING_LATENCY.observe(max(0.0, (now - event.received_at).total_seconds()))

    async def on_returned(self, event: ComplaintReturnedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        complaint = await stored_complaint(uow, event.complaint_id)
        if complaint is None:
            return
        complaint.excluded = sorted(set(complaint.excluded) | {event.returned_by})
        complaint.attempt += 1
        if event.suggested_department:
            self._learn(uow, complaint, event.suggested_department, None, None, "return", envelope.time)
        self._decide(uow, complaint, envelope.time, suggested=event.suggested_department)

    async def on_dispatched(self, event: ComplaintDispatchedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        complaint = await stored_complaint(uow, event.complaint_id)
        if complaint is None:
            return
        complaint.attempt += 1
        self._learn(uow, complaint, event.department, event.financial_service, event.township, "dispatch",
                    envelope.time)
        uow.write(INSERT_DECISION, dict(
            complaint_id=complaint.complaint_id, attempt=complaint.attempt, department=event.department,
            also=list(event.also), confidence=1.0, financial_service=event.financial_service, triage=False,
            township=event.township, explanation=[{"decided_by": event.actor}], decided_at=envelope.time,
        ))
        uow.outbox.add(ComplaintRoutedV1(
            complaint_id=complaint.complaint_id, department=event.department, also=list(event.also), score=1.0,
            confidence=1.0, financial_service=event.financial_service,
            sla_policy=sla_class(event.financial_service, complaint.filer_kind), township=event.township,
            received_at=complaint.received_at, routed_at=envelope.time, attempt=complaint.attempt,
            decided_by=event.actor,
        ), event_id=deterministic_id(complaint.complaint_id, "routing", complaint.attempt))
        metrics.DECISIONS.labels(event.department, "dispatcher").inc()

    def _learn(self, uow: UnitOfWork, complaint: Row, department: str, financial_service: bool | None,
               township: str | None, source: str, at: datetime) -> None:
        uow.write(INSERT_CORRECTION, dict(
            complaint_id=complaint.complaint_id, department=department, financial_service=financial_service,
            township=township, source=source, created_at=at,
        ))
        uow.after_commit(self._corrected)

    def _decide(self, uow: UnitOfWork, complaint: Row, at: datetime,
                suggested: str | None = None) -> Classified:
        """Classify ``complaint`` (as this unit of work has it) and queue the decision and its event;
        ``suggested`` is the department its returning handler named (the correction the model learns after commit)."""
        decision = self.classifier.classify(complaint.title, complaint.text, exclude=frozenset(complaint.excluded),
                                            suggested=suggested)
        explanation = list(decision.to_dict().get("explanation", []))
        uow.write(INSERT_DECISION, dict(
            complaint_id=complaint.complaint_id, attempt=complaint.attempt, department=decision.department,
            also=list(decision.also), confidence=decision.confidence, financial_service=decision.financial_service,
            triage=decision.triage, township=decision.township, explanation=explanation, decided_at=at,
        ))
        event_id = deterministic_id(complaint.complaint_id, "routing", complaint.attempt)
        if decision.triage:
            uow.outbox.add(ComplaintTriageRequiredV1(
                complaint_id=complaint.complaint_id, confidence=decision.confidence,
                financial_service=decision.financial_service,
                sla_policy=sla_class(decision.financial_service, complaint.filer_kind),
                ranked=[RankedDepartmentV1(department=r.department, score=r.score) for r in decision.ranked[:5]],
                received_at=complaint.received_at, explanation=explanation,
            ), event_id=event_id)
            metrics.DECISIONS.labels("triage", "router").inc()
        else:
            top = decision.ranked[0].score if decision.ranked else decision.confidence
            uow.outbox.add(ComplaintRoutedV1(
                complaint_id=complaint.complaint_id, department=decision.department, also=list(decision.also),
                score=top, confidence=decision.confidence, financial_service=decision.financial_service,
                sla_policy=sla_class(decision.financial_service, complaint.filer_kind), township=decision.township,
                received_at=complaint.received_at, routed_at=at, attempt=complaint.attempt,
                explanation=explanation,
            ), event_id=event_id)
            metrics.DECISIONS.labels(decision.department, "router").inc()
        return decision

