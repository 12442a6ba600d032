"""The router's own tables: the complaints it has seen (text kept for re-routing and learning), its decisions,
the corrections it learns from, and its outbox / processed-event tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text

from shared.sqltypes import aware_field
from sqlmodel import Field, SQLModel

from shared.outbox import outbox_tables

SERVICE = "router"


class RoutedComplaint(SQLModel, table=True):
    __tablename__ = "router_complaint"

    complaint_id: str = Field(primary_key=True, max_length=36)
    title: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = aware_field(nullable=False)
    #: Departments that returned (退回) the complaint; never chosen again as lead.
    excluded: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempt: int = 0
    #: Who filed it (``complaint.received``): a financial-service complaint is timed as one only for an enterprise.
    filer_kind: str = Field(default="enterprise", max_length=16, sa_column_kwargs={"server_default": "enterprise"})


class Decision(SQLModel, table=True):
    __tablename__ = "router_decision"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(max_length=36, index=True)
    attempt: int
    department: str = Field(max_length=32)
    also: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confidence: float
    financial_service: bool
    triage: bool
    township: str | None = Field(default=None, max_length=60)
    explanation: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    decided_at: datetime = aware_field(nullable=False)


class Correction(SQLModel, table=True):
    """A department a person chose for a complaint (a handler's 退回 naming the right one, a dispatcher's placement)."""

    __tablename__ = "router_correction"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(max_length=36, index=True)
    department: str = Field(max_length=32)
    financial_service: bool | None = None
    township: str | None = Field(default=None, max_length=60)
    source: str = Field(max_length=16)
    created_at: datetime = aware_field(nullable=False)


OUTBOX = outbox_tables(SERVICE, SQLModel.metadata)
