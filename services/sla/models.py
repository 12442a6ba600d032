"""The SLA service's own tables: clocks (one per complaint and milestone, plus one per department that held the
complaint), the escalation steps already fired (the exactly-once guard), the audit trail of deadline changes, and
its outbox / processed-event tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from shared.outbox import outbox_tables
from shared.sqltypes import aware_field

SERVICE = "sla"

#: The complaint's own clock: it keeps running when the complaint is re-routed and fires the escalations.
SCOPE_COMPLAINT = "complaint"
#: One department's share of the time: starts when the department gets the complaint, stops when it answers or the
#: complaint moves on. It fires no escalations; it measures the department.
SCOPE_DEPARTMENT = "department"

OPEN = "open"
STOPPED = "stopped"


class Clock(SQLModel, table=True):
    __tablename__ = "sla_clock"
    __table_args__ = (
        UniqueConstraint("complaint_id", "milestone", "scope", "attempt", name="uq_sla_clock"),
        # The timer reads only clocks that are open and due: its cost follows what is due, not what is open.
        Index("ix_sla_clock_due", "next_fire_at", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(max_length=36, index=True)
    milestone: str = Field(max_length=40)
    scope: str = Field(max_length=12)
    #: Routing attempt that opened a department clock (0 for the complaint clock).
    attempt: int = 0
    policy: str = Field(max_length=40)
    department: str = Field(max_length=32, index=True)
    status: str = Field(max_length=12, default=OPEN)
    difficult: bool = False
    #: Bumped whenever the deadline moves (difficult, extension, reopening); part of every fired step's identity.
    revision: int = 0
    started_at: datetime = aware_field(nullable=False)
    due_at: datetime = aware_field(nullable=False)
    extended_days: int = 0
    next_step_index: int = 0
    next_fire_at: datetime | None = aware_field(nullable=True)
    stopped_at: datetime | None = aware_field(nullable=True)
    #: "met" | "missed" once answered; "moved" when a department clock stopped because the complaint was re-routed.
    outcome: str | None = Field(default=None, max_length=12)


class FiredStep(SQLModel, table=True):
    """One row per (complaint, milestone, revision, step) fired: a second replica's attempt conflicts, fires nothing."""

    __tablename__ = "sla_fired_step"

    complaint_id: str = Field(primary_key=True, max_length=36)
    milestone: str = Field(primary_key=True, max_length=40)
    revision: int = Field(primary_key=True)
    step: int = Field(primary_key=True)
    kind: str = Field(max_length=12)
    level: str | None = Field(default=None, max_length=40)
    fire_at: datetime = aware_field(nullable=False)
    fired_at: datetime = aware_field(nullable=False)


class AuditEntry(SQLModel, table=True):
    """Who changed a deadline or a clock, when, and why (extensions, difficult marking, stops and restarts)."""

    __tablename__ = "sla_audit"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(max_length=36, index=True)
    at: datetime = aware_field(nullable=False)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


OUTBOX = outbox_tables(SERVICE, SQLModel.metadata)
