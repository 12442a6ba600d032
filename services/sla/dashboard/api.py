"""The supervisors' dashboard (督办看板) served by the SLA service: HTML pages, JSON endpoints and a live stream.

- ``GET /dashboard`` — the page (a Chinese page from ``templates/``: filters, the column headings with their
  definitions, and the data as JSON, which ``static/dashboard.js`` renders and keeps live);
- ``GET/POST /dashboard/login`` — enter a staff token (``python -m shared.auth issue --role supervisor …``); the page
  sets an HttpOnly cookie; ``/dashboard/logout`` clears it;
- ``GET /dashboard/api/summary|trend|overdue|reopened`` (``from``, ``to`` as local dates, ``policy``),
  ``/dashboard/api/complaints/{id}`` (the drill-down timeline), ``/dashboard/api/stream`` (server-sent events: a
  snapshot of the four every few seconds).

Only supervisor and admin tokens get in (cookie or ``Authorization: Bearer``). Every number comes from the SLA
service's own projection (``projection.py``) through ``figures.py``, every text through ``views.py``; contact data is
never read. HTML lives in the templates only: values are escaped as they are put in (:func:`render`).
"""

from __future__ import annotations

import asyncio
import html
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from string import Template
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from services.sla.dashboard import figures, filers, queries, views
from services.sla.models import SERVICE
from shared import clock
from shared.auth import InvalidToken, Principal, Role, verify_token
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.catalog import load_catalog
from shared.db import Database
from shared.problems import responses

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
COOKIE = "complaintline_dashboard"
ALLOWED = frozenset({Role.supervisor, Role.admin})
STATIC = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
MAX_PERIOD_DAYS = 366


@dataclass(eq=False)
class DashboardContext:
    """What the dashboard needs from the SLA service it is installed on (see ``install`` in the package)."""

    db: Database
    secret: str
    calendar: WorkingCalendar
    policy_names: tuple[str, ...]
    refresh_s: float = 5.0

    @property
    def names(self) -> dict[str, str]:
        return {d.id: d.name for d in load_catalog().departments}


CONTEXT_KEY = "dashboard"


def register(runtime: Any, ctx: DashboardContext) -> None:
    """Attach the dashboard's context to the SLA runtime (the routes find it through the serving app)."""
    runtime.context[CONTEXT_KEY] = ctx


async def context(request: Request) -> DashboardContext:
    runtime = getattr(request.app.state, "runtimes", {}).get(SERVICE)
    ctx = getattr(runtime, "context", {}).get(CONTEXT_KEY) if runtime is not None else None
    if ctx is None:
        raise HTTPException(503, detail={"error": "not_installed", "message_zh": "督办看板未启用"})
    return ctx


Ctx = Annotated[DashboardContext, Depends(context)]


# -- auth -----------------------------------------------------------------------------------------------------------


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()
    return request.cookies.get(COOKIE) or None


def _principal(ctx: DashboardContext, request: Request) -> tuple[Principal | None, int]:
    """(principal, 0) when allowed; (None, 401) without a valid token; (None, 403) for another role."""
    token = _token(request)
    if not token:
        return None, 401
    try:
        principal = verify_token(ctx.secret, token)
    except InvalidToken:
        return None, 401
    if principal.role not in ALLOWED:
        return None, 403
    return principal, 0


def _api_principal(ctx: DashboardContext, request: Request) -> Principal:
    principal, status = _principal(ctx, request)
    if principal is None:
        raise HTTPException(status, detail={
            "error": "unauthorized" if status == 401 else "forbidden",
            "message_zh": "请先登录督办看板" if status == 401 else "仅督办人员和管理员可以查看督办看板",
        })
    return principal


# -- parameters -----------------------------------------------------------------------------------------------------


def _period(ctx: DashboardContext, start: str | None, end: str | None, now: datetime) -> figures.Period:
    default = figures.default_period(now)
    try:
        first = date.fromisoformat(start) if start else default.first
        last = date.fromisoformat(end) if end else (default.last if not start else max(first, default.last))
    except ValueError:
        raise HTTPException(422, detail={"error": "invalid_period", "message_zh": "日期格式应为 YYYY-MM-DD"}) from None
    if last < first:
        first, last = last, first
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise HTTPException(422, detail={"error": "invalid_period", "message_zh": "统计区间不能超过一年"})
    return figures.Period(first, last)


def _policy(ctx: DashboardContext, policy: str | None) -> str | None:
    if not policy:
        return None
    if policy not in ctx.policy_names:
        raise HTTPException(422, detail={"error": "invalid_policy", "message_zh": f"未知的时限政策：{policy}"})
    return policy


async def snapshot(ctx: DashboardContext, period: figures.Period, policy: str | None, now: datetime) -> dict[str, Any]:
    """Summary, trend, overdue and reopened lists for one period and policy, as the JSON endpoints and the stream give
    them."""
    rows = await queries.rows_for(ctx.db, period, policy)
    names = ctx.names
    reopened = await _reopened(ctx, period, policy)
    summary = figures.summarise(rows, now=now, period=period, calendar=ctx.calendar, names=names, reopened=reopened,
                                policy=policy)
    data = summary.as_dict()
    for item, f in zip(data["departments"], summary.departments):
        item["display"] = views.display(f)
    data["total"]["display"] = views.display(summary.total)
    data["filer_kinds"] = filers.by_filer_kind(rows, reopened, now=now, period=period, calendar=ctx.calendar,
                                               names=names, policy=policy)
    data["now_display"] = now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "summary": data,
        "trend": [p.as_dict() for p in figures.trend(rows, now=now, period=period, policy=policy)],
        "overdue": [views.overdue_item(i) for i in figures.overdue_list(rows, now=now, names=names, policy=policy)],
        "reopened": [views.reopened_item(i) for i in reopened],
    }


async def _reopened(ctx: DashboardContext, period: figures.Period, policy: str | None,
                    department: str | None = None) -> list[figures.ReopenedItem]:
    return figures.reopened_list(await queries.reopenings(ctx.db, period, policy), period=period, names=ctx.names,
                                 policy=policy, department=department)


# -- pages ----------------------------------------------------------------------------------------------------------


class Markup(str):
    """Text rendered from a template: inserted into another template as it is (everything else is escaped)."""


def render(name: str, **values: object) -> Markup:
    """The template ``templates/<name>`` with each ``$placeholder`` replaced by its value, HTML-escaped unless it is
    :class:`Markup`. A placeholder without a value is an error."""
    template = Template((TEMPLATES / name).read_text(encoding="utf-8"))
    return Markup(template.substitute({
        key: value if isinstance(value, Markup) else html.escape(str(value), quote=True)
        for key, value in values.items()
    }))


def _login_page(message: str = "", status_code: int = 200) -> HTMLResponse:
    body = render("login.html", message=message, hidden="" if message else "hidden")
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def _render_dashboard(ctx: DashboardContext, principal: Principal, period: figures.Period, policy: str | None,
                      snap: dict[str, Any]) -> str:
    """The page: filters, the column headings with their definitions, and the snapshot the script renders."""
    options = [render("partials/option.html", value="", label="全部时限政策", selected="")] + [
        render("partials/option.html", value=p, label=views.policy_name(p), selected="selected" if p == policy else "")
        for p in ctx.policy_names]
    groups = [render("partials/group.html", span=len(columns), title=title, label=label)
              for label, title, columns in views.GROUPS]
    headings = [render("partials/heading.html", field=field, key=key, title=title, label=label)
                for _, _, columns in views.GROUPS for field, label, key, title in columns]
    definitions = [
        render("partials/definitions.html", label=label, title=title, items=Markup("".join(
            render("partials/definition.html", label=heading, title=definition)
            for _, heading, _, definition in columns)))
        for label, title, columns in views.GROUPS]
    return render(
        "dashboard.html",
        user=views.user_name(principal.name, principal.role.value),
        period_from=period.first.isoformat(), period_to=period.last.isoformat(),
        policy_options=Markup("".join(options)), refreshed=snap["summary"]["now_display"],
        groups=Markup("".join(groups)), headings=Markup("".join(headings)),
        definitions=Markup("".join(definitions)),
        snapshot=Markup(_script_json(snap)), refresh_ms=int(ctx.refresh_s * 1000),
    )


def _script_json(data: Any) -> str:
    """JSON safe to place inside a <script> element (no closing tag, no comment opener)."""
    return (json.dumps(data, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# -- the router -----------------------------------------------------------------------------------------------------


router = APIRouter(prefix="/dashboard", tags=["dashboard"], responses=responses(401, 403, 422, 503))


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, ctx: Ctx, policy: str | None = None) -> Response:
    principal, status = _principal(ctx, request)
    if principal is None:
        if status == 403:
            return _login_page("该令牌的角色无权查看督办看板（需要督办或管理员）", 403)
        return RedirectResponse("/dashboard/login", status_code=303)
    now = clock.now()
    params = request.query_params
    period = _period(ctx, params.get("from"), params.get("to"), now)
    chosen = _policy(ctx, policy)
    snap = await snapshot(ctx, period, chosen, now)
    return HTMLResponse(_render_dashboard(ctx, principal, period, chosen, snap),
                        headers={"Cache-Control": "no-store"})


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form() -> HTMLResponse:
    return _login_page()


@router.post("/login", include_in_schema=False)
async def login(request: Request, ctx: Ctx) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    if not token:
        return _login_page("请输入登录令牌", 400)
    try:
        principal = verify_token(ctx.secret, token)
    except InvalidToken:
        return _login_page("令牌无效或已过期", 401)
    if principal.role not in ALLOWED:
        return _login_page("该令牌的角色无权查看督办看板（需要督办或管理员）", 403)
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


def _params(ctx: DashboardContext, request: Request) -> tuple[figures.Period, str | None, datetime]:
    now = clock.now()
    q = request.query_params
    return _period(ctx, q.get("from"), q.get("to"), now), _policy(ctx, q.get("policy")), now


@router.get("/api/summary")
async def summary(request: Request, ctx: Ctx) -> JSONResponse:
    """Per-department figures (and the county total) for the period and policy."""
    _api_principal(ctx, request)
    period, policy, now = _params(ctx, request)
    return JSONResponse((await snapshot(ctx, period, policy, now))["summary"])


@router.get("/api/trend")
async def trend(request: Request, ctx: Ctx) -> JSONResponse:
    """Received, answered and overdue per day of the period."""
    _api_principal(ctx, request)
    period, policy, now = _params(ctx, request)
    rows = await queries.rows_for(ctx.db, period, policy)
    return JSONResponse([p.as_dict() for p in figures.trend(rows, now=now, period=period, policy=policy)])


@router.get("/api/overdue")
async def overdue(request: Request, ctx: Ctx, department: str | None = None) -> JSONResponse:
    """Open complaints past their deadline, the longest overdue first."""
    _api_principal(ctx, request)
    policy = _policy(ctx, request.query_params.get("policy"))
    now = clock.now()
    rows = await queries.open_rows(ctx.db, policy)
    items = figures.overdue_list(rows, now=now, names=ctx.names, policy=policy, department=department)
    return JSONResponse([views.overdue_item(i) for i in items])


@router.get("/api/reopened")
async def reopened(request: Request, ctx: Ctx, department: str | None = None) -> JSONResponse:
    """The period's reopenings (不满意重办), the latest first: the complaint, the department whose answer the filer
    rated 不满意, when, the filer's reason and the complaint's status now."""
    _api_principal(ctx, request)
    period, policy, _now = _params(ctx, request)
    return JSONResponse([views.reopened_item(i) for i in await _reopened(ctx, period, policy, department)])


@router.get("/api/complaints/{complaint_id}", responses=responses(404))
async def complaint(request: Request, ctx: Ctx, complaint_id: str) -> JSONResponse:
    """One complaint's figures and its timeline, from the events the SLA service consumed."""
    _api_principal(ctx, request)
    row, events = await queries.complaint(ctx.db, complaint_id)
    if row is None:
        raise HTTPException(404, detail={"error": "not_found", "message_zh": "没有这件投诉"})
    return JSONResponse(views.complaint_view(row, events, ctx.names))


@router.get("/api/stream")
async def stream(request: Request, ctx: Ctx) -> StreamingResponse:
    """Server-sent events: ``snapshot`` (summary, trend, overdue and reopened lists) now and every few seconds."""
    _api_principal(ctx, request)
    period, policy, now = _params(ctx, request)
    live = period.last >= figures.local_date(now)

    async def events():
        yield f"retry: {int(ctx.refresh_s * 1000)}\n\n"
        while not await request.is_disconnected():
            now = clock.now()
            p = period
            if live:  # a period reaching today keeps following it
                p = figures.Period(period.first, max(period.last, figures.local_date(now)))
            snap = await snapshot(ctx, p, policy, now)
            yield f"event: snapshot\ndata: {json.dumps(snap, ensure_ascii=False)}\n\n"
            await asyncio.sleep(ctx.refresh_s)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

