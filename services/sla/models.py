"""The SLA service's own tables: one clock per complaint and milestone, the escalation steps already fired (the
exactly-once guard), and its outbox / processed-event tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint, text

from shared.sqltypes import UtcDateTime
from sqlmodel import Field, SQLModel

from shared.outbox import outbox_tables

SERVICE = "sla"


def _aware(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), **kwargs))


class Clock(SQLModel, table=True):
    __tablename__ = "sla_clock"
    __table_args__ = (
        UniqueConstraint("complaint_id", "milestone", name="uq_sla_clock_complaint_milestone"),
        # The timer reads only clocks that are open and due: its cost follows what is due, not what is open.
        Index("ix_sla_clock_due", "next_fire_at", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(max_length=36, index=True)
    milestone: str = Field(max_length=40)
    policy: str = Field(max_length=40)
    department: str = Field(max_length=32)
    status: str = Field(max_length=12, default="open")
    started_at: datetime = _aware(nullable=False)
    due_at: datetime = _aware(nullable=False)
    next_step_index: int = 0
    next_fire_at: datetime | None = _aware(nullable=True)
    resolved_at: datetime | None = _aware(nullable=True)
    outcome: str | None = Field(default=None, max_length=12)


class FiredStep(SQLModel, table=True):
    """One row per (complaint, milestone, step) ever fired: a second replica's attempt conflicts and fires nothing."""

    __tablename__ = "sla_fired_step"

    complaint_id: str = Field(primary_key=True, max_length=36)
    milestone: str = Field(primary_key=True, max_length=40)
    step: int = Field(primary_key=True)
    kind: str = Field(max_length=12)
    level: str | None = Field(default=None, max_length=40)
    fire_at: datetime = _aware(nullable=False)
    fired_at: datetime = _aware(nullable=False)


OUTBOX = outbox_tables(SERVICE, SQLModel.metadata)
