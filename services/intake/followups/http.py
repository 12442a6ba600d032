"""The follow-up staff's JSON endpoints, beside the lifecycle's: their queue, a task, the audited contact read that
starts a call, and the call's result. They only translate HTTP into the commands of ``tasks.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from services.intake.http.deps import CallerDep, DatabaseDep, WorkRulesDep
from services.intake.followups import tasks
from services.intake.schemas import NOTE_MAX, ContactView, Rating, RatingBody, RequestBody, show_mobile
from shared import clock
from shared.calendar import SHANGHAI
from shared.problems import responses

router = APIRouter(prefix="/v1/followups", tags=["follow-up"], responses=responses(401, 403, 503))


class FollowUpItem(BaseModel):
    id: str
    complaint_id: str
    tracking_number: str | None = None
    title: str | None = None
    #: The department whose answer is followed up, and when it answered.
    department: str | None
    answered_at: datetime
    due_on: date
    next_call_on: date
    attempts: int
    #: open, done, declined, not_reached, superseded
    state: str
    solved: bool | None = None
    rating: str | None = None
    call_today: bool | None = None
    overdue: bool | None = None


class FollowUpResultBody(RequestBody):
    """A call's result: ``reached`` needs ``solved`` and ``rating`` (and a ``reason`` for 不满意)."""

    multiline = frozenset({"reason"})
    outcome: Literal["reached", "not_reached", "declined"] = Field(
        description="reached 已接通 / not_reached 未接通（之后的工作日再拨） / declined 拒绝回访")
    solved: bool | None = Field(default=None, description="问题是否解决（接通时必填）")
    rating: Rating | None = Field(default=None, description="满意 / 基本满意 / 不满意（接通时必填）")
    reason: str | None = Field(default=None, max_length=NOTE_MAX, description="不满意的理由（不满意时必填）")

    _zh = field_validator("rating", mode="before")(RatingBody._zh.__func__)
    _reason = field_validator("reason")(RatingBody._reason.__func__)

    def result(self) -> tasks.Result:
        return tasks.Result(self.outcome, self.solved, self.rating, self.reason)


def item(row: dict[str, Any]) -> FollowUpItem:
    return FollowUpItem(**{**row, "answered_at": row["answered_at"].astimezone(SHANGHAI)})


@router.get("", response_model=list[FollowUpItem], summary="The follow-up queue: calls due today first")
async def followup_queue(db: DatabaseDep, caller: CallerDep) -> list[FollowUpItem]:
    return [item(row) for row in await tasks.queue(db, caller, clock.now())]


@router.get("/{task_id}", response_model=FollowUpItem, responses=responses(404))
async def followup_task(task_id: str, db: DatabaseDep, caller: CallerDep) -> FollowUpItem:
    return item(await tasks.task(db, caller, task_id))


@router.get("/{task_id}/contact", response_model=ContactView, responses=responses(404, 409),
            summary="Start the call: the filer's contact, written to the complaint's history")
async def followup_contact(task_id: str, db: DatabaseDep, caller: CallerDep) -> ContactView:
    row = await tasks.read_contact(db, caller, task_id, clock.now())
    return ContactView(contact_name=row.contact_name, mobile=show_mobile(row.mobile))


@router.post("/{task_id}/result", response_model=FollowUpItem, responses=responses(400, 404, 409, 413, 422),
             summary="Record the call: not reached (called again later), declined, or reached with the rating")
async def followup_result(task_id: str, body: FollowUpResultBody, db: DatabaseDep, caller: CallerDep,
                          policy: WorkRulesDep) -> FollowUpItem:
    return item(await tasks.record(db, caller, task_id, body.result(), clock.now(), policy))
