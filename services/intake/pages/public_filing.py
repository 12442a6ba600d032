"""Filing from a page, with an optional photo or PDF: what ``/file`` and the operator's filing page
(``/workbench/operator/file``) share.

The form's fields become the API's filing body (``filing_body``), checked as ``ComplaintCreate`` and filed through the
API's own ``accept_filing``; a file sent with the form is checked first (size, kind by its content — the rules of
``attachments.attach``), so a refused file comes back by its field with nothing filed. Once the complaint is filed the
file is attached through ``attachments.attach`` as its filer; should that still fail, the complaint stays filed and the
success page says the file was not kept.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from services.intake.http.complaints import FilingRefused, accept_filing, filer_access_token
from services.intake.attachments import FIELD, FileTooLarge, attach, kind_of
from services.intake.http.attachments import attachment_desk
from services.intake.http.deps import FilingCall
from services.intake.errors import IntakeError, TooManyRequests
from services.intake.pages.public_common import field_errors
from services.intake.schemas import Channel, ComplaintCreate, check_idempotency_key
from shared import clock
from shared.catalog import load_gazetteer
from shared.vocabulary import size_text
from shared.auth import verify_token

#: The form's fields of each kind of filer, named as the API names them (an anonymous caller gives none).
FILER_FIELDS = {
    "individual": ("name", "mobile", "id_number"),
    "enterprise": ("enterprise_name", "credit_code", "contact_name", "mobile"),
    "anonymous": (),
}
COMPLAINT_FIELDS = ("title", "text", "township", "address")
OPTIONAL = frozenset({"filer.id_number", "township", "address"})

#: Renders the form again: values, errors by field, a notice and the status.
FormPage = Callable[[dict[str, str], dict[str, str], str, int], Response]


def form_context(request: Request, *, values: dict[str, str], errors: dict[str, str], notice: str, csrf: str = "",
                 action: str = "/file", hotline: bool = False) -> dict[str, Any]:
    """What the filing form's template shows (``public/file.html``, on ``/file`` and the operator's page alike)."""
    return {
        "values": values, "errors": errors, "notice": notice, "csrf": csrf, "action": action, "hotline": hotline,
        "kind": values.get("filer.kind", "individual"), "idempotency_key": values.get("idempotency_key") or
        str(uuid.uuid4()), "townships": [t.name for t in load_gazetteer().townships],
        "max_size": size_text(attachment_desk(request).rules.max_bytes),
    }


def filing_body(form: dict[str, str], channel: Channel = Channel.web) -> dict[str, Any]:
    """The API's filing body from the form's fields (an empty optional field is left out, as a client would)."""
    kind = form.get("filer.kind", "individual")
    filer: dict[str, Any] = {"kind": kind}
    for name in FILER_FIELDS.get(kind, ()):
        value = form.get(f"filer.{name}", "")
        if value or f"filer.{name}" not in OPTIONAL:
            filer[name] = value
    body: dict[str, Any] = {"channel": channel.value, "filer": filer}
    for name in COMPLAINT_FIELDS:
        value = form.get(name, "")
        if value or name not in OPTIONAL:
            body[name] = value
    return body


async def sent_file(request: Request, form: FormData) -> bytes:
    """The file sent with the form (empty when none was chosen), read up to one byte over the limit."""
    sent = form.get(FIELD)
    if not isinstance(sent, UploadFile):
        return b""
    return await sent.read(attachment_desk(request).rules.max_bytes + 1)


def file_refusal(request: Request, data: bytes) -> str | None:
    """Why ``data`` would not be attached (too large, not a photo or PDF by its content), in Chinese; None if it
    would."""
    try:
        if len(data) > attachment_desk(request).rules.max_bytes:
            raise FileTooLarge(attachment_desk(request).rules.max_bytes)
        kind_of(data)
    except IntakeError as refused:
        return refusal_zh(refused)
    return None


def refusal_zh(refused: IntakeError) -> str:
    """A refused file's reason in Chinese: its field's entry, else the refusal's message."""
    entries = refused.extra.get("errors") or []
    return entries[0]["message_zh"] if entries else refused.zh_text


async def file_from_form(request: Request, form: FormData, call: FilingCall, channel: Channel,
                         form_page: FormPage) -> dict[str, Any] | Response:
    """File the complaint the form describes (with its file, if one was sent); the filed page's context, or the form
    again with its errors."""
    texts = {k: v for k, v in form.items() if isinstance(v, str)}
    values = {k: v for k, v in texts.items() if k != "csrf"}
    data = await sent_file(request, form)
    errors: dict[str, str] = {}
    try:
        body = ComplaintCreate.model_validate(filing_body(texts, channel))
        key = check_idempotency_key(texts.get("idempotency_key") or None)
    except ValidationError as exc:
        errors = field_errors(exc)
    if data and (refusal := file_refusal(request, data)):
        errors[FIELD] = refusal
    if errors:
        return form_page(values, errors, "请按提示修改标红的项目后重新提交。", 422)
    try:
        filed, code = await accept_filing(request, body, call, key)
    except FilingRefused as refused:
        return form_page(values, {e["field"]: e["message_zh"] for e in refused.errors}, "请按提示修改后重新提交。", 422)
    except TooManyRequests as limited:
        return form_page(values, {}, f"提交过于频繁，请 {limited.headers['Retry-After']} 秒后再试。", 429)
    complaint = filed.complaint
    settings = request.app.state.intake_settings
    token = filer_access_token(settings, complaint, clock.now())
    file_error = ""
    if data:
        try:
            await attach(call.desk.db, attachment_desk(request), verify_token(settings.auth_secret, token),
                         complaint.id, data, clock.now())
        except IntakeError as refused:
            file_error = refusal_zh(refused)
    link = f"{str(request.base_url).rstrip('/')}/track/{complaint.tracking_number}?t={token}"
    return {"tracking_number": complaint.tracking_number, "link": link, "code": code, "attached": bool(data),
            "file_error": file_error, "duplicate": bool(complaint.original_id)}
