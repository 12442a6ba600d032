"""``/track`` by tracking number and short code: a caller who was read the tracking number (TS…) and the 6-digit
access code given at filing opens the complaint without the private link.

The form is posted (the code never goes into a URL) with a CSRF token derived from a cookie of its own, and opens the
complaint through the function ``POST /v1/track`` runs (``access_codes.track``, with its limits): found, it sets the
very cookie the private link sets (the filer's access token, scoped to ``/track/<number>``) and redirects to the
complaint's page. A wrong pair answers exactly like an unknown number; once the tries are limited (too many from one
address, or the number locked after wrong codes), the form says when to try again (``429``). The code is never shown
back.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.intake.http import access_codes
from services.intake.errors import NotFound, TooManyTries
from services.intake.pages.public_common import field_errors, form_page, set_cookie, track_sessions
from services.intake.schemas.replies import TrackRequest
from shared.pages import Sessions

router = APIRouter(include_in_schema=False)

LOOKUP_COOKIE = "track_lookup"
NOT_FOUND = "未找到该诉求：请核对查询号和 6 位查询码。"


def lookup_sessions(secret: str) -> Sessions:
    return Sessions(secret, cookie=LOOKUP_COOKIE, path="/track", lifetime=timedelta(hours=4))


def lookup_page(request: Request, *, number: str = "", errors: dict[str, str] | None = None, notice: str = "",
                status_code: int = 200) -> Response:
    sessions = lookup_sessions(request.app.state.intake_settings.auth_secret)
    context = {"number": number, "errors": errors or {}, "notice": notice}
    return form_page(request, sessions, "track_help.html", context, status_code)


@router.get("/track")
async def track_help(request: Request) -> Response:
    return lookup_page(request)


@router.post("/track")
async def track_by_code(request: Request) -> Response:
    settings = request.app.state.intake_settings
    sessions = lookup_sessions(settings.auth_secret)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    number = form.get("tracking_number", "")
    if not sessions.csrf_valid(sessions.decode(request.cookies.get(LOOKUP_COOKIE)), form.get("csrf")):
        return lookup_page(request, number=number, status_code=403,
                           notice="表单已过期或不是从本站提交的，请重新填写后提交。")
    try:
        body = TrackRequest.model_validate({"tracking_number": number, "access_code": form.get("access_code", "")})
        found = await access_codes.track(request, body, request.app.state.runtimes["intake"].db, settings)
    except ValidationError as exc:
        return lookup_page(request, number=number, errors=field_errors(exc), status_code=422,
                           notice="请按提示修改后重新提交。")
    except NotFound:
        return lookup_page(request, number=number, notice=NOT_FOUND, status_code=404)
    except TooManyTries as limited:
        return lookup_page(request, number=number, status_code=429, notice=(
            f"尝试次数过多，为防止他人猜测查询码，请 {limited.headers['Retry-After']} 秒后再试。"))
    track = track_sessions(settings.auth_secret, found.tracking_number)
    response = RedirectResponse(f"/track/{found.tracking_number}", status_code=303)
    set_cookie(response, track, track.encode(found.access_token))
    return response
