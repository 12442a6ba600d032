"""The follow-up commands: the task an answer opens, the follow-up staff's queue, the audited contact read that starts
a call, and the call's result.

The task itself is opened with the answer (``opening.py``).
- ``read_contact`` is the call's start: the filer's name and number for an open task, written to the complaint's
  history as every contact read is.
- ``record`` writes the call: not reached (called again on a later working day, up to the policy's number of calls),
  declined, or reached with solved / not solved and 满意 / 基本满意 / 不满意. A rating by phone of a complaint still
  waiting for the filer's is the complaint's rating, through the filer's own path (``filer_commands.rate_in``): 不满意 reopens
  it once, exactly as the filer's own does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from services.intake import commands, filer_commands
from services.intake.domain.access import Relation
from services.intake.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.intake.followups.rules import (
    DECLINED,
    ENDED_BY_OUTCOME,
    NOT_REACHED,
    OPEN,
    REACHED,
)
from services.intake.domain.lifecycle import Status
from services.intake.models import Complaint, FilerContact, FollowUp
from services.intake.store import ComplaintRepository
from services.intake.schemas import Rating, RatingBody
from shared.auth import Principal, Role
from shared.calendar import SHANGHAI
from shared.db import Database, UnitOfWork
from shared.events import ComplaintFollowedUpV1

TASKS = FollowUp.__table__
COMPLAINTS = Complaint.__table__
#: Complaints whose answer a call may follow up: waiting for the filer's rating, or closed since.
CALLABLE = (Status.answered.value, Status.closed.value)
#: Who works the queue, and who may look at it.
CALLERS = frozenset({Role.followup})
READERS = frozenset({Role.followup, Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Result:
    """What the follow-up staff record of one call (validated by ``check``)."""

    outcome: str
    solved: bool | None = None
    rating: Rating | None = None
    reason: str | None = None


def check(result: Result) -> None:
    """A call that reached the filer says whether it is solved and how satisfied they are; 不满意 says why."""
    if result.outcome != REACHED:
        return
    if result.solved is None:
        raise Unprocessable("solved", "solved_required", "Say whether the matter is solved", "请选择问题是否解决")
    if result.rating is None:
        raise Unprocessable("rating", "rating_required", "Record the filer's rating", "请选择诉求人的满意程度")
    if result.rating is Rating.dissatisfied and not result.reason:
        raise Unprocessable("reason", "reason_required", "Say why the filer is dissatisfied", "请记录不满意的理由")


async def queue(db: Database, p: Principal, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Open tasks of answered (or since closed) complaints: those to call today first, then by the day due."""
    if p.role not in READERS:
        raise Forbidden("Only the follow-up staff and supervisors see the follow-up queue", "仅回访员和督办可查看回访队列")
    query = (
        select(TASKS, COMPLAINTS.c.tracking_number, COMPLAINTS.c.title, COMPLAINTS.c.status)
        .join(COMPLAINTS, COMPLAINTS.c.id == TASKS.c.complaint_id)
        .where(TASKS.c.state == OPEN, COMPLAINTS.c.status.in_(CALLABLE))
        .order_by(TASKS.c.next_call_on, TASKS.c.due_on, TASKS.c.created_at).limit(limit)
    )
    async with db.unit_of_work() as uow:
        rows = (await uow.session.execute(query)).mappings().all()
    today = now.astimezone(SHANGHAI).date()
    return [{**row, "call_today": row["next_call_on"] <= today, "overdue": row["due_on"] < today} for row in rows]


async def _task(uow: UnitOfWork, p: Principal, task_id: str, roles: frozenset[Role]) -> dict[str, Any]:
    if p.role not in roles:
        raise Forbidden("Only the follow-up staff call filers back", "仅回访员可进行回访")
    row = (await uow.session.execute(select(TASKS).where(TASKS.c.id == task_id))).mappings().first()
    if row is None:
        raise NotFound("No such follow-up", "未找到该回访任务")
    return dict(row)


async def task(db: Database, p: Principal, task_id: str) -> dict[str, Any]:
    async with db.unit_of_work() as uow:
        return await _task(uow, p, task_id, READERS)


async def read_contact(db: Database, p: Principal, task_id: str, now: datetime) -> FilerContact:
    """The filer's name and number for an open task's call; the read is written to the complaint's history."""
    async with db.unit_of_work() as uow:
        row = await _task(uow, p, task_id, CALLERS)
        if row["state"] != OPEN:
            raise Conflict("This follow-up is finished", "该回访已结束")
        repo = ComplaintRepository(uow)
        contact = await repo.contact(row["complaint_id"])
        if contact is None:
            raise NotFound()
        await repo.record(row["complaint_id"], now, p.actor, "contact_viewed", {"followup": task_id})
        await uow.commit()
    return contact


async def record(db: Database, p: Principal, task_id: str, result: Result, now: datetime,
                 policy: commands.WorkRules) -> dict[str, Any]:
    """Write a call's result on an open task; returns the task as it is now."""
    check(result)
    async with db.unit_of_work() as uow:
        row = await _task(uow, p, task_id, CALLERS)
        if row["state"] != OPEN:
            raise Conflict("This follow-up is finished", "该回访已结束", state=row["state"])
        repo = ComplaintRepository(uow)
        complaint = await repo.get(row["complaint_id"])
        if complaint is None or complaint.status not in CALLABLE:
            raise Conflict("The complaint is being handled again; its next answer will be followed up",
                           "该诉求正在重新办理，将在再次答复后回访")
        today = now.astimezone(SHANGHAI).date()
        if today < row["next_call_on"]:
            day = row["next_call_on"]
            raise Conflict(f"Not reached today: the next call is on {day.isoformat()}",
                           f"今天已拨打未接通，应在 {day.month}月{day.day}日再次回访", next_call_on=day.isoformat())
        attempt = row["attempts"] + 1
        final = result.outcome != NOT_REACHED or attempt >= policy.followup.max_attempts
        values: dict[str, Any] = {"attempts": attempt}
        if final:
            values.update(state=ENDED_BY_OUTCOME[result.outcome], ended_at=now, ended_by=p.actor)
        else:
            values["next_call_on"] = policy.followup.next_call_on(now)
        if result.outcome == REACHED:
            values.update(solved=result.solved, rating=result.rating.value)
        done = await uow.session.execute(update(TASKS).where(
            TASKS.c.id == task_id, TASKS.c.state == OPEN, TASKS.c.attempts == row["attempts"]).values(**values))
        if done.rowcount != 1:
            raise Conflict("Someone recorded this call meanwhile", "其他人刚刚记录了这次回访，请刷新")
        await repo.record(complaint.id, now, p.actor, f"followup_{result.outcome}", _detail(values, attempt, final))
        await _rating(uow, repo, p, complaint, result, now)
        uow.outbox.add(ComplaintFollowedUpV1(
            complaint_id=complaint.id, actor=p.actor, department=row["department"], answered_at=row["answered_at"],
            at=now, outcome=result.outcome, attempt=attempt, final=final, solved=values.get("solved"),
            rating=values.get("rating"),
        ), time=now)
        await uow.commit()
    return {**row, **values}


def _detail(values: dict[str, Any], attempt: int, final: bool) -> dict[str, Any]:
    detail: dict[str, Any] = {"attempt": attempt, "final": final}
    for key in ("solved", "rating"):
        if key in values:
            detail[key] = values[key]
    if isinstance(values.get("next_call_on"), date):
        detail["next_call_on"] = values["next_call_on"].isoformat()
    return detail


async def _rating(uow: UnitOfWork, repo: ComplaintRepository, p: Principal, complaint: Complaint, result: Result,
                  now: datetime) -> None:
    """A rating by phone is the complaint's rating while it waits for one (the filer's own path); afterwards it is
    kept with the follow-up only, its reason as an internal message."""
    if result.outcome != REACHED or result.rating is None:
        return
    if complaint.status == Status.answered.value:
        await filer_commands.rate_in(uow, p, complaint.id, complaint.version, now,
                               RatingBody(rating=result.rating, reason=result.reason), allowed={Relation.oversight})
    elif result.reason:
        await repo.add_message(complaint.id, now, p.actor, None, "rating_reason", result.reason, to_filer=False)


__all__ = ["Result", "check", "queue", "task", "read_contact", "record", "DECLINED", "NOT_REACHED",
           "REACHED"]
