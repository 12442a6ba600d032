"""What the intake API answers when people read complaints: the complaint, its history and correspondence, the
audited contact read, and the work queues. The filer's contact data is masked everywhere but ``ContactView``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ComplaintView(BaseModel):
    id: str
    tracking_number: str
    title: str
    #: What the filer wrote, whole, and the address given (shown to whoever may see the complaint).
    text: str
    address: str | None = None
    channel: str
    status: str
    status_zh: str
    department: str | None
    department_name: str | None
    also: list[str]
    township: str | None
    financial_service: bool | None
    sla_policy: str | None
    due_at: datetime | None
    #: The deadline as people read it: 12月16日（周三）24:00 前 (``due_at`` is that instant, 00:00 of the 17th).
    due_text: str | None = None
    overdue: bool
    received_at: datetime
    updated_at: datetime
    version: int
    filer: dict[str, Any]
    #: How the caller relates to it: lead, cooperating (read-only), oversight, filer, operator.
    role: str | None = None
    claimed_by: str | None = None
    lease_until: datetime | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    rating: str | None = None
    reopen_count: int = 0
    duplicate_of: str | None = None
    cooperating: list[str] = Field(default_factory=list)
    candidates: list[dict[str, Any]] | None = None
    #: What this caller may do next (API action names), by status, role and claim lease.
    next_actions: list[str] = Field(default_factory=list)


class HistoryItem(BaseModel):
    at: datetime
    actor: str
    action: str
    summary: str
    detail: dict[str, Any]


class MessageItem(BaseModel):
    at: datetime
    actor: str
    department: str | None
    kind: str
    text: str


class ContactView(BaseModel):
    #: The enterprise's contact, or the citizen's own name.
    contact_name: str
    mobile: str
    #: A citizen's 居民身份证号, when given: shown whole only here.
    id_number: str | None = None


class QueueItem(BaseModel):
    id: str
    tracking_number: str
    title: str
    #: The start of the complaint's text (the whole text is in the complaint's view).
    excerpt: str
    status: str
    status_zh: str
    department: str | None
    #: lead (the department handles it) or cooperating (read-only, it may add its part)
    role: str
    #: enterprise, individual or anonymous
    filer_kind: str = "enterprise"
    #: The enterprise's name (None for a citizen or an anonymous caller).
    enterprise_name: str | None
    mobile: str | None
    due_at: datetime | None
    #: The deadline as people read it (12月16日（周三）24:00 前).
    due_text: str | None = None
    overdue: bool
    claimed_by: str | None
    lease_until: datetime | None
    lease_active: bool
    duplicate_of: str | None
    received_at: datetime
    version: int
    candidates: list[dict[str, Any]] | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    #: Pass as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None

