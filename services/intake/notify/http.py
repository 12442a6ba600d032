"""The filer's choice of being told by SMS: ``PUT /v1/complaints/{id}/sms`` with ``{"enabled": false}`` stops the
messages about this complaint (those not yet sent too), ``true`` lets them come again. Only the filer, by the
complaint's access token, decides; the choice is written to the history."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, delete, select

from services.intake.http.deps import CallerDep, DatabaseDep
from services.intake.errors import Forbidden, NotFound
from services.intake.notify.compose import OPT_OUT
from services.intake.store import INSERT_HISTORY
from shared import clock
from shared.auth import Role
from shared.outbox import insert_ignore
from shared.problems import responses

router = APIRouter(prefix="/v1", tags=["sms"], responses=responses(422, 503))

_OPT_IN = delete(OPT_OUT).where(OPT_OUT.c.complaint_id == bindparam("target_id"))


class SmsChoice(BaseModel):
    """Whether the filer is told of this complaint by SMS."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


@router.put("/complaints/{complaint_id}/sms", response_model=SmsChoice, responses=responses(400, 401, 403, 404, 413),
            summary="The filer opts out of (or back into) the SMS about this complaint")
async def choose_sms(complaint_id: str, body: SmsChoice, db: DatabaseDep, caller: CallerDep) -> SmsChoice:
    if caller.role is not Role.filer:
        raise Forbidden()
    if caller.complaint != complaint_id:
        raise NotFound()
    now = clock.now()
    async with db.unit_of_work() as uow:
        opted_out = (await uow.session.execute(
            select(OPT_OUT.c.complaint_id).where(OPT_OUT.c.complaint_id == complaint_id))).first() is not None
        if opted_out == body.enabled:  # a change: write it and its history entry
            if body.enabled:
                uow.write(_OPT_IN, {"target_id": complaint_id})
            else:
                uow.write(insert_ignore(OPT_OUT, uow.dialect), {"complaint_id": complaint_id, "at": now})
            uow.write(INSERT_HISTORY, {
                "complaint_id": complaint_id, "at": now, "actor": "filer",
                "action": "sms_opt_in" if body.enabled else "sms_opt_out", "detail": {},
            })
            await uow.commit()
    return body
