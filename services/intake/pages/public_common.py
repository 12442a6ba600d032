"""What the public site's pages (``/file``, ``/track``) share: their templates and style sheet, the form cookies that
carry their CSRF protection, the plain-language words for each status, and the API's field errors as a page shows
them (by field).

The public has no login: each form's CSRF token is derived from a signed cookie of its own (``shared.pages.Sessions``)
— on ``/file`` a cookie of the form alone, on ``/track/<number>`` the cookie that holds the filer's access token —
so a form posted from another site, which cannot read or set these cookies, is refused before anything is read or
changed.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from shared.pages import Sessions, templates
from shared.problems import describe

HERE = Path(__file__).resolve().parent
TEMPLATES = templates(HERE / "templates")
STATIC = {"public.css": "text/css; charset=utf-8"}
STATIC_PREFIX = "/public/static"
#: Where the public pages are: each gets the pages' security headers (``shared.pages.PageHeaders``).
PUBLIC_PATHS = ("/file", "/track", STATIC_PREFIX)
#: The public pages a person opens (an unknown address under them is the public "not found" page).
PUBLIC_PAGES = ("/file", "/track")

#: The form of ``/file``: a session of its own, for its CSRF token only.
FILE_COOKIE = "file_form"
FILE_FORM_LIFETIME = timedelta(hours=4)
#: The cookie of ``/track/<number>`` holding the filer's access token (HttpOnly, scoped to that complaint's pages).
TRACK_COOKIE = "complaint_track"
TRACK_LIFETIME = timedelta(days=30)

#: What each status means for the person who filed, in plain words.
PLAIN_STATUS = {
    "received": "我们已收到您的诉求，正在确定由哪个部门办理。",
    "triage": "我们已收到您的诉求，工作人员正在为它确定承办部门。",
    "rerouting": "诉求正在转交给更合适的部门办理。",
    "routed": "诉求已交给承办部门，等待工作人员签收。",
    "claimed": "承办部门的工作人员已签收，正在了解情况。",
    "accepted": "承办部门已受理，正在办理。",
    "awaiting_info": "承办部门需要您补充情况，请在下方回答问题。",
    "answered": "承办部门已答复，请阅读答复并评价。",
    "reopened": "您对答复不满意，诉求已重新交办，承办部门将再次办理。",
    "closed": "诉求已办结，感谢您的监督。",
}


def file_sessions(secret: str) -> Sessions:
    return Sessions(secret, cookie=FILE_COOKIE, path="/file", lifetime=FILE_FORM_LIFETIME)


def track_sessions(secret: str, tracking_number: str) -> Sessions:
    return Sessions(secret, cookie=TRACK_COOKIE, path=f"/track/{tracking_number}", lifetime=TRACK_LIFETIME)


def set_cookie(response: Response, sessions: Sessions, value: str) -> None:
    """Set a public page's cookie: HttpOnly and scoped like a staff session, but ``SameSite=Lax`` — the private link
    arrives from an SMS or a mail (another site), and a Strict cookie would not be sent on the redirect it starts.
    Forms are still refused from other sites: their CSRF token is required."""
    options = {**sessions.cookie_options(), "samesite": "lax"}
    response.set_cookie(sessions.cookie, value, **options)


def field_errors(exc: ValidationError, prefix: tuple[str, ...] = ()) -> dict[str, str]:
    """The API's 422 entries (``shared.problems.describe``) as the page shows them: field → Chinese message."""
    shown: dict[str, str] = {}
    for entry in describe([{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()]):
        shown.setdefault(entry["field"], entry["message_zh"])
    return shown


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return TEMPLATES.TemplateResponse(request, f"public/{name}", {"static": STATIC_PREFIX, **context},
                                      status_code=status_code)


def form_page(request: Request, sessions: Sessions, name: str, context: dict[str, Any], status_code: int = 200
              ) -> Response:
    """A page whose form's CSRF token comes from the form's own cookie (``csrf`` in the context), the cookie set now
    if the visitor has none yet."""
    session = sessions.decode(request.cookies.get(sessions.cookie))
    cookie = None
    if session is None:
        cookie = sessions.encode("")
        session = sessions.decode(cookie)
    response = page(request, name, {**context, "csrf": sessions.csrf_token(session)}, status_code)
    if cookie is not None:
        set_cookie(response, sessions, cookie)
    return response


def static_file(name: str) -> Response | None:
    if name not in STATIC:
        return None
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})
