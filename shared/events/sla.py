"""The events the SLA service emits (topic ``complaintline.sla``): a clock opened, its warning, breach and
escalation steps, a deadline moved, and a milestone met or missed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from shared.events.envelope import TOPIC_SLA, TYPE_PREFIX, EventData

__all__ = [
    "SlaMilestoneV1", "SlaClockOpenedV1", "SlaWarningV1", "SlaBreachedV1", "SlaEscalatedV1", "SlaDeadlineChangedV1",
    "SlaMetV1", "SlaMissedV1", "SLA_STEP_EVENTS"
]


class _SlaEventV1(EventData):
    """Base of the events the SLA service emits."""

    TOPIC: ClassVar[str] = TOPIC_SLA
    SOURCE: ClassVar[str] = "/services/sla"


class SlaMilestoneV1(BaseModel):
    milestone: str
    due_at: datetime


class SlaClockOpenedV1(_SlaEventV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.clock_opened.v1"

    department: str
    policy: str
    milestones: list[SlaMilestoneV1]
    calendar_warnings: list[str] = Field(default_factory=list)


class _SlaStepV1(_SlaEventV1):
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


class SlaDeadlineChangedV1(_SlaEventV1):
    """A milestone's deadline moved: marked difficult, extended (延期) by a supervisor, or restarted on reopening."""

    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.deadline_changed.v1"

    milestone: str
    due_at: datetime
    previous_due_at: datetime | None = None
    cause: str  # "difficult" | "extension" | "reopened" | "rerouted"
    reason: str
    actor: str


class _SlaOutcomeV1(_SlaEventV1):
    department: str
    policy: str
    milestone: str
    due_at: datetime
    done_at: datetime


class SlaMetV1(_SlaOutcomeV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.met.v1"


class SlaMissedV1(_SlaOutcomeV1):
    TYPE: ClassVar[str] = TYPE_PREFIX + "sla.missed.v1"


SLA_STEP_EVENTS: dict[str, type[_SlaStepV1]] = {
    "warning": SlaWarningV1,
    "breached": SlaBreachedV1,
    "escalated": SlaEscalatedV1,
}
