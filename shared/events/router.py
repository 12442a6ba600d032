"""The events the router emits (topic ``complaintline.router``): a complaint placed with a department, or sent
to the dispatcher's triage."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from shared.events.envelope import TOPIC_ROUTER, TYPE_PREFIX, EventData

__all__ = ["RankedDepartmentV1", "ComplaintRoutedV1", "ComplaintTriageRequiredV1"]


class _RouterEventV1(EventData):
    """Base of the events the router emits."""

    TOPIC: ClassVar[str] = TOPIC_ROUTER
    SOURCE: ClassVar[str] = "/services/router"


class RankedDepartmentV1(BaseModel):
    department: str
    score: float


class ComplaintRoutedV1(_RouterEventV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.routed.v1"

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


class ComplaintTriageRequiredV1(_RouterEventV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "complaint.triage_required.v1"

    confidence: float
    financial_service: bool
    sla_policy: str
    ranked: list[RankedDepartmentV1] = Field(default_factory=list)
    received_at: datetime
    explanation: list[dict[str, Any]] = Field(default_factory=list)
