"""What the dashboard's routes need from the SLA service it is installed on (:class:`DashboardDeps`), and how a
route finds them: ``install`` (in the package) registers them among the SLA runtime's components, and the FastAPI
dependency :func:`dashboard_deps` reads them back from the runtime of the app serving the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from services.sla.models import SERVICE
from shared.calendar import WorkingCalendar
from shared.catalog import load_catalog
from shared.db import Database

#: The key of the dashboard's dependencies among the SLA runtime's components.
COMPONENT_KEY = "dashboard"


@dataclass(eq=False)
class DashboardDeps:
    """The SLA service's database, the token secret, the working calendar, the policy names and the refresh
    interval of the live page."""

    db: Database
    secret: str
    calendar: WorkingCalendar
    policy_names: tuple[str, ...]
    refresh_s: float = 5.0

    @property
    def names(self) -> dict[str, str]:
        return {d.id: d.name for d in load_catalog().departments}


def register(runtime: Any, deps: DashboardDeps) -> None:
    """Attach the dashboard's dependencies to the SLA runtime (the routes find them through the serving app)."""
    runtime.components[COMPONENT_KEY] = deps


async def dashboard_deps(request: Request) -> DashboardDeps:
    runtime = getattr(request.app.state, "runtimes", {}).get(SERVICE)
    deps = getattr(runtime, "components", {}).get(COMPONENT_KEY) if runtime is not None else None
    if deps is None:
        raise HTTPException(503, detail={"error": "not_installed", "message_zh": "督办看板未启用"})
    return deps


Deps = Annotated[DashboardDeps, Depends(dashboard_deps)]
