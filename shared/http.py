"""The FastAPI application shell every process uses: lifespan for the bus and the hosted service runtimes,
liveness (``/healthz``), readiness (``/readyz``: database and broker reachable) and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.bus.base import Bus
from shared.db import without_values
from shared.events import ALL_TOPICS
from shared import problems
from shared.problems import problem
from shared.runtime import ServiceRuntime

log = logging.getLogger("complaints.http")


async def start_bus(bus: Bus, attempts: int = 60) -> None:
    """Connect to the broker, waiting for it up to ``attempts`` seconds (containers start in any order)."""
    for attempt in range(1, attempts + 1):
        try:
            await bus.start(ALL_TOPICS)
            return
        except Exception as exc:  # noqa: BLE001 - broker not reachable yet
            if attempt == attempts:
                raise
            log.warning("bus not reachable yet (%s); retrying", exc)
            await asyncio.sleep(1.0)


async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """A lost database connection (a restart, a fail-over) is a 503 the caller may retry, not a 500. The log names the
    statement and the driver's error, never the statement's values."""
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, OperationalError):
        log.warning("database unavailable: %s", without_values(exc))
        return problem(503, "database_unavailable", "The database is unavailable, please retry",
                       "数据库暂不可用，请稍后重试", headers={"Retry-After": "1"})
    raise exc


def create_app(
    title: str,
    bus: Bus,
    runtimes: Sequence[ServiceRuntime],
    routers: Sequence[APIRouter],
    *,
    description: str = "",
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await start_bus(bus)
        started: list[ServiceRuntime] = []
        try:
            for runtime in runtimes:
                await runtime.start()
                started.append(runtime)
            # What start-up built (modules, catalogs, lexicons, compiled statements) lives as long as the process:
            # kept out of the collector's generations, the full collections under load stay short.
            gc.freeze()
            yield
        finally:
            for runtime in reversed(started):
                await runtime.stop()
            await bus.stop()

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    app.add_exception_handler(DBAPIError, database_unavailable)
    problems.install(app)
    app.state.bus = bus
    app.state.runtimes = {r.name: r for r in runtimes}
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        checks: dict[str, bool] = {"bus": await bus.healthy()}
        for runtime in runtimes:
            checks.update(await runtime.readiness())
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
