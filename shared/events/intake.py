"""The events intake emits (topic ``complaintline.intake``): a complaint received, and one event for every
transition of its lifecycle (also its history entry)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.events.envelope import TOPIC_INTAKE, TYPE_PREFIX, EventData

__all__ = [
    "ComplaintReceivedV1", "ComplaintClaimedV1", "ComplaintAcceptedV1", "ComplaintContactedV1",
    "ComplaintInfoRequestedV1", "ComplaintSupplementedV1", "ComplaintAnsweredV1", "ComplaintCooperatingAddedV1",
    "ComplaintRatedV1", "ComplaintReopenedV1", "ComplaintClosedV1", "ComplaintDuplicateLinkedV1",
    "ComplaintReturnedV1", "ComplaintDispatchedV1", "ComplaintFollowedUpV1", "ComplaintReturnRequestedV1", "ComplaintReturnRejectedV1",
]


class _IntakeEventV1(EventData):
    """Base of the events intake emits."""

    TOPIC: ClassVar[str] = TOPIC_INTAKE
    SOURCE: ClassVar[str] = "/services/intake"


class ComplaintReceivedV1(_IntakeEventV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.received.v1"

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


class _IntakeTransitionV1(_IntakeEventV1):
    """Base of the lifecycle events intake emits for every transition of a complaint (also its history entry).

    ``actor`` is a role-qualified name (``handler:power:张三``, ``filer``, ``dispatcher:李四`` …), never contact data.
    """

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
    #: Whether the filer left a contact the center can call back (回访); None in events of earlier versions.
    has_contact: bool | None = None


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
    """A department's return (退回) of a misrouted complaint, approved by the center's review (``actor`` is the
    dispatcher who approved it): it goes back to routing without that department."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.returned.v1"

    #: The department that returns it (``department`` of the base is the same, kept for uniformity).
    returned_by: str
    reason: str
    #: The department the review holds right, when known (a correction the router learns from): the handler's
    #: suggestion, or the reviewer's.
    suggested_department: str | None = None
    #: When the department asked to return it (the review took from then to ``at``); None in events of returns made
    #: before returns were reviewed (an optional field: v1 still).
    requested_at: datetime | None = None


class ComplaintReturnRequestedV1(_IntakeTransitionV1):
    """A handler asks to return (退回) the complaint; it waits for the center's review (派单异议审核), its department
    still holding it and its clocks running."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.return_requested.v1"

    returned_by: str
    reason: str
    suggested_department: str | None = None
    #: Why a supervisor's permit was needed (``late``: after the return window; ``again``: the department's return
    #: was rejected before), and the supervisor who gave it; empty and None for a return within the rules.
    needed_permit: list[str] = Field(default_factory=list)
    permitted_by: str | None = None


class ComplaintReturnRejectedV1(_IntakeTransitionV1):
    """The center's review rejected a department's return: the complaint is back with that department, which must
    handle it (``actor`` is the dispatcher)."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.return_rejected.v1"

    returned_by: str
    reason: str
    requested_at: datetime


class ComplaintDispatchedV1(_IntakeTransitionV1):
    """A dispatcher placed a complaint by hand (from triage or on re-dispatch); the router learns from it."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.dispatched.v1"

    also: list[str] = Field(default_factory=list)
    financial_service: bool
    township: str | None = None


class ComplaintFollowedUpV1(_IntakeEventV1):
    """A follow-up call (回访) of an answer by the center's follow-up staff: ``outcome`` reached (with ``solved`` and
    ``rating``), not_reached (``final`` once the calls ran out) or declined. A 不满意 reached by phone also reopens the
    complaint through the filer's rating (``complaint.rated`` and ``complaint.reopened``). Not a transition itself."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.followed_up.v1"

    actor: str
    #: The department whose answer is followed up, and when it answered.
    department: str | None = None
    answered_at: datetime
    at: datetime
    outcome: str
    attempt: int
    final: bool
    solved: bool | None = None
    rating: str | None = None
