"""The CloudEvents 1.0 JSON envelope every event travels in (:class:`Envelope`), the base of every payload
(:class:`EventData`), the topics, and the registry that maps a CloudEvents ``type`` back to its payload class
(:data:`EVENT_TYPES`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from shared import clock
from shared.ids import new_id

__all__ = [
    "Envelope", "EventData", "TYPE_PREFIX", "TOPIC_INTAKE", "TOPIC_ROUTER", "TOPIC_SLA", "TOPIC_DEAD_LETTER",
    "ALL_TOPICS", "EVENT_ID_NAMESPACE", "EVENT_TYPES", "utcnow", "deterministic_id"
]

TYPE_PREFIX = "org.complaintline."
#: One topic per emitting service; consumers pick the types they handle.
TOPIC_INTAKE = "complaintline.intake"
TOPIC_ROUTER = "complaintline.router"
TOPIC_SLA = "complaintline.sla"
TOPIC_DEAD_LETTER = "complaintline.dead-letter"
ALL_TOPICS = (TOPIC_INTAKE, TOPIC_ROUTER, TOPIC_SLA, TOPIC_DEAD_LETTER)

#: Namespace for deterministic event ids (uuid5), so a replayed or duplicated decision maps to the same id.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a7e-3b9d-5e40-9a51-0c8d2b7e4f13")


#: Every payload class by its CloudEvents ``type`` (filled as the classes of ``intake.py``, ``router.py`` and
#: ``sla.py`` are defined; the package imports them all).
EVENT_TYPES: dict[str, type[EventData]] = {}


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
    """Base of every event payload; ``complaint_id`` is the envelope's subject and Kafka key. A payload class that
    names its ``TYPE`` enters :data:`EVENT_TYPES` as it is defined."""

    model_config = ConfigDict(frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    SOURCE: ClassVar[str]

    complaint_id: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:
            if cls.TYPE in EVENT_TYPES:
                raise TypeError(f"two event classes of type {cls.TYPE}")
            EVENT_TYPES[cls.TYPE] = cls

    def envelope(self, *, event_id: str | None = None, time: datetime | None = None) -> Envelope:
        return Envelope(
            id=event_id or new_id(),
            source=self.SOURCE,
            type=self.TYPE,
            subject=self.complaint_id,
            partitionkey=self.complaint_id,
            time=time or utcnow(),
            data=self.model_dump(mode="json"),
        )
