"""The public tracking site: ``/track/<tracking number>``, where a filer follows their complaint without JavaScript —
its status in plain words, the department, the deadline, their own history and correspondence — answers a question
(supplement) and rates the answer (满意 / 基本满意 / 不满意 with the reason).

**The way in** is the private link the filer got at filing, ``/track/<number>?t=<access token>``. That request only
checks the token — a filer's token for this very complaint — puts it in an HttpOnly cookie scoped to
``/track/<number>`` and redirects to the bare ``/track/<number>``: the token leaves the address bar and the history,
reloading keeps working, and the access log's line of the first request has the token redacted (``shared.logs``).
No page sends a ``Referer`` (``shared.pages.PageHeaders``). The other way in, the tracking number with its short code
posted to ``/track`` (``public_lookup.py``), sets the same cookie.

**Nothing leaks**: a wrong, altered or expired token, a staff token, another complaint's token, no cookie and an
unknown number all answer the same ``404`` page. What a filer sees and may do is what the API shows them
(``api.complaint_shown``, ``get_history``, ``get_messages``), and their forms call the API's commands.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.intake import filer_commands
from services.intake.http.complaints import complaint_shown, get_history, get_messages
from services.intake.attachments import attachments_of
from services.intake.http.attachments import attachment_desk
from services.intake.commands import WorkRules
from services.intake.errors import IntakeError, NotFound
from services.intake.pages.public_common import (
    PLAIN_STATUS,
    TRACK_COOKIE,
    field_errors,
    page,
    set_cookie,
    track_sessions,
)
from services.intake.schemas import RatingBody, TextBody
from shared import clock
from shared.auth import InvalidToken, Principal, Role, verify_token
from shared.vocabulary import ATTACHMENT_KINDS, RATINGS, size_text

router = APIRouter(include_in_schema=False)

TRACKING_NUMBER = re.compile(r"TS\d{8}-[0-9A-Z]{6}")
RATING_CHOICES = ("满意", "基本满意", "不满意")


def _filer(secret: str, tracking_number: str, token: str | None) -> Principal | None:
    """The filer a token names, if it is a filer's token for the complaint of this tracking number."""
    if not token or not TRACKING_NUMBER.fullmatch(tracking_number):
        return None
    try:
        principal = verify_token(secret, token)
    except InvalidToken:
        return None
    if principal.role is not Role.filer or principal.name != tracking_number or not principal.complaint:
        return None
    return principal


def missing(request: Request) -> Response:
    """The one answer for everything that does not open a complaint (the same page, whatever the reason)."""
    return page(request, "track_missing.html", {}, status_code=404)


def filer_session(request: Request, tracking_number: str):
    sessions = track_sessions(request.app.state.intake_settings.auth_secret, tracking_number)
    session = sessions.decode(request.cookies.get(TRACK_COOKIE))
    filer = _filer(request.app.state.intake_settings.auth_secret, tracking_number, session.token if session else None)
    return sessions, session, filer


@router.get("/track/{tracking_number}")
async def track(request: Request, tracking_number: str, t: str | None = None) -> Response:
    secret = request.app.state.intake_settings.auth_secret
    if t is not None:  # the private link: keep the token in the cookie, take it out of the address
        if _filer(secret, tracking_number, t) is None:
            return missing(request)
        sessions = track_sessions(secret, tracking_number)
        response = RedirectResponse(f"/track/{tracking_number}", status_code=303)
        set_cookie(response, sessions, sessions.encode(t))
        return response
    return await show(request, tracking_number)


async def show(request: Request, tracking_number: str, *, errors: dict[str, str] | None = None, notice: str = "",
                values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    sessions, session, filer = filer_session(request, tracking_number)
    if filer is None:
        return missing(request)
    db = request.app.state.runtimes["intake"].db
    try:
        view = await complaint_shown(db, filer, filer.complaint)
        history = await get_history(filer.complaint, db, filer)
        messages = await get_messages(filer.complaint, db, filer)
        _rel, files = await attachments_of(db, filer, filer.complaint)
    except NotFound:
        return missing(request)
    question = next((m for m in reversed(messages) if m.kind == "question"), None)
    context: dict[str, Any] = {
        "c": view, "plain": PLAIN_STATUS.get(view.status, view.status_zh), "history": list(reversed(history)),
        "messages": messages, "question": question, "csrf": sessions.csrf_token(session),
        "rating_zh": RATINGS.get(view.rating or "", ""), "choices": RATING_CHOICES,
        "errors": errors or {}, "notice": notice, "values": values or {},
        "files": [{"number": a.number, "kind": ATTACHMENT_KINDS.get(a.kind, a.kind), "size": size_text(a.size)}
                  for a in files],
        "max_size": size_text(attachment_desk(request).rules.max_bytes),
    }
    return page(request, "track.html", context, status_code)


async def _act(request: Request, tracking_number: str, command, make_body) -> Response:
    """Run a filer's command from a form: CSRF first, then the API's body checks and the API's command."""
    sessions, session, filer = filer_session(request, tracking_number)
    if filer is None:
        return missing(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    values = {k: v for k, v in form.items() if k != "csrf"}
    if not sessions.csrf_valid(session, form.get("csrf")):
        return await show(request, tracking_number, notice="表单已过期或不是从本站提交的，请刷新页面后重试。",
                           values=values, status_code=403)
    try:
        body = make_body(form)
    except ValidationError as exc:
        return await show(request, tracking_number, errors=field_errors(exc), values=values, status_code=422,
                           notice="请按提示修改后重新提交。")
    version = int(form["version"]) if form.get("version", "").isdigit() else None
    policy = WorkRules.from_settings(request.app.state.intake_settings)
    try:
        await command(request.app.state.runtimes["intake"].db, filer, filer.complaint, version, clock.now(), policy,
                      body)
    except IntakeError as refused:
        if isinstance(refused, NotFound):
            return missing(request)
        errors = {e["field"]: e["message_zh"] for e in refused.extra.get("errors", [])}
        return await show(request, tracking_number, errors=errors, values=values, status_code=refused.status,
                           notice=refused.zh_text)
    return RedirectResponse(f"/track/{tracking_number}", status_code=303)


@router.post("/track/{tracking_number}/supplement")
async def supplement(request: Request, tracking_number: str) -> Response:
    return await _act(request, tracking_number, filer_commands.supplement,
                      lambda form: TextBody.model_validate({"text": form.get("text", "")}))


@router.post("/track/{tracking_number}/rating")
async def rating(request: Request, tracking_number: str) -> Response:
    def body(form: dict[str, str]) -> RatingBody:
        return RatingBody.model_validate({"rating": form.get("rating", ""), "reason": form.get("reason") or None})

    return await _act(request, tracking_number, filer_commands.rate, body)
