"""The follow-up task an answer opens, inside the answer's unit of work: a complaint with a contact gets a task for
this answer when the policy selects it (and an open task of an earlier answer is superseded); a complaint without
one (an anonymous caller) gets none. The task's rows are written at the answer's commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, exists, insert, select, update

from services.intake.followups.rules import OPEN, SUPERSEDED, FollowUpPolicy
from services.intake.models import Complaint, FilerContact, FollowUp
from services.intake.store import ComplaintRepository
from shared.calendar import SHANGHAI
from shared.db import UnitOfWork
from shared.ids import new_id

TASKS = FollowUp.__table__
INSERT_TASK = insert(TASKS)
#: The open task of an earlier answer of the complaint ``target_id`` names, superseded.
SUPERSEDE = (update(TASKS).where(TASKS.c.complaint_id == bindparam("target_id"), TASKS.c.state == OPEN)
             .values(state=SUPERSEDED))


async def open_task(uow: UnitOfWork, complaint: Complaint, now: datetime, policy: FollowUpPolicy) -> bool:
    """In the answer's unit of work: open this answer's follow-up task; whether the filer left a contact."""
    has_contact = bool(await uow.session.scalar(select(exists().where(
        FilerContact.__table__.c.complaint_id == complaint.id))))
    if not has_contact:
        return False
    # Queued before the new task: at the commit every superseding UPDATE runs before the tasks' INSERT.
    uow.write(SUPERSEDE, {"target_id": complaint.id, "ended_at": now})
    if not policy.selects(complaint.id, now, reopened_before=bool(complaint.reopen_count)):
        return True
    due = policy.due_on(now)
    # A time-ordered id like every new row's (``shared.ids``), as the 32 hex digits its column holds.
    uow.write(INSERT_TASK, {
        "id": new_id().replace("-", ""), "complaint_id": complaint.id, "department": complaint.department,
        "answered_at": now, "due_on": due, "next_call_on": now.astimezone(SHANGHAI).date(), "attempts": 0,
        "state": OPEN, "created_at": now,
    })
    await ComplaintRepository(uow).record(complaint.id, now, "intake", "followup_scheduled",
                                          {"due_on": due.isoformat()})
    return True
