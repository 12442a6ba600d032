"""The supervisors' dashboard (督办看板) served by the SLA service: its routes.

- ``GET /dashboard`` — the page (a Chinese page from ``templates/``: filters, the column headings with their
  definitions, and the data as JSON, which ``static/dashboard.js`` renders and keeps live);
- ``GET/POST /dashboard/login`` — enter a staff token (``python -m shared.auth issue --role supervisor …``); the page
  sets an HttpOnly cookie; ``/dashboard/logout`` clears it;
- ``GET /dashboard/api/summary|trend|overdue|reopened`` (``from``, ``to`` as local dates, ``policy``),
  ``/dashboard/api/complaints/{id}`` (the drill-down timeline), ``/dashboard/api/stream`` (server-sent events: a
  snapshot of the four every few seconds).

Only supervisor and admin tokens get in (``signin.py``). Every number comes from the SLA service's own projection
(``projection.py``) through ``figures.py``, ``trend.py`` and ``worklists.py`` (gathered by ``snapshots.py``), every
text through ``views.py``; contact data is never read. HTML lives in the templates only (``pages.py`` renders them).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from services.sla.dashboard import store, views
from services.sla.dashboard.deps import Deps
from services.sla.dashboard.pages import dashboard_page, login_page
from services.sla.dashboard.periods import Period, local_date
from services.sla.dashboard.signin import ALLOWED, COOKIE, api_principal, principal
from services.sla.dashboard.snapshots import period_of, policy_of, query, reopened_items, snapshot
from services.sla.dashboard.trend import trend as daily_trend
from services.sla.dashboard.worklists import overdue_list
from shared import clock
from shared.auth import InvalidToken, verify_token
from shared.problems import responses

HERE = Path(__file__).resolve().parent
STATIC = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
FORBIDDEN_ROLE = "该令牌的角色无权查看督办看板（需要督办或管理员）"


# -- the router -----------------------------------------------------------------------------------------------------


router = APIRouter(prefix="/dashboard", tags=["dashboard"], responses=responses(401, 403, 422, 503))


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, deps: Deps, policy: str | None = None) -> Response:
    who, status = principal(deps, request)
    if who is None:
        if status == 403:
            return login_page(FORBIDDEN_ROLE, 403)
        return RedirectResponse("/dashboard/login", status_code=303)
    now = clock.now()
    params = request.query_params
    period = period_of(params.get("from"), params.get("to"), now)
    chosen = policy_of(deps, policy)
    snap = await snapshot(deps, period, chosen, now)
    return dashboard_page(deps, who, period, chosen, snap)


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form() -> HTMLResponse:
    return login_page()


@router.post("/login", include_in_schema=False)
async def login(request: Request, deps: Deps) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    if not token:
        return login_page("请输入登录令牌", 400)
    try:
        who = verify_token(deps.secret, token)
    except InvalidToken:
        return login_page("令牌无效或已过期", 401)
    if who.role not in ALLOWED:
        return login_page(FORBIDDEN_ROLE, 403)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/dashboard",
                        secure=request.url.scheme == "https", max_age=12 * 3600)
    return response


@router.get("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404)
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache"})


@router.get("/api/summary")
async def summary(request: Request, deps: Deps) -> JSONResponse:
    """Per-department figures (and the county total) for the period and policy."""
    api_principal(deps, request)
    period, policy, now = query(deps, request)
    return JSONResponse((await snapshot(deps, period, policy, now))["summary"])


@router.get("/api/trend")
async def trend(request: Request, deps: Deps) -> JSONResponse:
    """Received, answered and overdue per day of the period."""
    api_principal(deps, request)
    period, policy, now = query(deps, request)
    rows = await store.rows_for(deps.db, period, policy)
    return JSONResponse([p.as_dict() for p in daily_trend(rows, now=now, period=period, policy=policy)])


@router.get("/api/overdue")
async def overdue(request: Request, deps: Deps, department: str | None = None) -> JSONResponse:
    """Open complaints past their deadline, the longest overdue first."""
    api_principal(deps, request)
    policy = policy_of(deps, request.query_params.get("policy"))
    now = clock.now()
    rows = await store.open_rows(deps.db, policy)
    items = overdue_list(rows, now=now, names=deps.names, policy=policy, department=department)
    return JSONResponse([views.overdue_item(i) for i in items])


@router.get("/api/reopened")
async def reopened(request: Request, deps: Deps, department: str | None = None) -> JSONResponse:
    """The period's reopenings (不满意重办), the latest first: the complaint, the department whose answer the filer
    rated 不满意, when, the filer's reason and the complaint's status now."""
    api_principal(deps, request)
    period, policy, _now = query(deps, request)
    return JSONResponse([views.reopened_item(i) for i in await reopened_items(deps, period, policy, department)])


@router.get("/api/complaints/{complaint_id}", responses=responses(404))
async def complaint(request: Request, deps: Deps, complaint_id: str) -> JSONResponse:
    """One complaint's figures and its timeline, from the events the SLA service consumed."""
    api_principal(deps, request)
    row, events = await store.complaint(deps.db, complaint_id)
    if row is None:
        raise HTTPException(404, detail={"error": "not_found", "message_zh": "没有这件投诉"})
    return JSONResponse(views.complaint_view(row, events, deps.names))


@router.get("/api/stream")
async def stream(request: Request, deps: Deps) -> StreamingResponse:
    """Server-sent events: ``snapshot`` (summary, trend, overdue and reopened lists) now and every few seconds."""
    api_principal(deps, request)
    period, policy, now = query(deps, request)
    live = period.last >= local_date(now)

    async def events():
        yield f"retry: {int(deps.refresh_s * 1000)}\n\n"
        while not await request.is_disconnected():
            now = clock.now()
            p = period
            if live:  # a period reaching today keeps following it
                p = Period(period.first, max(period.last, local_date(now)))
            snap = await snapshot(deps, p, policy, now)
            yield f"event: snapshot\ndata: {json.dumps(snap, ensure_ascii=False)}\n\n"
            await asyncio.sleep(deps.refresh_s)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

