"""Staff search: the complaints a staff member may see (``visible.py``), by tracking number, enterprise (credit code or
name), words of the title or text, lead department, status and the period it was received in; newest first, cut into
pages by the queues' opaque cursor (``queue.py``).

The filters come in a request body (``SearchBody``), never in the URL: what people search for — an enterprise's name,
words of a complaint — stays out of access logs and browser histories. An enterprise is searched by its credit code
or its name, never by the contact's number: contact data is no search key.

Words are matched with ``LIKE '%…%'`` on the title, the text and the enterprise's name (case-insensitive for Latin
letters; ``%`` and ``_`` match themselves). That reads every complaint the other filters leave, which a county's few
tens of thousands of complaints a year afford on SQLite and PostgreSQL alike; a full-text index (``pg_trgm``,
``zhparser``) would be the next step at a larger scale.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from sqlalchemy import ColumnElement, and_, func, or_, select

from services.intake.domain.access import relation
from services.intake.domain.lifecycle import Status
from services.intake.models import Complaint, FilerContact
from services.intake.queue import decode_cursor, encode_cursor
from services.intake.schemas import QueuePage, RequestBody, check_credit_code, check_department
from services.intake.views import queue_item
from services.intake.visible import COMPLAINT, visible_to
from shared.auth import Principal
from shared.calendar import SHANGHAI
from shared.db import Database
from shared.problems import field_error

TRACKING_NUMBER_PATTERN = "^TS[0-9]{8}-[0-9A-HJKMNP-TV-Z]{6}$"
_TRACKING_NUMBER = re.compile(TRACKING_NUMBER_PATTERN)
WORDS_MAX = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Words = Annotated[str, StringConstraints(min_length=1, max_length=WORDS_MAX)]


class SearchFilters(RequestBody):
    """What to look for; every filter is optional and they all apply together."""

    tracking_number: str | None = Field(default=None, max_length=24, description="诉求编号（TS20261123-7K3M9P）",
                                        json_schema_extra={"pattern": TRACKING_NUMBER_PATTERN})
    credit_code: str | None = Field(default=None, max_length=40, description="企业的统一社会信用代码（整码）")
    enterprise: Words | None = Field(default=None, description="企业名称中的文字")
    text: Words | None = Field(default=None, description="标题或诉求内容中的文字")
    department: str | None = Field(default=None, description="承办部门（目录中的部门编号）")
    status: list[Status] = Field(default_factory=list, max_length=len(Status), description="状态（任一）")
    received_from: date | None = Field(default=None, description="登记日期起（含，北京时间）")
    received_to: date | None = Field(default=None, description="登记日期止（含，北京时间）")

    @field_validator("tracking_number")
    @classmethod
    def _tracking_number(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip().upper()
        if not _TRACKING_NUMBER.match(v):
            raise field_error("tracking_number_format", "A tracking number reads like TS20261123-7K3M9P",
                              "诉求编号格式应如 TS20261123-7K3M9P")
        return v

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        return check_credit_code(v.strip()) if v and v.strip() else None

    @field_validator("enterprise", "text")
    @classmethod
    def _words(cls, v: str | None) -> str | None:
        return v.strip() or None if v else None

    @field_validator("department")
    @classmethod
    def _lead(cls, v: str | None) -> str | None:
        return check_department(v) if v and v.strip() else None

    @field_validator("received_to")
    @classmethod
    def _period(cls, v: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("received_from")
        if v is not None and first is not None and v < first:
            raise field_error("period_reversed", "The period ends before it starts", "登记日期止不能早于登记日期起")
        return v


class SearchBody(SearchFilters):
    """A search: the filters and which page."""

    cursor: str | None = Field(default=None, max_length=200, description="上一页的 next_cursor",
                               json_schema_extra={"pattern": "^[A-Za-z0-9_-]+$"})
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


def _contains(column, words: str) -> ColumnElement[bool]:
    return func.lower(column).contains(words.lower(), autoescape=True)


def conditions(principal: Principal, f: SearchFilters) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions, the caller's visibility first."""
    c = COMPLAINT.c
    where: list[ColumnElement[bool]] = [visible_to(principal)]
    if f.tracking_number:
        where.append(c.tracking_number == f.tracking_number)
    if f.credit_code:
        where.append(c.credit_code == f.credit_code)
    if f.enterprise:
        where.append(_contains(c.enterprise_name, f.enterprise))
    if f.text:
        where.append(or_(_contains(c.title, f.text), _contains(c.text, f.text)))
    if f.department:
        where.append(c.department == f.department)
    if f.status:
        where.append(c.status.in_([s.value for s in f.status]))
    if f.received_from:
        where.append(c.received_at >= _local_midnight(f.received_from))
    if f.received_to:
        where.append(c.received_at < _local_midnight(f.received_to + timedelta(days=1)))
    return where


def _newest_first(query, after: tuple[datetime | None, str] | None):
    c = COMPLAINT.c
    if after is not None and after[0] is not None:
        at, last_id = after
        query = query.where(or_(c.received_at < at, and_(c.received_at == at, c.id < last_id)))
    return query.order_by(c.received_at.desc(), c.id.desc())


async def page(db: Database, principal: Principal, body: SearchBody, now: datetime) -> QueuePage:
    """One page of what the caller may see and the filters select, newest first; each row's ``role`` is how the
    caller relates to it (lead, cooperating, oversight, operator) and its number is masked."""
    after = decode_cursor(body.cursor) if body.cursor else None
    query = (select(Complaint, FilerContact.mobile)
             .join(FilerContact, FilerContact.complaint_id == Complaint.id, isouter=True)
             .where(*conditions(principal, body)))
    async with db.unit_of_work() as uow:
        rows = (await uow.session.execute(_newest_first(query, after).limit(body.limit + 1))).all()
        items = []
        for complaint, mobile in rows[:body.limit]:
            # Visible to a handler and not its department's: its department cooperates on it.
            cooperating = () if complaint.department == principal.department else (principal.department,)
            rel = relation(principal, complaint, cooperating)
            items.append(queue_item(complaint, mobile, role=rel.value if rel else "oversight", now=now))
    more = len(rows) > body.limit
    last = rows[body.limit - 1][0] if more else None
    return QueuePage(items=items, next_cursor=encode_cursor(last.received_at, last.id) if last else None)


async def everything(db: Database, principal: Principal, filters: SearchFilters, most: int) -> list[Complaint]:
    """Every complaint the search selects, newest first, at most ``most`` (the caller tells more from fewer)."""
    query = select(Complaint).where(*conditions(principal, filters))
    async with db.unit_of_work() as uow:
        return list((await uow.session.scalars(_newest_first(query, None).limit(most))).all())
