"""The Open311 GeoReport v2 routes under ``/open311/v2/``, each in ``.json`` and ``.xml``.

``GET services`` and ``GET services/{code}`` are open to anyone; filing (``POST requests``) and reading what was filed
(``GET requests``, ``GET requests/{id}``, ``GET tokens/{token}``) need a partner's ``api_key`` (the standard's query
or form parameter; refused with ``403``). A filing goes through intake's one filing path — the validation, duplicate
detection, ``Idempotency-Key``, routing and clocks of ``POST /v1/complaints`` — as channel ``api`` (系统对接), with
``filed_by`` = ``partner:<name>``, limited per partner at its key's rate. Every refusal is the standard's error list.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, TypeAdapter, ValidationError
from sqlalchemy import select

from services.intake import metrics
from services.intake.domain.access import partner_filed
from services.intake.http.complaints import IDEMPOTENCY_REUSED, filer_access_token
from services.intake.http.deps import filing_desk
from services.intake.models import Complaint
from services.intake.open311 import catalog
from services.intake.open311.formats import (
    BAD_REQUEST, FORBIDDEN, FORMATS, NOT_FOUND, TOO_MANY, Open311Error, answer, error_answer, split_format,
)
from services.intake.open311.listing import Filters, filters, last_entries, partner_query, request_entry
from services.intake.open311.submission import complaint_body, parse_form
from services.intake.partners import Partner, find
from services.intake.schemas import check_idempotency_key
from services.intake.handlers import IdempotencyConflict, IdempotencyKey, file_complaint
from shared import clock
from shared.catalog import county_name
from shared.problems import describe
from shared.settings import IntakeSettings

_STATUSES = {400: "Bad input (the standard's error list)", 403: "No valid api_key",
             404: "No such service, request or format", 413: "Body too large", 429: "Too many filings",
             503: "Service unavailable"}
router = APIRouter(prefix="/open311/v2", tags=["open311"],
                   responses={s: {"description": d} for s, d in _STATUSES.items()})
_IDEMPOTENCY = TypeAdapter(Annotated[str | None, AfterValidator(check_idempotency_key)])


def _problem(field: str, code: str, en: str, zh: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": en, "message_zh": zh}


async def open311_error_handler(request: Request, exc: Open311Error) -> Response:
    return error_answer("xml" if request.url.path.endswith(".xml") else "json", exc)


def jurisdiction_id(settings: IntakeSettings) -> str:
    return settings.open311_jurisdiction_id or county_name()


def _settings(request: Request) -> IntakeSettings:
    return request.app.state.intake_settings


def _check(request: Request, fmt: str, given: str | None) -> None:
    """The format and the ``jurisdiction_id`` (optional: the endpoint serves one county)."""
    if fmt not in FORMATS:
        split_format(fmt)  # raises the standard's 404
    if given and given != jurisdiction_id(_settings(request)):
        raise Open311Error(NOT_FOUND, [_problem("jurisdiction_id", "jurisdiction_unknown",
                                                f"This endpoint serves {jurisdiction_id(_settings(request))}",
                                                f"本接口只受理 {jurisdiction_id(_settings(request))} 的诉求")])


async def _partner(request: Request, key: str | None) -> Partner:
    partner = await find(request.app.state.runtimes["intake"].db, key)
    if partner is None:
        raise Open311Error(FORBIDDEN, [_problem("api_key", "api_key_invalid", "A valid api_key is required",
                                                "需要有效的 api_key（对接平台密钥）")])
    return partner


@router.get("/services.{fmt}", summary="Service types (GeoReport v2 GET services)")
async def services(request: Request, fmt: str) -> Response:
    _check(request, fmt, request.query_params.get("jurisdiction_id"))
    return answer(fmt, "services", [catalog.service_entry(s) for s in catalog.service_types()])


@router.get("/services/{name}", summary="A service type's definition (GET services/{service_code})")
async def definition(request: Request, name: str) -> Response:
    code, fmt = split_format(name)
    _check(request, fmt, request.query_params.get("jurisdiction_id"))
    service = catalog.service_type(code)
    if service is None:
        raise Open311Error(NOT_FOUND, [_problem("service_code", "service_unknown", "No such service_code",
                                                "没有这个服务类型（service_code）")])
    return answer(fmt, "service_definition", catalog.definition(service))


@router.post("/requests.{fmt}", status_code=201, summary="File a complaint (POST requests; api_key)")
async def create_request(request: Request, fmt: str) -> Response:
    _check(request, fmt, None)
    form = parse_form(await request.body())
    _check(request, fmt, form.get("jurisdiction_id"))
    partner = await _partner(request, form.get("api_key") or request.query_params.get("api_key"))
    code = form.get("service_code", "")
    service = catalog.service_type(code)
    problems = [] if service else [_problem("service_code", "service_unknown", "Give one of the service codes of "
                                            "GET services", "请填写 GET services 列出的服务类型编码")]
    try:
        body = complaint_body(form)
    except Open311Error as exc:
        raise Open311Error(BAD_REQUEST, problems + exc.problems) from None
    try:
        header = _IDEMPOTENCY.validate_python(request.headers.get("Idempotency-Key"))
    except ValidationError as exc:
        problems += [{**p, "field": "Idempotency-Key"} for p in describe(list(exc.errors()))]
    if problems:
        raise Open311Error(BAD_REQUEST, problems)
    desk, now = filing_desk(request), clock.now()
    wait = await desk.limit.take_partner(partner.name, partner.rate_per_minute, now)
    if wait:
        metrics.REJECTED.labels("rate_limited").inc()
        raise Open311Error(TOO_MANY, [f"Too many filings: retry in {wait} s — 提交过于频繁，请 {wait} 秒后再试"],
                           headers={"Retry-After": str(wait)})
    key = IdempotencyKey.of(header, partner.actor, desk.settings, now) if header else None
    try:
        filed = await file_complaint(desk.db, desk.writer, body, key=key, now=now, filed_by=partner.actor,
                                     service_code=service.code)
    except IdempotencyConflict:
        metrics.REJECTED.labels("idempotency_conflict").inc()
        raise Open311Error(BAD_REQUEST, [IDEMPOTENCY_REUSED]) from None
    complaint = filed.complaint
    if not filed.replayed:
        metrics.ACCEPTED.labels(complaint.channel).inc()
    created = {"service_request_id": complaint.id, "token": complaint.tracking_number,
               "service_notice": catalog.notice(catalog.expected_policy(service, desk.settings), desk.settings),
               "account_id": None, "access_token": filer_access_token(desk.settings, complaint, now)}
    return answer(fmt, "service_requests", [created], status=201,
                  headers={"Idempotent-Replayed": "true"} if filed.replayed else None)


async def _requests(request: Request, fmt: str, chosen: Filters) -> list[dict]:
    _check(request, fmt, request.query_params.get("jurisdiction_id"))
    partner = await _partner(request, request.query_params.get("api_key"))
    async with request.app.state.runtimes["intake"].db.unit_of_work() as uow:
        complaints = [c for c in (await uow.session.scalars(partner_query(partner.actor, chosen))).all()
                      if partner_filed(partner.actor, c)]
        last = await last_entries(uow.session, [c.id for c in complaints])
    return [request_entry(c, last.get(c.id), _settings(request)) for c in complaints]


@router.get("/requests.{fmt}", summary="The partner's requests (GET requests; api_key)")
async def list_requests(request: Request, fmt: str) -> Response:
    if fmt not in FORMATS:
        split_format(fmt)
    chosen = filters(request.query_params, clock.now())
    return answer(fmt, "service_requests", await _requests(request, fmt, chosen))


@router.get("/requests/{name}", summary="One request (GET requests/{service_request_id}; api_key)")
async def get_request(request: Request, name: str) -> Response:
    request_id, fmt = split_format(name)
    now = clock.now()
    found = await _requests(request, fmt, Filters([request_id], None, now, now, None))
    if not found:
        raise Open311Error(NOT_FOUND, [_problem("service_request_id", "not_found", "No such request",
                                                "未找到该诉求")])
    return answer(fmt, "service_requests", found)


@router.get("/tokens/{name}", summary="The request of a token (GET tokens/{token}; api_key)")
async def get_token(request: Request, name: str) -> Response:
    token, fmt = split_format(name)
    _check(request, fmt, request.query_params.get("jurisdiction_id"))
    partner = await _partner(request, request.query_params.get("api_key"))
    async with request.app.state.runtimes["intake"].db.unit_of_work() as uow:
        found = (await uow.session.scalars(select(Complaint).where(Complaint.tracking_number == token))).first()
    if found is None or not partner_filed(partner.actor, found):
        raise Open311Error(NOT_FOUND, [_problem("token", "not_found", "No such token", "未找到该受理凭证")])
    return answer(fmt, "service_requests", [{"service_request_id": found.id, "token": token}])


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def unknown(rest: str) -> Response:
    raise Open311Error(NOT_FOUND, [_problem("path", "not_found", "No such Open311 resource",
                                            "没有这个 Open311 资源")])
