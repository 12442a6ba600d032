"""Intake's own tables: the complaint record, the filer's contact data (kept apart from the complaint body), the
complaint history, the correspondence on a complaint (questions, supplements, answers, notes), the cooperating
departments, the attachments (their files are in the object store), the limits' buckets, the partner systems'
Open311 API keys (hashed), the departments' reply templates, and intake's outbox / processed-event tables.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlalchemy import text as sql_text  # the model has a column named text

from shared.sqltypes import aware_field
from sqlmodel import Field, SQLModel

from shared.outbox import outbox_tables

SERVICE = "intake"
#: Intake's Alembic revisions.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Complaint(SQLModel, table=True):
    __tablename__ = "intake_complaint"

    id: str = Field(primary_key=True, max_length=36)
    tracking_number: str = Field(max_length=24, unique=True)
    #: The filing's Idempotency-Key as its client's (``service.IdempotencyKey``): an HMAC of the client and the key,
    #: 64 hex characters, never either of them. Cleared when the key's time is over and its client uses it again.
    idempotency_digest: str | None = Field(default=None, max_length=128, unique=True)
    #: The body filed with that key (SHA-256 of its canonical JSON): a retry must send the same.
    request_hash: str | None = Field(default=None, max_length=64)
    #: The short access code a caller is read with the tracking number (``access_codes.py``): a salt and an HMAC of the
    #: salt and the code, never the code. None for complaints filed before codes existed, or by a partner system.
    access_code_digest: str | None = Field(default=None, max_length=96)
    title: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(max_length=16)
    #: enterprise, individual (a citizen) or anonymous (a hotline caller who leaves no contact data).
    filer_kind: str = Field(default="enterprise", max_length=16, sa_column_kwargs={"server_default": "enterprise"})
    #: The enterprise and its credit code; empty for a citizen or an anonymous caller.
    enterprise_name: str = Field(default="", max_length=200)
    credit_code: str = Field(default="", max_length=18)
    #: Whose complaints a repeat (重复件) is looked for among: the enterprise's credit code, or for a citizen a keyed
    #: digest of their number (``duplicates.filer_key``: never the number); None for an anonymous caller.
    filer_key: str | None = Field(default=None, max_length=64)
    township: str | None = Field(default=None, max_length=60)
    address: str | None = Field(default=None, max_length=300)
    status: str = Field(max_length=24, index=True)
    department: str | None = Field(default=None, max_length=32, index=True)
    also: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: The 乡镇/街道 (gazetteer name) the complaint was placed with: the router's decision or the dispatch names it
    #: when the township department leads it; its handlers of that township see it (``access.py``).
    assigned_township: str | None = Field(default=None, max_length=60)
    financial_service: bool | None = None
    sla_policy: str | None = Field(default=None, max_length=32)
    due_at: datetime | None = aware_field(nullable=True)
    overdue: bool = False
    received_at: datetime = aware_field(nullable=False)
    updated_at: datetime = aware_field(nullable=False)
    version: int = 1
    #: Who filed it on the filer's behalf: a hotline operator (``operator:<name>``) or a partner system through
    #: Open311 (``partner:<name>``); None for public filing.
    filed_by: str | None = Field(default=None, max_length=80)
    #: The Open311 service type the partner filed it as: a hint the history records, never a routing decision.
    service_code: str | None = Field(default=None, max_length=40)
    #: The handler holding the claim (actor string) and until when the lease runs.
    claimed_by: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = aware_field(nullable=True)
    accepted_at: datetime | None = aware_field(nullable=True)
    contacted_at: datetime | None = aware_field(nullable=True)
    answered_at: datetime | None = aware_field(nullable=True)
    closed_at: datetime | None = aware_field(nullable=True)
    rating: str | None = Field(default=None, max_length=24)
    reopen_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Set on a duplicate (重复件): the first complaint it is linked to and answered with.
    original_id: str | None = Field(default=None, max_length=36)
    #: The router's ranked candidates while the complaint waits in triage.
    candidates: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: Milestone → deadline (ISO instant) as the SLA service announced them; ``due_at`` is the latest.
    deadlines: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))

    __table_args__ = (
        Index("ix_intake_complaint_queue", "department", "due_at", "id"),
        #: The sweep closing answered complaints nobody rated reads only this index's range.
        Index("ix_intake_complaint_unrated", "status", "answered_at"),
        #: A filing's duplicate look-up reads one range of this index: the filer's complaints received within the
        #: window.
        Index("ix_intake_complaint_filer", "filer_key", "received_at"),
        #: The complaints an operator filed, newest first (``access_codes.filed_by``).
        Index("ix_intake_complaint_filed_by", "filed_by", "received_at"),
        #: The staff search reads complaints newest first (``search.py``).
        Index("ix_intake_complaint_received", "received_at", "id"),
        #: The duplicates linked to a complaint. Only linked rows are indexed, so the look-up of originals
        #: (``original_id IS NULL``) is never planned on it: on a young table, with no statistics yet, it was, and
        #: read the whole index for every filing.
        Index("ix_intake_complaint_original_id", "original_id", postgresql_where=sql_text("original_id IS NOT NULL"),
              sqlite_where=sql_text("original_id IS NOT NULL")),
    )


class FilerContact(SQLModel, table=True):
    """Personal contact data, stored apart from the complaint body and never put on the bus."""

    __tablename__ = "intake_filer_contact"

    complaint_id: str = Field(primary_key=True, foreign_key="intake_complaint.id", max_length=36)
    #: The enterprise's contact, or the citizen's own name (姓名).
    contact_name: str = Field(max_length=60)
    mobile: str = Field(max_length=20)
    #: A citizen's 居民身份证号, when given (checked with ``stdnum.cn.ric``).
    id_number: str | None = Field(default=None, max_length=18)


class HistoryEntry(SQLModel, table=True):
    __tablename__ = "intake_history"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36, index=True)
    at: datetime = aware_field(nullable=False)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Message(SQLModel, table=True):
    """Correspondence on a complaint: the department's questions and answers, the filer's supplements, staff notes
    (including a cooperating department's part) and reasons given for returns and ratings."""

    __tablename__ = "intake_message"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36, index=True)
    at: datetime = aware_field(nullable=False)
    actor: str = Field(max_length=80)
    department: str | None = Field(default=None, max_length=32)
    #: question | supplement | answer | note | return_reason | rating_reason
    kind: str = Field(max_length=24)
    text: str = Field(sa_column=Column(Text, nullable=False))
    #: Whether the filer sees it (questions, answers, their own supplements and reasons); notes stay internal.
    to_filer: bool = False


class Cooperation(SQLModel, table=True):
    """A cooperating (协办) department of a complaint: sees it read-only and may add its part."""

    __tablename__ = "intake_cooperation"

    complaint_id: str = Field(primary_key=True, foreign_key="intake_complaint.id", max_length=36)
    department: str = Field(primary_key=True, max_length=32, index=True)
    added_at: datetime = aware_field(nullable=False)
    added_by: str = Field(max_length=80)


class FilingBucket(SQLModel, table=True):
    """One client's budget, shared by every intake replica (``services/intake/ratelimit.py``): its filings, and its
    tries of access codes (``services/intake/access_codes.py``)."""

    __tablename__ = "intake_filing_bucket"

    #: A keyed digest of the client (an IP address, or a staff token's role and subject), never the client itself.
    key: str = Field(primary_key=True, max_length=32)
    #: When the bucket is full again; a missing row is a full bucket.
    full_at: datetime = aware_field(nullable=False)
    #: Whether the last filing that came took a token (False: it was refused).
    taken: bool


class PartnerKey(SQLModel, table=True):
    """An Open311 API key of a partner system (a city platform, an app): only its SHA-256 digest is stored."""

    __tablename__ = "intake_partner_key"

    #: A short public id to name the key in listings and revocation (not a secret).
    id: str = Field(primary_key=True, max_length=16)
    #: The partner's name: what its filings record (``partner:<name>``) and what it may read back.
    name: str = Field(max_length=40, index=True)
    #: SHA-256 (hex) of the key, which is 256 random bits: a digest nobody can invert or search.
    digest: str = Field(max_length=64, unique=True)
    #: Filings a minute this key may make (also its burst); 0 = no limit.
    rate_per_minute: int
    created_at: datetime = aware_field(nullable=False)
    revoked_at: datetime | None = aware_field(nullable=True)


class ReplyTemplate(SQLModel, table=True):
    """A department's reply template (答复模板): a text with placeholders a handler renders for a complaint, edits and
    sends as the answer. Retired templates stay (answers name the template they came from), offered no more."""

    __tablename__ = "intake_reply_template"

    id: str = Field(primary_key=True, max_length=36)
    department: str = Field(max_length=32)
    name: str = Field(max_length=60)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = aware_field(nullable=False)
    created_by: str = Field(max_length=80)
    updated_at: datetime = aware_field(nullable=False)
    updated_by: str = Field(max_length=80)
    retired_at: datetime | None = aware_field(nullable=True)

    __table_args__ = (Index("ix_intake_reply_template_department", "department", "name"),)
class Attachment(SQLModel, table=True):
    """A photo or document attached to a complaint (附件). The file itself is in the object store under its SHA-256
    (``services/intake/attachments.py``); the row is written after it, so no row names a missing file. The name the
    file had on the uploader's device is not kept: it may carry personal data (名字、身份证号、手机号)."""

    __tablename__ = "intake_attachment"

    id: str = Field(primary_key=True, max_length=36)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36)
    #: 1, 2, 3 … within the complaint: how people and URLs name it (附件 2).
    number: int
    #: The media type its content was recognised as (image/jpeg, image/png, image/webp, image/heic, application/pdf).
    kind: str = Field(max_length=40)
    size: int
    #: SHA-256 of the content (hex): its key in the object store.
    sha256: str = Field(max_length=64)
    added_at: datetime = aware_field(nullable=False)
    added_by: str = Field(max_length=80)

    __table_args__ = (
        UniqueConstraint("complaint_id", "number", name="uq_intake_attachment_number"),
    )


OUTBOX = outbox_tables(SERVICE, SQLModel.metadata)

# The notifier's tables belong to intake's schema too (its migrations build them).
from services.intake.notify import model as _notify_model  # noqa: E402,F401

class FollowUp(SQLModel, table=True):
    """A follow-up call (回访) of one answer: the center's follow-up staff call the filer within the policy's working
    days, up to its number of calls when not reached, and record the result (``services/intake/followups``)."""

    __tablename__ = "intake_followup"
    __table_args__ = (Index("ix_intake_followup_state_next", "state", "next_call_on"),)

    id: str = Field(primary_key=True, max_length=32)
    complaint_id: str = Field(foreign_key="intake_complaint.id", max_length=36, index=True)
    #: The department whose answer is followed up, and when it answered.
    department: str | None = Field(default=None, max_length=32)
    answered_at: datetime = aware_field(nullable=False)
    #: The last day of the policy's working days, and the day the next call is due (a later working day after a
    #: call that did not reach the filer).
    due_on: date
    next_call_on: date
    attempts: int = 0
    #: open; done (reached, result recorded); declined; not_reached (the calls ran out); superseded (a new answer).
    state: str = Field(default="open", max_length=16)
    solved: bool | None = None
    rating: str | None = Field(default=None, max_length=24)
    created_at: datetime = aware_field(nullable=False)
    ended_at: datetime | None = aware_field(default=None, nullable=True)
    ended_by: str | None = Field(default=None, max_length=80)
