"""Intake's HTTP endpoints for filing and reading: file a complaint (public, rate-limited), read its status, history
and correspondence, and — audited — the filer's contact data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from services.intake import metrics
from services.intake.domain.access import Relation, next_actions, relation
from services.intake.commands import read_contact
from services.intake.http.deps import (
    CallerDep,
    DatabaseDep,
    FilingCall,
    FilingCallDep,
)
from services.intake.errors import NotFound, TooManyRequests
from services.intake.filing import Accepted
from services.intake.access_codes import Found, code_digest, new_code, replace_code
from shared.problems import error_body, responses
from services.intake.store import ComplaintRepository
from services.intake.schemas import (
    Channel,
    ComplaintCreate,
    ComplaintCreated,
    ComplaintView,
    ContactView,
    HistoryItem,
    MessageItem,
    check_idempotency_key,
    show_mobile,
)
from services.intake.handlers import Filed, IdempotencyConflict, IdempotencyKey, file_complaint
from services.intake.views import complaint_view, history_items, message_items
from shared import clock
from shared.auth import Principal, Role, issue_token
from shared.calendar import SHANGHAI
from shared.db import Database
from shared.settings import IntakeSettings

router = APIRouter(prefix="/v1", tags=["complaints"], responses=responses(422, 503))

_FILER_SIDE = {Relation.filer, Relation.operator}

#: Only a hotline operator (话务员) files for a caller on the phone: the channel is checked against the caller.
HOTLINE_NEEDS_OPERATOR = {
    "field": "channel", "code": "channel_requires_operator",
    "message": "Only a hotline operator's token may file with channel 'hotline'",
    "message_zh": "仅话务员登录后可按热线（hotline）渠道登记诉求",
}


#: The ``Idempotency-Key`` header, checked as a field of the request (``422`` on ``Idempotency-Key``).
IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", description="幂等键：1–128 个可打印 ASCII 字符；同一客户端在 IDEMPOTENCY_KEY_HOURS 内以相同键"
    "重试相同内容，返回首次登记的诉求"), AfterValidator(check_idempotency_key)]


def filer_access_token(settings: IntakeSettings, complaint: Accepted | Found, now: datetime) -> str:
    """The token with which the filer follows, supplements and rates the complaint just filed."""
    return issue_token(settings.auth_secret, role=Role.filer, name=complaint.tracking_number,
                       complaint=complaint.id, ttl=timedelta(days=settings.filer_token_days), now=now)


IDEMPOTENCY_REUSED = {
    "field": "Idempotency-Key", "code": "idempotency_key_reused",
    "message": "This Idempotency-Key was already used for a different complaint",
    "message_zh": "该幂等键已用于另一件不同的诉求",
}


def _client_key(request: Request, caller: Principal | None) -> str:
    """Whose idempotency keys these are: a staff member (role, department and name), else the client's address."""
    if caller is not None and caller.is_staff:
        return f"sub:{caller.actor}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


class FilingRefused(Exception):
    """A filing refused field by field after its body was valid (``422`` with these entries): nothing was filed."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["code"])
        self.errors = errors


async def accept_filing(request: Request, body: ComplaintCreate, call: FilingCall,
                        idempotency_key: str | None = None) -> tuple[Filed, str]:
    """File a validated complaint for whoever calls — the API's filing and the public ``/file`` page alike: the
    hotline needs an operator, the caller's rate limit applies, an ``Idempotency-Key`` replays the first filing.
    Answers the filing and its new 6-digit access code (shown this once). Raises :class:`FilingRefused` or
    ``TooManyRequests``."""
    desk, caller = call.desk, call.caller
    if body.channel is Channel.hotline and (caller is None or caller.role is not Role.operator):
        metrics.REJECTED.labels("channel_not_allowed").inc()
        raise FilingRefused([HOTLINE_NEEDS_OPERATOR])
    now = clock.now()
    wait = await desk.limit.take(request.client.host if request.client else None, caller, now)
    if wait:
        metrics.REJECTED.labels("rate_limited").inc()
        raise TooManyRequests(wait)
    filed_by = caller.actor if caller is not None and caller.role is Role.operator else None
    key = (IdempotencyKey.of(idempotency_key, _client_key(request, caller), desk.settings, now)
           if idempotency_key else None)
    code = new_code()
    code_stored = code_digest(desk.settings.auth_secret, code)
    try:
        filed = await file_complaint(desk.db, desk.writer, body, key=key, now=now, filed_by=filed_by,
                                     access_code=code, access_code_digest=code_stored)
    except IdempotencyConflict:
        metrics.REJECTED.labels("idempotency_conflict").inc()
        raise FilingRefused([IDEMPOTENCY_REUSED]) from None
    if not filed.replayed:
        metrics.ACCEPTED.labels(filed.complaint.channel).inc()
    else:
        await replace_code(desk.db, filed.complaint.id, code_stored)
    return filed, code


@router.post("/complaints", status_code=201, response_model=ComplaintCreated, responses=responses(400, 401, 413, 429))
async def create_complaint(
    request: Request,
    body: ComplaintCreate,
    call: FilingCallDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """File a complaint — an enterprise's, a citizen's (``filer.kind`` ``individual``) or, for a hotline operator,
    an anonymous caller's (``anonymous``). Open to anyone (limited per IP address; staff per token subject); the
    answer carries an ``access_token`` with which the filer — or an anonymous hotline caller — follows the
    complaint, and a 6-digit ``access_code`` that with the tracking number opens it too (``POST /v1/track``), shown
    this once. A retry with the same ``Idempotency-Key`` by the same client within ``IDEMPOTENCY_KEY_HOURS`` answers
    with the complaint filed first."""
    try:
        filed, code = await accept_filing(request, body, call, idempotency_key)
    except FilingRefused as refused:
        return JSONResponse(status_code=422, content=error_body(refused.errors))
    complaint = filed.complaint
    created = {  # the shape of ComplaintCreated, built directly: this is the hot path
        "id": complaint.id, "tracking_number": complaint.tracking_number, "status": complaint.status,
        "received_at": complaint.received_at.astimezone(SHANGHAI).isoformat(),
        "access_token": filer_access_token(call.desk.settings, complaint, clock.now()), "access_code": code,
        "duplicate_of": complaint.original_id,
    }
    headers = {"Location": f"/v1/complaints/{complaint.id}"}
    if filed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(status_code=201, content=created, headers=headers)


async def render(db: Database, caller: Principal, complaint_id: str, *, acted_as: Relation | None = None
                 ) -> JSONResponse:
    """The complaint as ``caller`` may see it, with its version as ETag (404 when the caller may not see it).

    ``acted_as`` is the caller's relation before an action that ends it (a return): the answer still shows the
    result of the caller's own action."""
    shown = await complaint_shown(db, caller, complaint_id, acted_as=acted_as)
    return JSONResponse(shown.model_dump(mode="json"), headers={"ETag": f'"{shown.version}"'})


async def complaint_shown(db: Database, caller: Principal, complaint_id: str, *, acted_as: Relation | None = None
                          ) -> ComplaintView:
    """The complaint as ``caller`` may see it (404 when the caller may not): the API's answer and the workbench's."""
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow)
        complaint = await repo.get(complaint_id)
        if complaint is None:
            raise NotFound()
        cooperating = await repo.cooperating(complaint_id)
        current = relation(caller, complaint, cooperating)
        rel = current or acted_as
        if rel is None:
            raise NotFound()
        contact = await repo.contact(complaint_id)
    return complaint_view(complaint, contact=contact, rel=rel, cooperating=cooperating,
                          next_actions=next_actions(caller, current, complaint, clock.now()) if current else [])


@router.get("/complaints/{complaint_id}", response_model=ComplaintView, responses=responses(401, 404))
async def get_complaint(complaint_id: str, db: DatabaseDep, caller: CallerDep) -> JSONResponse:
    """Status, department, deadline, what can be done next; ``ETag`` is the version to send as ``If-Match``."""
    return await render(db, caller, complaint_id)


async def _visible(db: Database, caller: Principal, complaint_id: str) -> Relation:
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow)
        complaint = await repo.get(complaint_id)
        rel = relation(caller, complaint, await repo.cooperating(complaint_id)) if complaint else None
    if rel is None:
        raise NotFound()
    return rel


@router.get("/complaints/{complaint_id}/history", response_model=list[HistoryItem], responses=responses(401, 404))
async def get_history(complaint_id: str, db: DatabaseDep, caller: CallerDep) -> list[HistoryItem]:
    """Who did what, when. Filers get it in plain language without internal entries."""
    rel = await _visible(db, caller, complaint_id)
    async with db.unit_of_work() as uow:
        entries = await ComplaintRepository(uow).history(complaint_id)
    return history_items(entries, for_filer=rel in _FILER_SIDE)


@router.get("/complaints/{complaint_id}/messages", response_model=list[MessageItem],
            responses=responses(401, 404))
async def get_messages(complaint_id: str, db: DatabaseDep, caller: CallerDep) -> list[MessageItem]:
    """Questions, supplements, answers; staff also see internal notes and the cooperating departments' parts."""
    rel = await _visible(db, caller, complaint_id)
    for_filer = rel in _FILER_SIDE
    async with db.unit_of_work() as uow:
        messages = await ComplaintRepository(uow).messages(complaint_id, to_filer_only=for_filer)
    return message_items(messages, for_filer=for_filer)


@router.get("/complaints/{complaint_id}/contact", response_model=ContactView, response_model_exclude_none=True,
            responses=responses(401, 403, 404))
async def get_contact(complaint_id: str, db: DatabaseDep, caller: CallerDep) -> ContactView:
    """The filer's contact data, unmasked (the number in the national format, a citizen's identity number): the lead
    department's handlers and supervisors only; each read is recorded in the history (``contact_viewed``)."""
    row = await read_contact(db, caller, complaint_id, clock.now())
    return ContactView(contact_name=row.contact_name, mobile=show_mobile(row.mobile), id_number=row.id_number)

