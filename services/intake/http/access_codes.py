"""Intake's HTTP endpoints for following a complaint up by phone: the tracking number and its short access code open
the filer's access (public, on ``/track`` and for a caller), an operator looks a complaint up the same way for a
caller on the line, and lists the complaints the operator filed.

The endpoints only translate HTTP into the functions of ``services.intake.access_codes``. The code travels in the body, never in a URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.intake.http.complaints import filer_access_token
from services.intake.http.deps import CallerDep, DatabaseDep, SettingsDep
from services.intake.errors import Forbidden
from services.intake.access_codes import Found, filed_by, open_with_code
from services.intake.ratelimit import AccessCodeLimit
from services.intake.schemas.replies import TrackAccess, TrackRequest
from services.intake.schemas import QueuePage
from services.intake.http.work import CursorQuery, LimitQuery
from shared import clock
from shared.auth import Principal, Role
from shared.db import Database
from shared.problems import responses
from shared.settings import IntakeSettings

router = APIRouter(prefix="/v1", tags=["follow-up"], responses=responses(422, 503))


def _limit(request: Request) -> AccessCodeLimit:
    return request.app.state.runtimes["intake"].components["access_code_limit"]


async def _open(request: Request, db: Database, settings: IntakeSettings, client: str, body: TrackRequest
                ) -> TrackAccess:
    now = clock.now()
    found: Found = await open_with_code(db, _limit(request), settings.auth_secret, client=client,
                                        tracking_number=body.tracking_number, code=body.access_code, now=now)
    return TrackAccess(id=found.id, tracking_number=found.tracking_number, status=found.status,
                       status_zh=found.status_zh, access_token=filer_access_token(settings, found, now))


@router.post("/track", response_model=TrackAccess, responses=responses(400, 404, 413, 429))
async def track(request: Request, body: TrackRequest, db: DatabaseDep, settings: SettingsDep) -> TrackAccess:
    """The tracking number and the 6-digit access code given at filing open the complaint: the answer carries the
    filer's ``access_token``. A wrong pair answers like an unknown number (404); tries are limited per address, and
    after ``ACCESS_CODE_ATTEMPTS`` wrong codes the number is locked (429 with ``Retry-After``, even for the right
    code) for ``ACCESS_CODE_LOCK_MINUTES``."""
    return await _open(request, db, settings, f"ip:{request.client.host if request.client else 'unknown'}", body)


def _operator(caller: Principal) -> Principal:
    if caller.role is not Role.operator:
        raise Forbidden("Only hotline operators look complaints up for callers", "仅话务员可为来电人查询诉求")
    return caller


@router.post("/operator/lookup", response_model=TrackAccess, responses=responses(400, 401, 403, 404, 413, 429))
async def operator_lookup(request: Request, body: TrackRequest, db: DatabaseDep, settings: SettingsDep,
                          caller: CallerDep) -> TrackAccess:
    """An operator opens a complaint for a caller on the line, who reads out its tracking number and access code:
    the same rules as ``POST /v1/track``, the tries limited per operator instead of per address."""
    return await _open(request, db, settings, f"staff:{_operator(caller).actor}", body)


@router.get("/operator/complaints", response_model=QueuePage, responses=responses(401, 403))
async def operator_complaints(db: DatabaseDep, caller: CallerDep, cursor: CursorQuery = None,
                              limit: LimitQuery = 50) -> QueuePage:
    """The complaints this operator filed, newest first (mobile numbers masked); ``limit`` and the opaque ``cursor``
    from ``next_cursor``."""
    return await filed_by(db, _operator(caller).actor, cursor=cursor, limit=limit, now=clock.now())
