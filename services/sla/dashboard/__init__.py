"""The supervisors' dashboard (督办看板) of the SLA service and its Prometheus gauges.

``install`` wires it onto the SLA service's runtime: the ``sla-dashboard`` consumer group that keeps the projection
(``projection.py``, ``handlers.py``), the loop that sets the open/overdue clock gauges (``gauges.py``), and the
dependencies the HTTP routes (``http.py``) read (``deps.py``). The routes themselves are static (:data:`ROUTERS`):
they find the runtime of the app serving the request, so one process may host the service more than once (tests).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from services.sla.dashboard import export, gauges, pages
from services.sla.dashboard import http
from services.sla.dashboard.deps import DashboardDeps, register
from services.sla.dashboard.handlers import GROUP, TOPICS, DashboardHandlers
from services.sla.domain.policies import PolicyStore, load_policies
from shared import problems
from shared.calendar import WorkingCalendar
from shared.pages import PageHeaders
from shared.runtime import ServiceRuntime

ROUTERS: tuple[APIRouter, ...] = (http.router, export.router)


def configure(app: FastAPI) -> None:
    """The pages' security headers on the dashboard's pages (the login form may not be framed, the page runs only
    its own script); and a browser's unknown address under ``/dashboard`` gets the dashboard's not-found page, while
    its JSON API and its static files keep their own 404s."""
    area = http.router.prefix
    app.add_middleware(PageHeaders, paths=(area,))
    problems.page_area(app, (area,), pages.not_found_page, apart=(f"{area}/api", f"{area}/static"))


def install(
    runtime: ServiceRuntime,
    settings: Any,
    *,
    policies: PolicyStore | None = None,
    calendar: WorkingCalendar | None = None,
    refresh_s: float = 5.0,
    gauge_interval_s: float = 15.0,
) -> list[APIRouter]:
    """Register the dashboard's consumer group and gauge loop on the SLA ``runtime``; returns the routers to serve."""
    if policies is None:
        policies = load_policies(settings.sla_policies_path) if settings.sla_policies_path else load_policies()
    if calendar is None:
        path = settings.calendar_overrides_path
        calendar = WorkingCalendar.load(path) if path else WorkingCalendar.load()
    handlers = DashboardHandlers(policies)
    runtime.add_consumer(TOPICS, handlers.handlers(), group=GROUP, prefetch=handlers.prefetch,
                         off_routing_path=True)
    runtime.add_loop("clock-gauges", gauges.gauge_loop(runtime.db, gauge_interval_s))
    register(runtime, DashboardDeps(
        db=runtime.db, secret=settings.auth_secret, calendar=calendar, policy_names=tuple(policies.names()),
        refresh_s=refresh_s,
    ))
    return list(ROUTERS)
