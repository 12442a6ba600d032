"""The workbench's door: logging in with a staff token, the session that follows, its forms' CSRF token, logging out.

A person pastes the staff token issued to them (``python -m shared.auth issue …``, as for the supervisors'
dashboard); the workbench keeps it in a signed session cookie (``shared.pages.Sessions``: HttpOnly, SameSite=Strict,
path ``/workbench``) that expires after :data:`LIFETIME` whatever the token says, and checks the token again on every
request. Even the login form carries a CSRF token, of a session without a token opened for it. Every form posted
without its session's CSRF token — missing, or another session's — is refused before anything is read or changed; a
request without a session is sent to the login page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from services.intake.domain.access import may_manage_templates
from shared.auth import InvalidToken, Principal, Role, verify_token
from shared.catalog import load_catalog
from shared.pages import Session, Sessions, templates
from shared.vocabulary import ROLE_NAMES, actor_name

HERE = Path(__file__).resolve().parent
PAGES = templates(HERE / "templates")
PATH = "/workbench"
LOGIN = f"{PATH}/login"
COOKIE = "complaintline_workbench"
#: How long a session lasts after logging in.
LIFETIME = timedelta(hours=8)
#: Who works at the workbench: handlers, dispatchers, supervisors and admins overseeing them, hotline operators
#: (the operator's desk) and the service center's follow-up staff (回访员).
ALLOWED = frozenset({Role.handler, Role.dispatcher, Role.supervisor, Role.admin, Role.operator, Role.followup})
ROLE_REFUSED = "该令牌的角色不能使用工作台（需要承办人、派单员、督办、管理员、话务员或回访员的令牌）"


class ToLogin(Exception):
    """No valid session: the request goes to the login page (303), nothing read or changed."""


class FormRefused(Exception):
    """A form posted without its session's CSRF token: refused (403), nothing read or changed."""


@dataclass(frozen=True)
class Staff:
    """The person at the workbench: their token's principal, their session and its forms' CSRF token."""

    principal: Principal
    session: Session
    csrf: str

    @property
    def shown_name(self) -> str:
        names = {d.id: d.name for d in load_catalog().departments}
        return f"{actor_name(self.principal.actor, names)}（{ROLE_NAMES[self.principal.role.value]}）"

    @property
    def keeps_templates(self) -> bool:
        return may_manage_templates(self.principal)


def sessions(request: Request) -> Sessions:
    state = request.app.state
    found = getattr(state, "workbench_sessions", None)
    if found is None:
        found = state.workbench_sessions = Sessions(state.intake_settings.auth_secret, cookie=COOKIE, path=PATH,
                                                    lifetime=LIFETIME)
    return found


def current(request: Request) -> Staff | None:
    """The logged-in person of this request; None without a session, or with an expired one or token."""
    keeper = sessions(request)
    session = keeper.decode(request.cookies.get(COOKIE))
    if session is None or not session.token:
        return None
    try:
        principal = verify_token(request.app.state.intake_settings.auth_secret, session.token)
    except InvalidToken:
        return None
    if principal.role not in ALLOWED:
        return None
    return Staff(principal, session, keeper.csrf_token(session))


async def staff(request: Request) -> Staff:
    found = current(request)
    if found is None:
        raise ToLogin()
    return found


async def posted(request: Request) -> tuple[Staff, FormData]:
    """The person posting a form and the form, once its CSRF token is checked against their session."""
    found = await staff(request)
    form = await request.form()
    if not sessions(request).csrf_valid(found.session, _one(form, "csrf")):
        raise FormRefused()
    return found, form


def _one(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


StaffDep = Annotated[Staff, Depends(staff)]
PostedDep = Annotated[tuple[Staff, FormData], Depends(posted)]


def set_session(request: Request, response: Response, value: str) -> Response:
    response.set_cookie(COOKIE, value, secure=request.url.scheme == "https", **sessions(request).cookie_options())
    return response


def login_page(request: Request, *, error: str = "", status_code: int = 200) -> Response:
    """The login form, with the CSRF token of a new session that holds no token yet."""
    keeper = sessions(request)
    value = keeper.encode("")
    csrf = keeper.csrf_token(keeper.decode(value))
    response = PAGES.TemplateResponse(request, "login.html", {"csrf": csrf, "error": error}, status_code=status_code)
    return set_session(request, response, value)


router = APIRouter(prefix=PATH, include_in_schema=False)


@router.get("/login")
async def login_form(request: Request) -> Response:
    if current(request) is not None:
        return RedirectResponse(PATH, status_code=303)
    return login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    keeper = sessions(request)
    form = await request.form()
    if not keeper.csrf_valid(keeper.decode(request.cookies.get(COOKIE)), _one(form, "csrf")):
        return login_page(request, error="登录页面已过期，请重新输入令牌", status_code=403)
    token = (_one(form, "token") or "").strip()
    if not token:
        return login_page(request, error="请输入登录令牌", status_code=422)
    try:
        principal = verify_token(request.app.state.intake_settings.auth_secret, token)
    except InvalidToken:
        return login_page(request, error="令牌无效或已过期", status_code=422)
    if principal.role not in ALLOWED:
        return login_page(request, error=ROLE_REFUSED, status_code=422)
    return set_session(request, RedirectResponse(PATH, status_code=303), keeper.encode(token))


@router.post("/logout")
async def logout(request: Request, _posted: PostedDep) -> Response:
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE, path=PATH)
    return response
