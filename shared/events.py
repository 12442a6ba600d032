"""Event schemas: versioned pydantic models carried in a CloudEvents 1.0 JSON envelope.

Every event is keyed by its complaint id (``subject`` and ``partitionkey``), so one complaint's events stay ordered on
one partition. Event ``data`` never carries filer contact details. Each payload class names its CloudEvents ``type``
and the topic of the service that emits it; ``EVENT_TYPES`` maps a type back to its class.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared import clock

TYPE_PREFIX = "org.complaintline."
#: One topic per emitting service; consumers pick the types they handle.
TOPIC_INTAKE = "complaintline.intake"
TOPIC_ROUTER = "complaintline.router"
TOPIC_SLA = "complaintline.sla"
TOPIC_DEAD_LETTER = "complaintline.dead-letter"
ALL_TOPICS = (TOPIC_INTAKE, TOPIC_ROUTER, TOPIC_SLA, TOPIC_DEAD_LETTER)

#: Namespace for deterministic event ids (uuid5), so a replayed or duplicated decision maps to the same id.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a7e-3b9d-5e40-9a51-0c8d2b7e4f13")


def utcnow() -> datetime:
    return clock.now()


def deterministic_id(*parts: object) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "/".join(str(p) for p in parts)))


class Envelope(BaseModel):
    """CloudEvents 1.0 structured-mode envelope."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str
    source: str
    type: str
    subject: str
    partitionkey: str
    time: datetime
    datacontenttype: str = "application/json"
    data: dict[str, Any]

    def payload(self) -> "EventData":
        return EVENT_TYPES[self.type].model_validate(self.data)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)


class EventData(BaseModel):
    """Base of every event payload; ``complaint_id`` is the envelope's subject and Kafka key."""

    model_config = ConfigDict(frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    SOURCE: ClassVar[str]

    complaint_id: str

    def envelope(self, *, event_id: str | None = None, time: datetime | None = None) -> Envelope:
        return Envelope(
            id=event_id or str(uuid.uuid4()),
            source=self.SOURCE,
            type=self.TYPE,
            subject=self.complaint_id,
            partitionkey=self.complaint_id,
            time=time or utcnow(),
            data=self.model_dump(mode="json"),
        )


# --- intake ---------------------------------------------------------------------------------------------------------


class ComplaintReceivedV1(EventData):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.received.v1"
    TOPIC: ClassVar[str] = TOPIC_INTAKE
    SOURCE: ClassVar[str] = "/services/intake"

    tracking_number: str
    title: str
    text: str
    channel: str
    #: The enterprise filing; None for a citizen or an anonymous caller (events of earlier versions always name one).
    enterprise_name: str | None = None
    #: Who files: ``enterprise``, ``individual`` (a citizen) or ``anonymous`` (a hotline caller leaving no contact
    #: data); the dashboard splits its figures by it. An optional field: events of earlier versions are enterprises'.
    filer_kind: str = "enterprise"
    township: str | None = None
    address: str | None = None
    received_at: datetime
    #: Who filed it for the filer: ``operator:<name>`` (hotline) or ``partner:<name>`` (a partner system through
    #: Open311); None for the filer's own filing and in events of earlier versions (an optional field: v1 still).
    filed_by: str | None = None


class _IntakeTransitionV1(EventData):
    """Base of the lifecycle events intake emits for every transition of a complaint (also its history entry).

    ``actor`` is a role-qualified name (``handler:power:张三``, ``filer``, ``dispatcher:李四`` …), never contact data.
    """

    TOPIC: ClassVar[str] = TOPIC_INTAKE
    SOURCE: ClassVar[str] = "/services/intake"

    actor: str
    #: The lead department at the time of the transition (None while unplaced).
    department: str | None = None
    status: str
    version: int
    at: datetime


class ComplaintClaimedV1(_IntakeTransitionV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.claimed.v1"
    lease_until: datetime


class ComplaintAcceptedV1(_IntakeTransitionV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.accepted.v1"


class ComplaintContactedV1(_IntakeTransitionV1):
    """The handler called the filer (the 1-day contact milestone of some policies)."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.contacted.v1"


class ComplaintInfoRequestedV1(_IntakeTransitionV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.info_requested.v1"


class ComplaintSupplementedV1(_IntakeTransitionV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.supplemented.v1"


class ComplaintAnsweredV1(_IntakeTransitionV1):
    """The lead department answered the filer: the complaint is resolved (stops the resolution clocks)."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.answered.v1"


class ComplaintCooperatingAddedV1(_IntakeTransitionV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.cooperating_added.v1"
    cooperating: str


class ComplaintRatedV1(_IntakeTransitionV1):
    """The filer's 回访 rating: ``satisfied`` (满意), ``basically_satisfied`` (基本满意), ``dissatisfied`` (不满意)."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.rated.v1"
    rating: str


class ComplaintReopenedV1(_IntakeTransitionV1):
    """The filer was dissatisfied: the complaint reopens once, its clocks restart."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.reopened.v1"
    reason: str


class ComplaintClosedV1(_IntakeTransitionV1):
    """Closed after the rating, or after 7 days without one (``rating`` is then None)."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.closed.v1"
    rating: str | None = None


class ComplaintDuplicateLinkedV1(_IntakeTransitionV1):
    """A repeat by the same filer within 30 days (重复件), linked to the first and answered with it."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.duplicate_linked.v1"
    original_id: str


class ComplaintReturnedV1(_IntakeTransitionV1):
    """A handler returned (退回) a misrouted complaint; it goes back to routing without that department."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.returned.v1"

    #: The department that returns it (``department`` of the base is the same, kept for uniformity).
    returned_by: str
    reason: str
    #: The department the handler says is right, when known (a correction the router learns from).
    suggested_department: str | None = None


class ComplaintDispatchedV1(_IntakeTransitionV1):
    """A dispatcher placed a complaint by hand (from triage or on re-dispatch); the router learns from it."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.dispatched.v1"

    also: list[str] = Field(default_factory=list)
    financial_service: bool
    township: str | None = None


# --- router ---------------------------------------------------------------------------------------------------------


class RankedDepartmentV1(BaseModel):
    department: str
    score: float


class ComplaintRoutedV1(EventData):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.routed.v1"
    TOPIC: ClassVar[str] = TOPIC_ROUTER
    SOURCE: ClassVar[str] = "/services/router"

    department: str
    also: list[str] = Field(default_factory=list)
    score: float
    confidence: float
    financial_service: bool
    #: The SLA class the router assigns: ``standard`` or ``financial_service``.
    sla_policy: str
    township: str | None = None
    received_at: datetime
    routed_at: datetime
    #: 0 for the first decision, +1 for each re-routing after a return or a manual dispatch.
    attempt: int = 0
    #: Who placed it: ``router`` or ``dispatcher:<name>``.
    decided_by: str = "router"
    explanation: list[dict[str, Any]] = Field(default_factory=list)


class ComplaintTriageRequiredV1(EventData):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.triage_required.v1"
    TOPIC: ClassVar[str] = TOPIC_ROUTER
    SOURCE: ClassVar[str] = "/services/router"

    confidence: float
    financial_service: bool
    sla_policy: str
    ranked: list[RankedDepartmentV1] = Field(default_factory=list)
    received_at: datetime
    explanation: list[dict[str, Any]] = Field(default_factory=list)


# --- sla ------------------------------------------------------------------------------------------------------------


class SlaMilestoneV1(BaseModel):
    milestone: str
    due_at: datetime


class SlaClockOpenedV1(EventData):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.clock_opened.v1"
    TOPIC: ClassVar[str] = TOPIC_SLA
    SOURCE: ClassVar[str] = "/services/sla"

    department: str
    policy: str
    milestones: list[SlaMilestoneV1]
    calendar_warnings: list[str] = Field(default_factory=list)


class _SlaStepV1(EventData):
    TOPIC: ClassVar[str] = TOPIC_SLA
    SOURCE: ClassVar[str] = "/services/sla"

    department: str
    policy: str
    milestone: str
    step: int
    level: str | None = None
    due_at: datetime
    fire_at: datetime


class SlaWarningV1(_SlaStepV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.warning.v1"


class SlaBreachedV1(_SlaStepV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.breached.v1"


class SlaEscalatedV1(_SlaStepV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.escalated.v1"


class SlaDeadlineChangedV1(EventData):
    """A milestone's deadline moved: marked difficult, extended (延期) by a supervisor, or restarted on reopening."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.deadline_changed.v1"
    TOPIC: ClassVar[str] = TOPIC_SLA
    SOURCE: ClassVar[str] = "/services/sla"

    milestone: str
    due_at: datetime
    previous_due_at: datetime | None = None
    cause: str  # "difficult" | "extension" | "reopened" | "rerouted"
    reason: str
    actor: str


class _SlaOutcomeV1(EventData):
    TOPIC: ClassVar[str] = TOPIC_SLA
    SOURCE: ClassVar[str] = "/services/sla"

    department: str
    policy: str
    milestone: str
    due_at: datetime
    done_at: datetime


class SlaMetV1(_SlaOutcomeV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.met.v1"


class SlaMissedV1(_SlaOutcomeV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.missed.v1"


EVENT_TYPES: dict[str, type[EventData]] = {
    cls.TYPE: cls
    for cls in (
        ComplaintReceivedV1,
        ComplaintClaimedV1,
        ComplaintAcceptedV1,
        ComplaintContactedV1,
        ComplaintInfoRequestedV1,
        ComplaintSupplementedV1,
        ComplaintAnsweredV1,
        ComplaintCooperatingAddedV1,
        ComplaintRatedV1,
        ComplaintReopenedV1,
        ComplaintClosedV1,
        ComplaintDuplicateLinkedV1,
        ComplaintReturnedV1,
        ComplaintDispatchedV1,
        ComplaintRoutedV1,
        ComplaintTriageRequiredV1,
        SlaClockOpenedV1,
        SlaWarningV1,
        SlaBreachedV1,
        SlaEscalatedV1,
        SlaDeadlineChangedV1,
        SlaMetV1,
        SlaMissedV1,
    )
}

SLA_STEP_EVENTS: dict[str, type[_SlaStepV1]] = {
    "warning": SlaWarningV1,
    "breached": SlaBreachedV1,
    "escalated": SlaEscalatedV1,
}
