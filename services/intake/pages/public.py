"""The public filing site: ``/file``, a form for a citizen or an enterprise, in Chinese, without JavaScript.

The form files through the API's own code (``api.accept_filing``, the body checked as ``ComplaintCreate``): every
rule and refusal is the API's, and each of its 422 entries is shown next to the field it names. The answer names the
tracking number and the filer's private tracking link (``/track/<number>?t=<access token>``, see
``public_track.py``). Each rendering of the form carries a fresh ``Idempotency-Key``: posting the same form twice
(a reload, a double click) files once.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from services.intake.api import FilingRefused, accept_filing, filer_access_token
from services.intake.deps import get_filing_call
from services.intake.errors import NotFound, TooManyRequests
from services.intake.pages import public_track
from services.intake.pages.public_common import FILE_COOKIE, field_errors, file_sessions, page, set_cookie, static_file
from services.intake.schemas import Channel, ComplaintCreate, check_idempotency_key
from shared import clock
from shared.catalog import load_gazetteer

router = APIRouter(include_in_schema=False)
router.include_router(public_track.router)

#: The form's fields of each kind of filer, named as the API names them.
FILER_FIELDS = {
    "individual": ("name", "mobile", "id_number"),
    "enterprise": ("enterprise_name", "credit_code", "contact_name", "mobile"),
}
COMPLAINT_FIELDS = ("title", "text", "township", "address")
OPTIONAL = frozenset({"filer.id_number", "township", "address"})


def filing_body(form: dict[str, str]) -> dict[str, Any]:
    """The API's filing body from the form's fields (an empty optional field is left out, as a client would)."""
    kind = form.get("filer.kind", "individual")
    filer: dict[str, Any] = {"kind": kind}
    for name in FILER_FIELDS.get(kind, ()):
        value = form.get(f"filer.{name}", "")
        if value or f"filer.{name}" not in OPTIONAL:
            filer[name] = value
    body: dict[str, Any] = {"channel": Channel.web.value, "filer": filer}
    for name in COMPLAINT_FIELDS:
        value = form.get(name, "")
        if value or name not in OPTIONAL:
            body[name] = value
    return body


def _form_page(request: Request, sessions, *, values: dict[str, str], errors: dict[str, str], notice: str = "",
               status_code: int = 200) -> Response:
    session = sessions.decode(request.cookies.get(FILE_COOKIE))
    cookie = None
    if session is None:
        cookie = sessions.encode("")
        session = sessions.decode(cookie)
    context = {
        "values": values, "errors": errors, "notice": notice, "csrf": sessions.csrf_token(session),
        "kind": values.get("filer.kind", "individual"), "idempotency_key": values.get("idempotency_key") or
        str(uuid.uuid4()), "townships": [t.name for t in load_gazetteer().townships],
    }
    response = page(request, "file.html", context, status_code)
    if cookie is not None:
        set_cookie(response, sessions, cookie)
    return response


@router.get("/file")
async def file_form(request: Request) -> Response:
    return _form_page(request, file_sessions(request.app.state.intake_settings.auth_secret), values={}, errors={})


@router.post("/file")
async def file_submit(request: Request) -> Response:
    settings = request.app.state.intake_settings
    sessions = file_sessions(settings.auth_secret)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = {k: v for k, v in form.items() if k != "csrf"}
    if not sessions.csrf_valid(sessions.decode(request.cookies.get(FILE_COOKIE)), form.get("csrf")):
        return _form_page(request, sessions, values=values, errors={}, status_code=403,
                          notice="表单已过期或不是从本站提交的，请核对后重新提交。")
    try:
        body = ComplaintCreate.model_validate(filing_body(form))
        key = check_idempotency_key(form.get("idempotency_key") or None)
    except ValidationError as exc:
        return _form_page(request, sessions, values=values, errors=field_errors(exc), status_code=422,
                          notice="请按提示修改标红的项目后重新提交。")
    call = await get_filing_call(request)
    try:
        filed, code = await accept_filing(request, body, call, key)
    except FilingRefused as refused:
        errors = {e["field"]: e["message_zh"] for e in refused.errors}
        return _form_page(request, sessions, values=values, errors=errors, status_code=422,
                          notice="请按提示修改后重新提交。")
    except TooManyRequests as limited:
        return _form_page(request, sessions, values=values, errors={}, status_code=429,
                          notice=f"提交过于频繁，请 {limited.headers['Retry-After']} 秒后再试。")
    complaint = filed.complaint
    token = filer_access_token(settings, complaint, clock.now())
    link = f"{str(request.base_url).rstrip('/')}/track/{complaint.tracking_number}?t={token}"
    return page(request, "filed.html", {"tracking_number": complaint.tracking_number, "link": link, "code": code,
                                        "duplicate": bool(complaint.original_id)}, status_code=201)


@router.get("/public/static/{name}")
async def static(name: str) -> Response:
    found = static_file(name)
    if found is None:
        raise NotFound("No such file", "未找到该文件")
    return found
