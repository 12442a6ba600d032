"""Intake's own tables: the complaint record, the filer's contact data (kept apart from the complaint body), the
complaint history, and intake's outbox / processed-event tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text

from shared.sqltypes import UtcDateTime
from sqlmodel import Field, SQLModel

from shared.outbox import outbox_tables

SERVICE = "intake"


def _aware(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), **kwargs))


class Complaint(SQLModel, table=True):
    __tablename__ = "intake_complaint"

    id: str = Field(primary_key=True, max_length=36)
    tracking_number: str = Field(max_length=24, unique=True)
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)
    request_hash: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(max_length=16)
    enterprise_name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, index=True)
    township: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=300)
    status: str = Field(max_length=24, index=True)
    department: str | None = Field(default=None, max_length=32, index=True)
    also: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    assigned_township: str | None = Field(default=None, max_length=60)
    financial_service: bool | None = None
    sla_policy: str | None = Field(default=None, max_length=32)
    due_at: datetime | None = _aware(nullable=True)
    overdue: bool = False
    received_at: datetime = _aware(nullable=False)
    updated_at: datetime = _aware(nullable=False)
    version: int = 1


class FilerContact(SQLModel, table=True):
    """Personal contact data, stored apart from the complaint body and never put on the bus."""

    __tablename__ = "intake_filer_contact"

    complaint_id: str = Field(primary_key=True, foreign_key="intake_complaint.id", max_length=36)
    contact_name: str = Field(max_length=60)
    mobile: str = Field(max_length=20)


class HistoryEntry(SQLModel, table=True):
    __tablename__ = "intake_history"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36, index=True)
    at: datetime = _aware(nullable=False)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


OUTBOX = outbox_tables(SERVICE, SQLModel.metadata)
