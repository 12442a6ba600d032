"""The FastAPI application shell every process uses: lifespan for the bus and the hosted service runtimes,
liveness (``/healthz``), readiness (``/readyz``: database and broker reachable), ``/metrics``, and the API
documentation (``/docs``, ``/redoc``) served with its own scripts, so it works on a network without internet access;
and ``serve``, what every entry point (``python -m services…``) does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_standalone_docs
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.bus.base import Bus
from shared.engine import without_values
from shared.events import ALL_TOPICS
from shared import problems
from shared.problems import problem
from shared.logs import prepare_process
from shared.settings import CommonSettings
from shared.runtime import ServiceRuntime

log = logging.getLogger("complaints.http")

#: Swagger UI, ReDoc and FastAPI's icon as the package ``fastapi-standalone-docs`` ships them (its ReDoc asks for its
#: logo beside the page, ``/redoc/logo-mini.svg``, instead of from a CDN).
DOCS_ASSETS = Path(fastapi_standalone_docs.__file__).resolve().parent / "static"


class Readiness(BaseModel):
    """Whether the process can serve: each dependency it checked (the bus, each service's database)."""

    ready: bool
    checks: dict[str, bool]


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
    """A lost database connection (a restart, a fail-over) is a 503 the caller may retry, not a 500 — and so is one
    refused while the database is down: opening a connection, the driver raises ``ConnectionError`` itself, which
    SQLAlchemy does not wrap (the database is the only peer a request connects to). The log names the statement and the
    driver's error, never the statement's values."""
    if isinstance(exc, ConnectionError):
        log.warning("database unavailable: %r", exc)
        return _unavailable()
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, OperationalError):
        log.warning("database unavailable: %s", without_values(exc))
        return _unavailable()
    raise exc


def _unavailable() -> JSONResponse:
    return problem(503, "database_unavailable", "The database is unavailable, please retry", "数据库暂不可用，请稍后重试",
                   headers={"Retry-After": "1"})


def serve_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with every script, style sheet and icon they load served by
    ``app`` itself (``/docs/…``, ``/redoc/…``), not by a CDN: a county intranet without internet still has its API
    documentation. FastAPI's own pages are turned off (``docs_url=None``, ``redoc_url=None``) for these."""
    app.mount("/docs/icon", StaticFiles(directory=DOCS_ASSETS / "fastapi"), name="docs-icon")
    app.mount("/docs", StaticFiles(directory=DOCS_ASSETS / "swagger"), name="swagger-ui")
    app.mount("/redoc", StaticFiles(directory=DOCS_ASSETS / "redoc"), name="redoc")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}/docs/swagger-ui-bundle.js", swagger_css_url=f"{root}/docs/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/icon/favicon.png", swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}/redoc/redoc.standalone.js", redoc_favicon_url=f"{root}/docs/icon/favicon.png",
            with_google_fonts=False,
        )


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

    app = FastAPI(title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None)
    serve_docs(app)
    app.add_exception_handler(DBAPIError, database_unavailable)
    app.add_exception_handler(ConnectionError, database_unavailable)
    problems.install(app)
    app.state.bus = bus
    app.state.runtimes = {r.name: r for r in runtimes}
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], response_model=Readiness,
             responses={503: {"model": Readiness, "description": "The database or the broker is unreachable"}})
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


def serve(settings: CommonSettings, build: Callable[[], FastAPI], host: str, port: int) -> None:
    """Run one process of the product: prepare it (logging, the clock's offset, niceness) before ``build`` makes
    the app, then serve the app on ``host``:``port``."""
    prepare_process(settings)
    # Above INFO uvicorn's access lines are dropped anyway: without the access log it does not format them first.
    access_log = logging.getLevelName(settings.log_level.upper()) <= logging.INFO
    uvicorn.run(build(), host=host, port=port, log_level=settings.log_level.lower(), access_log=access_log)
