"""Who may see the dashboard: supervisor and admin staff tokens, from the ``Authorization: Bearer`` header or the
HttpOnly cookie the login page sets (:data:`COOKIE`)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from services.sla.dashboard.deps import DashboardDeps
from shared.auth import InvalidToken, Principal, Role, verify_token

COOKIE = "complaintline_dashboard"
ALLOWED = frozenset({Role.supervisor, Role.admin})


def token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()
    return request.cookies.get(COOKIE) or None


def principal(deps: DashboardDeps, request: Request) -> tuple[Principal | None, int]:
    """(principal, 0) when allowed; (None, 401) without a valid token; (None, 403) for another role."""
    presented = token(request)
    if not presented:
        return None, 401
    try:
        who = verify_token(deps.secret, presented)
    except InvalidToken:
        return None, 401
    if who.role not in ALLOWED:
        return None, 403
    return who, 0


def api_principal(deps: DashboardDeps, request: Request) -> Principal:
    """The caller of a JSON endpoint, or a 401/403 error."""
    who, status = principal(deps, request)
    if who is None:
        raise HTTPException(status, detail={
            "error": "unauthorized" if status == 401 else "forbidden",
            "message_zh": "请先登录督办看板" if status == 401 else "仅督办人员和管理员可以查看督办看板",
        })
    return who
