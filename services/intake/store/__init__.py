"""Intake's statements: reads and writes of its tables (the tables are in ``models.py``).

A filing batch is written by ``store.filings``. ``ComplaintRepository`` serves the commands people issue and the pages:
it reads in the unit of work's transaction and queues its writes for the commit (``UnitOfWork.write``); only a
statement whose answer the command needs at once (``update_if_version``, ``annotate``) runs immediately. The following
of routing and SLA events reads a batch's complaints once and writes what it made of them at commit
(``read_followed``, ``followed``, ``set_cooperating``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, insert, or_, update
from sqlalchemy.sql.dml import Update
from sqlmodel import select

from services.intake.models import Complaint, Cooperation, FilerContact, HistoryEntry, Message
from services.intake.visible import in_township
from shared.db import UnitOfWork
from shared.rows import Row, Rows

COMPLAINT = Complaint.__table__
CONTACT = FilerContact.__table__
HISTORY = HistoryEntry.__table__
INSERT_COMPLAINT, INSERT_CONTACT, INSERT_HISTORY = insert(COMPLAINT), insert(CONTACT), insert(HISTORY)
MESSAGE = Message.__table__
INSERT_MESSAGE = insert(MESSAGE)
COOPERATION = Cooperation.__table__
INSERT_COOPERATION = insert(COOPERATION)
DELETE_COOPERATION = delete(COOPERATION).where(COOPERATION.c.complaint_id == bindparam("target_id"),
                                               COOPERATION.c.department == bindparam("target_department"))
@functools.cache
def _transition(columns: tuple[str, ...]) -> Update:
    """Per set of columns, the transition setting them (and ``updated_at``) on the complaint ``target_id`` names: one
    statement per set, so a unit of work queues the rows of a set together."""
    return update(COMPLAINT).where(COMPLAINT.c.id == bindparam("target_id")).values(version=COMPLAINT.c.version + 1)


class ComplaintRepository:
    """A command's or a page's complaints, in its unit of work: reads through its session, writes queued for its
    commit — what a command wrote is not read back before the commit."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def get(self, complaint_id: str) -> Complaint | None:
        return await self.session.get(Complaint, complaint_id)

    async def contact(self, complaint_id: str) -> FilerContact | None:
        return await self.session.get(FilerContact, complaint_id)

    async def update(self, complaint_id: str, now: datetime, **values: Any) -> None:
        """A transition not guarded by a version (a duplicate answered with its original): change the complaint and
        bump its version, at the commit — its caller does not read the complaint back before committing."""
        self.uow.write(_transition(tuple(sorted(values))), {"target_id": complaint_id, "updated_at": now, **values})

    async def update_if_version(self, complaint_id: str, version: int, now: datetime, **values: Any) -> bool:
        """A transition guarded by the version the caller read (optimistic concurrency); False when it moved on."""
        result = await self.session.execute(
            update(COMPLAINT)
            .where(COMPLAINT.c.id == complaint_id, COMPLAINT.c.version == version)
            .values(updated_at=now, version=version + 1, **values)
        )
        return result.rowcount == 1

    async def annotate(self, complaint_id: str, **values: Any) -> bool:
        """Information that is not a transition (deadlines, overdue): no version bump, so nobody's If-Match breaks.
        False when there is no such complaint."""
        result = await self.session.execute(update(COMPLAINT).where(COMPLAINT.c.id == complaint_id).values(**values))
        return result.rowcount == 1

    async def record(self, complaint_id: str, at: datetime, actor: str, action: str, detail: dict[str, Any]) -> None:
        """A history entry, written at the commit."""
        self.uow.write(INSERT_HISTORY, {"complaint_id": complaint_id, "at": at, "actor": actor, "action": action,
                                        "detail": detail})

    async def history(self, complaint_id: str) -> list[HistoryEntry]:
        result = await self.session.scalars(
            select(HistoryEntry).where(HistoryEntry.complaint_id == complaint_id).order_by(HistoryEntry.id)
        )
        return list(result.all())

    # --- correspondence and cooperating departments -----------------------------------------------------------------

    async def add_message(self, complaint_id: str, at: datetime, actor: str, department: str | None, kind: str,
                          text: str, *, to_filer: bool) -> None:
        """A message of the correspondence, written at the commit."""
        self.uow.write(INSERT_MESSAGE, {
            "complaint_id": complaint_id, "at": at, "actor": actor, "department": department, "kind": kind,
            "text": text, "to_filer": to_filer,
        })

    async def messages(self, complaint_id: str, *, to_filer_only: bool) -> list[Message]:
        query = select(Message).where(Message.complaint_id == complaint_id)
        if to_filer_only:
            query = query.where(Message.to_filer.is_(True))
        return list((await self.session.scalars(query.order_by(Message.id))).all())

    async def cooperating(self, complaint_id: str) -> list[str]:
        result = await self.session.scalars(
            select(Cooperation.department).where(Cooperation.complaint_id == complaint_id)
            .order_by(Cooperation.added_at, Cooperation.department)
        )
        return list(result.all())

    async def add_cooperation(self, complaint_id: str, department: str, at: datetime, by: str) -> bool:
        """Add a cooperating department (written at the commit); False when it already cooperates."""
        if await self.session.get(Cooperation, (complaint_id, department)) is not None:
            return False
        self.uow.write(INSERT_COOPERATION, {
            "complaint_id": complaint_id, "department": department, "added_at": at, "added_by": by,
        })
        return True

    async def remove_cooperation(self, complaint_id: str, department: str) -> None:
        """Remove a cooperating department, at the commit."""
        self.uow.write(DELETE_COOPERATION, {"target_id": complaint_id, "target_department": department})

    # --- duplicates ---------------------------------------------------------------------------------------------------

    async def linked_duplicates(self, original_id: str) -> list[Complaint]:
        result = await self.session.scalars(
            select(Complaint).where(Complaint.original_id == original_id).order_by(Complaint.received_at)
        )
        return list(result.all())

    # --- queues -------------------------------------------------------------------------------------------------------

    async def page(
        self,
        *,
        department: str | None = None,
        cooperating_department: str | None = None,
        statuses: Collection[str],
        overdue: bool | None = None,
        due_before: datetime | None = None,
        township: str | None = None,
        now: datetime,
        order: str = "due_at",
        after: tuple[datetime | None, str] | None = None,
        limit: int = 50,
    ) -> list[tuple[Complaint, str | None]]:
        """One page of complaints with the filer's mobile (to be masked), ordered by ``order`` (``due_at`` or
        ``received_at``) ascending with empty values last, then by id; ``after`` is the last row of the previous page.
        """
        key = COMPLAINT.c[order]
        query = (
            select(Complaint, FilerContact.mobile)
            .join(FilerContact, FilerContact.complaint_id == Complaint.id, isouter=True)
            .where(Complaint.status.in_(list(statuses)))
        )
        if department is not None:
            query = query.where(Complaint.department == department)
        if cooperating_department is not None:
            query = query.join(Cooperation, and_(Cooperation.complaint_id == Complaint.id,
                                                 Cooperation.department == cooperating_department))
        late = or_(Complaint.overdue.is_(True), and_(Complaint.due_at.is_not(None), Complaint.due_at < now))
        if overdue is True:
            query = query.where(late)
        elif overdue is False:
            query = query.where(~late)
        if due_before is not None:
            query = query.where(Complaint.due_at.is_not(None), Complaint.due_at < due_before)
        if township is not None:  # a township handler's queue: its township's complaints only
            query = query.where(in_township(township))
        if after is not None:
            value, last_id = after
            if value is None:
                query = query.where(key.is_(None), COMPLAINT.c.id > last_id)
            else:
                query = query.where(or_(key > value, and_(key == value, COMPLAINT.c.id > last_id), key.is_(None)))
        query = query.order_by(case((key.is_(None), 1), else_=0), key, COMPLAINT.c.id).limit(limit)
        return [(row[0], row[1]) for row in (await self.session.execute(query)).all()]

    async def unrated_answered(self, answered_before: datetime, limit: int) -> list[Complaint]:
        result = await self.session.scalars(
            select(Complaint)
            .where(Complaint.answered_at.is_not(None), Complaint.answered_at <= answered_before,
                   Complaint.status == "answered")
            .order_by(Complaint.answered_at)
            .limit(limit)
        )
        return list(result.all())


# --- following routing and SLA events: a batch's complaints as plain values ----------------------------------------

#: The complaints a batch follows: what the routing and SLA events read and change of them.
FOLLOWED = Rows(COMPLAINT)
_FOLLOWED_COLUMNS = select(*(COMPLAINT.c[name] for name in (
    "id", "status", "version", "updated_at", "department", "also", "assigned_township", "financial_service",
    "sla_policy", "claimed_by", "lease_until", "candidates", "due_at", "deadlines", "overdue")))
_FOLLOWING = "intake.following"


@dataclass
class _Following:
    """What a unit of work read of the complaints it follows, and what it made of their cooperating departments."""

    complaints: dict[str, Row | None] = field(default_factory=dict)
    cooperating: dict[str, list[str]] = field(default_factory=dict)
    stored: dict[str, set[str]] = field(default_factory=dict)
    added: dict[tuple[str, str], tuple[datetime, str]] = field(default_factory=dict)


def _following(uow: UnitOfWork) -> _Following:
    following = uow.memo.get(_FOLLOWING)
    if following is None:
        following = uow.memo[_FOLLOWING] = _Following()
        FOLLOWED.tracked(uow)  # the complaints' UPDATE is queued before their cooperations'
        uow.before_commit(lambda: _write_cooperations(uow, following))
    return following


async def read_followed(uow: UnitOfWork, ids: Collection[str], *, cooperating_of: Collection[str] = ()) -> None:
    """Read, in one query each, the complaints ``ids`` and the cooperating departments of ``cooperating_of`` that
    this unit of work has not read yet (locked, in id order, on PostgreSQL: a command on one of them waits for the
    unit of work)."""
    following = _following(uow)
    todo = sorted(set(ids) - following.complaints.keys())
    if todo:
        query = _FOLLOWED_COLUMNS.where(COMPLAINT.c.id.in_(todo))
        if uow.dialect == "postgresql":
            query = query.order_by(COMPLAINT.c.id).with_for_update()
        following.complaints.update(dict.fromkeys(todo))
        for row in await FOLLOWED.read(uow, query):
            following.complaints[row.id] = row
    todo = sorted(set(cooperating_of) - following.cooperating.keys())
    if todo:
        for complaint_id in todo:
            following.cooperating[complaint_id] = []
        rows = await uow.session.execute(
            select(COOPERATION.c.complaint_id, COOPERATION.c.department)
            .where(COOPERATION.c.complaint_id.in_(todo))
            .order_by(COOPERATION.c.added_at, COOPERATION.c.department)
        )
        for complaint_id, department in rows.all():
            following.cooperating[complaint_id].append(department)
        for complaint_id in todo:
            following.stored[complaint_id] = set(following.cooperating[complaint_id])


async def followed(uow: UnitOfWork, complaint_id: str) -> Row | None:
    """The complaint as this unit of work has made it so far; None when there is no such complaint."""
    await read_followed(uow, [complaint_id])
    return _following(uow).complaints[complaint_id]


async def cooperating(uow: UnitOfWork, complaint_id: str) -> list[str]:
    """The complaint's cooperating departments as this unit of work has made them so far."""
    await read_followed(uow, (), cooperating_of=[complaint_id])
    return list(_following(uow).cooperating[complaint_id])


def set_cooperating(uow: UnitOfWork, complaint_id: str, departments: list[str], at: datetime, by: str) -> None:
    """The complaint's cooperating departments from now on (after ``cooperating``); a new one added ``at`` by
    ``by``."""
    following = _following(uow)
    for department in departments:
        if department not in following.cooperating[complaint_id]:
            following.added[(complaint_id, department)] = (at, by)
    following.cooperating[complaint_id] = list(departments)


def _write_cooperations(uow: UnitOfWork, following: _Following) -> None:
    """Queue the difference between the cooperating departments read and those the unit of work ended with."""
    removed, added = [], []
    for complaint_id, departments in following.cooperating.items():
        stored = following.stored[complaint_id]
        removed += [{"target_id": complaint_id, "target_department": d} for d in sorted(stored - set(departments))]
        for department in departments:
            if department not in stored:
                at, by = following.added[(complaint_id, department)]
                added.append({"complaint_id": complaint_id, "department": department, "added_at": at,
                              "added_by": by})
    if removed:
        uow.write(DELETE_COOPERATION, removed)
    if added:
        uow.write(INSERT_COOPERATION, added)
