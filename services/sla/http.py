"""The SLA service's HTTP endpoints for staff: a complaint's clocks and their audit trail, marking a complaint
difficult (疑难, switching its limit) and extending a deadline (延期, supervisors only), each with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.sla.models import SCOPE_COMPLAINT, AuditEntry, Clock
from services.sla.handlers import SlaError, SlaHandlers
from shared import clock
from shared.auth import Principal, Role, principal_dependency
from shared.calendar import SHANGHAI
from shared.db import Database
from shared.problems import problem, responses

router = APIRouter(prefix="/v1/sla", tags=["deadlines"], responses=responses(401, 403, 404, 422, 503))

_STAFF = frozenset({Role.dispatcher, Role.handler, Role.supervisor, Role.admin})
_SUPERVISORS = frozenset({Role.supervisor, Role.admin})
_NOT_FOUND = ("not_found", "No deadlines for this complaint", "未找到该诉求的办理时限")


def _runtime(request: Request):
    return request.app.state.runtimes["sla"]


def _secret(request: Request) -> str:
    return _runtime(request).components["settings"].auth_secret


async def get_db(request: Request) -> Database:
    return _runtime(request).db


async def get_handlers(request: Request) -> SlaHandlers:
    return _runtime(request).components["handlers"]


StaffDep = Annotated[Principal, Depends(principal_dependency(_secret, roles=_STAFF))]
DatabaseDep = Annotated[Database, Depends(get_db)]
HandlersDep = Annotated[SlaHandlers, Depends(get_handlers)]


class ClockView(BaseModel):
    milestone: str
    scope: str
    department: str
    policy: str
    status: str
    difficult: bool
    started_at: datetime
    due_at: datetime
    extended_days: int
    stopped_at: datetime | None
    outcome: str | None


class AuditView(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class Deadlines(BaseModel):
    complaint_id: str
    clocks: list[ClockView]
    audit: list[AuditView]


class DifficultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=2, max_length=500, description="为何属疑难事项")


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=60, description="延长的天数（按该时限的计算单位：日或工作日）")
    reason: str = Field(min_length=2, max_length=500, description="延期理由")
    milestone: str | None = Field(default=None, max_length=40, description="只延长这一项时限（默认全部未结时限）")


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI) if value else None


async def _visible_clocks(db: Database, complaint_id: str, caller: Principal) -> list[Clock] | None:
    """The complaint's clocks, or None when the caller may not see them (a handler of another department)."""
    async with db.unit_of_work() as uow:
        clocks = list((await uow.session.scalars(
            select(Clock).where(Clock.complaint_id == complaint_id).order_by(Clock.id))).all())
    if not clocks:
        return None
    current = next((c.department for c in clocks if c.scope == SCOPE_COMPLAINT), None)
    if caller.role is Role.handler and caller.department != current:
        return None
    return clocks


async def _deadlines(db: Database, complaint_id: str, clocks: list[Clock]) -> Deadlines:
    async with db.unit_of_work() as uow:
        audit = (await uow.session.scalars(
            select(AuditEntry).where(AuditEntry.complaint_id == complaint_id).order_by(AuditEntry.id))).all()
    return Deadlines(
        complaint_id=complaint_id,
        clocks=[ClockView(
            milestone=c.milestone, scope=c.scope, department=c.department, policy=c.policy, status=c.status,
            difficult=c.difficult, started_at=_local(c.started_at), due_at=_local(c.due_at),
            extended_days=c.extended_days, stopped_at=_local(c.stopped_at), outcome=c.outcome,
        ) for c in clocks],
        audit=[AuditView(at=_local(a.at), actor=a.actor, action=a.action, detail=a.detail) for a in audit],
    )


@router.get("/complaints/{complaint_id}", response_model=Deadlines)
async def get_deadlines(complaint_id: str, caller: StaffDep, db: DatabaseDep) -> Deadlines | JSONResponse:
    clocks = await _visible_clocks(db, complaint_id, caller)
    if clocks is None:
        return problem(404, *_NOT_FOUND)
    return await _deadlines(db, complaint_id, clocks)


@router.post("/complaints/{complaint_id}/difficult", response_model=Deadlines, responses=responses(400, 409, 413))
async def mark_difficult(
    complaint_id: str, body: DifficultIn, caller: StaffDep, db: DatabaseDep, handlers: HandlersDep
) -> Deadlines | JSONResponse:
    """A handler of the complaint's department or a supervisor marks it difficult (疑难); its limit switches."""
    if caller.role is Role.dispatcher:
        return problem(403, "forbidden", "Only the handling department or a supervisor may mark it difficult",
                       "仅承办部门或督办人员可认定疑难事项")
    if await _visible_clocks(db, complaint_id, caller) is None:
        return problem(404, *_NOT_FOUND)
    try:
        async with db.unit_of_work() as uow:
            await handlers.mark_difficult(uow, complaint_id, reason=body.reason, actor=caller.actor, now=clock.now())
            await uow.commit()
    except SlaError as exc:
        return problem(409, "not_applicable", str(exc), "该诉求的时限政策没有疑难时限，或已认定为疑难")
    return await get_deadlines(complaint_id, caller, db)


@router.post("/complaints/{complaint_id}/extensions", response_model=Deadlines, responses=responses(400, 409, 413))
async def extend(
    complaint_id: str,
    body: ExtensionIn,
    caller: Annotated[Principal, Depends(principal_dependency(_secret, roles=_SUPERVISORS))],
    db: DatabaseDep,
    handlers: HandlersDep,
) -> Deadlines | JSONResponse:
    """延期: supervisors only, with a reason; the new deadline and who granted it go into the audit trail."""
    if await _visible_clocks(db, complaint_id, caller) is None:
        return problem(404, *_NOT_FOUND)
    try:
        async with db.unit_of_work() as uow:
            await handlers.extend(uow, complaint_id, days=body.days, reason=body.reason, actor=caller.actor,
                                  now=clock.now(), milestone=body.milestone)
            await uow.commit()
    except SlaError as exc:
        return problem(409, "not_applicable", str(exc), "该诉求没有可延期的未结时限")
    return await get_deadlines(complaint_id, caller, db)
