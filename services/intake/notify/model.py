"""The notifier's tables: one row per message a filer is to receive, and the complaints whose filer opted out.

``intake_sms`` is both the queue of messages and their record. Its key ``(complaint_id, event_id)`` makes a message
exist once per event however often the event comes (a redelivery, another replica); the sender claims due rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) so that one replica sends each. The row names the filer by complaint
only: the number is read from ``intake_filer_contact`` when the message goes out and is never copied here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from shared.sqltypes import aware_field

#: A message to be sent (or retried) at ``next_attempt_at``.
PENDING = "pending"
#: Claimed by a sender until ``next_attempt_at`` (its lease); taken again if that sender died.
SENDING = "sending"
SENT = "sent"
#: Failed ``SMS_MAX_TRIES`` times: the dead letter, for staff to see in the history and metrics.
DEAD = "dead"
#: Not sent: the filer opted out, or left no mobile.
SKIPPED = "skipped"
#: The rows the sender looks at: messages still to send, and claims whose lease may lapse. The sender's query names
#: them exactly so (written out, not bound), so that PostgreSQL and SQLite read them from the partial index below.
IN_QUEUE = text(f"status IN ('{PENDING}', '{SENDING}')")


class SmsNotice(SQLModel, table=True):
    __tablename__ = "intake_sms"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36)
    #: The id of the event the message tells of (``filed`` for the filing, written with it).
    event_id: str = Field(max_length=64)
    #: Its template (``templates.json``).
    template: str = Field(max_length=32)
    #: The template's values: tracking number, department, deadline … never the complaint's text or contact data.
    #: The filing's access code is dropped from them once the message is sent or dead.
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)
    #: Tries so far (a claim counts as one).
    attempts: int = 0
    #: When it is due (pending) or when a sender's claim lapses (sending).
    next_attempt_at: datetime = aware_field(nullable=False)
    created_at: datetime = aware_field(nullable=False)
    sent_at: datetime | None = aware_field(nullable=True)
    provider: str | None = Field(default=None, max_length=16)
    #: The provider's id of the message (BizId, SerialNo), to look it up with the provider.
    provider_message_id: str | None = Field(default=None, max_length=80)
    #: The provider's error code of the last failed try (never its full message, which may quote the number).
    last_error: str | None = Field(default=None, max_length=80)

    __table_args__ = (
        UniqueConstraint("complaint_id", "event_id", name="uq_intake_sms_event"),
        #: The sender takes the first due rows of the queue, in order: a partial index of the queue alone, whatever
        #: the number of messages sent before, and whatever the backlog (no sort of every row due).
        Index("ix_intake_sms_queue", "next_attempt_at", "id", postgresql_where=IN_QUEUE, sqlite_where=IN_QUEUE),
    )


class SmsOptOut(SQLModel, table=True):
    """A filer who asked not to be told by SMS about this complaint."""

    __tablename__ = "intake_sms_opt_out"

    complaint_id: str = Field(primary_key=True, foreign_key="intake_complaint.id", max_length=36)
    at: datetime = aware_field(nullable=False)
