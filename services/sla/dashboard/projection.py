"""The dashboard's own projection of the events: one row per complaint and a timeline per complaint.

Built only from event payloads consumed on the three topics (intake, router, sla) by the ``sla-dashboard`` consumer
group — never from another service's tables. Events of one complaint may arrive in any order across topics, so every
handler upserts the complaint's row and sets only the columns its event knows about. The status is intake's: the last
intake event's, moved on by the router's decisions as intake moves it (``handlers.follow_routing``).

Nothing here holds filer contact data: the events never carry it, and free texts that reach the timeline (reasons)
pass through :func:`mask_contacts` anyway.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from shared.sqltypes import aware_field

#: Ratings of the 回访 (filer follow-up).
SATISFIED = "satisfied"
BASICALLY_SATISFIED = "basically_satisfied"
DISSATISFIED = "dissatisfied"


class ReportComplaint(SQLModel, table=True):
    """One complaint as the dashboard sees it: when it came, where it is, its deadline, and how it ended."""

    __tablename__ = "sla_report_complaint"
    __table_args__ = (
        Index("ix_sla_report_complaint_received", "received_at"),
        Index("ix_sla_report_complaint_answered", "last_answered_at"),
        Index("ix_sla_report_complaint_open_due", "answered", "due_at"),
    )

    complaint_id: str = Field(primary_key=True, max_length=36)
    tracking_number: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=20)
    #: Who filed it (``complaint.received``): enterprise, individual or anonymous; None until that event is in.
    filer_kind: str | None = Field(default=None, max_length=16)
    township: str | None = Field(default=None, max_length=40)
    received_at: datetime | None = aware_field(default=None, nullable=True)
    #: Lifecycle status as intake has it: the last intake event's, or the router's decision that intake applied since.
    status: str | None = Field(default=None, max_length=24)
    #: The department the router (or a dispatcher) placed it with first, and the latest placement. Whether a
    #: department holds it now depends on the status too (``rows.holder``).
    first_department: str | None = Field(default=None, max_length=32)
    department: str | None = Field(default=None, max_length=32, index=True)
    #: True when the router's latest decision sent it to the dispatcher's triage queue.
    triage: bool = False
    #: Routing decisions received: placements (the first plus every re-routing) and those sent to triage.
    routed_count: int = 0
    triage_count: int = 0
    #: What asked for a routing decision after the filing: handlers' returns (退回) and dispatchers' dispatches.
    returned_count: int = 0
    dispatched_count: int = 0
    #: The SLA policy applied (from sla.clock_opened; the router's class until then) and its resolution milestone.
    policy: str | None = Field(default=None, max_length=40, index=True)
    milestone: str | None = Field(default=None, max_length=40)
    #: Deadline of the resolution milestone in force now (moves on extension, difficult marking, reopening).
    due_at: datetime | None = aware_field(default=None, nullable=True)
    first_due_at: datetime | None = aware_field(default=None, nullable=True)
    claimed_at: datetime | None = aware_field(default=None, nullable=True)
    accepted_at: datetime | None = aware_field(default=None, nullable=True)
    contacted_at: datetime | None = aware_field(default=None, nullable=True)
    first_answered_at: datetime | None = aware_field(default=None, nullable=True)
    last_answered_at: datetime | None = aware_field(default=None, nullable=True)
    #: The department that gave the last answer.
    answered_department: str | None = Field(default=None, max_length=32)
    #: True from an answer until a reopening (and after closing): the complaint is 办结 for the figures.
    answered: bool = False
    reopened_count: int = 0
    last_reopened_at: datetime | None = aware_field(default=None, nullable=True)
    #: The filer's first 回访 rating (it judges the first answer, even when a reopening follows) and the latest, each
    #: with the department whose answer it rated. Intake reopens a complaint once, so there are at most two.
    first_rating: str | None = Field(default=None, max_length=24)
    first_rated_at: datetime | None = aware_field(default=None, nullable=True)
    first_rating_department: str | None = Field(default=None, max_length=32)
    rating: str | None = Field(default=None, max_length=24)
    rated_at: datetime | None = aware_field(default=None, nullable=True)
    rating_department: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = aware_field(default=None, nullable=True)
    #: Whether the last answer left a contact the center calls back (None from events of earlier versions), and when
    #: a follow-up call (回访) last reached the filer (``followups.py``).
    answer_has_contact: bool | None = None
    followed_up_at: datetime | None = aware_field(default=None, nullable=True)
    warned_at: datetime | None = aware_field(default=None, nullable=True)
    breached_at: datetime | None = aware_field(default=None, nullable=True)
    escalation_level: str | None = Field(default=None, max_length=40)
    escalated_at: datetime | None = aware_field(default=None, nullable=True)
    #: The SLA service's verdict on the resolution milestone (met / missed), for cross-checking.
    sla_outcome: str | None = Field(default=None, max_length=12)
    duplicate_of: str | None = Field(default=None, max_length=36)


class ReportEvent(SQLModel, table=True):
    """One line of a complaint's timeline (the drill-down), one per consumed event."""

    __tablename__ = "sla_report_event"
    __table_args__ = (
        Index("ix_sla_report_event_complaint_at", "complaint_id", "at"),
        #: A period's entries of one kind (the reopenings the dashboard lists).
        Index("ix_sla_report_event_kind_at", "kind", "at"),
    )

    event_id: str = Field(primary_key=True, max_length=64)
    complaint_id: str = Field(max_length=36)
    at: datetime = aware_field(nullable=False)
    #: Short event type (received, routed, answered, breached …).
    kind: str = Field(max_length=32)
    actor: str | None = Field(default=None, max_length=80)
    department: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def mask_contacts(text: str | None) -> str | None:
    """Replace anything that looks like a phone number or an e-mail address (free texts typed by people)."""
    if text is None:
        return None
    text = _MOBILE.sub("[号码已隐藏]", text)
    text = _LANDLINE.sub("[号码已隐藏]", text)
    return _EMAIL.sub("[邮箱已隐藏]", text)
