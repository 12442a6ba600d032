"""The SLA service's composition root: policies, calendar, database, runtime (consumer of routing events and the
timer loop) and routes.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI

from services.sla import dashboard
from services.sla import http
from services.sla.handlers import DeadlineRules, SlaHandlers, sweep
from services.sla.domain.policies import load_policies
from services.sla.models import OUTBOX, SERVICE
from shared.bus.base import Bus
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared import clock
from shared.events import (
    TOPIC_INTAKE,
    TOPIC_ROUTER,
    ComplaintAnsweredV1,
    ComplaintContactedV1,
    ComplaintReopenedV1,
    ComplaintRoutedV1,
)
from shared.runtime import ServiceRuntime
from shared.settings import SlaSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ROUTERS = (http.router, *dashboard.ROUTERS)
log = logging.getLogger("complaints.sla")


def configure(app: FastAPI) -> None:
    """What the SLA service adds to whichever app hosts it: the dashboard's security headers and its page for an
    unknown address."""
    dashboard.configure(app)


def build_runtime(settings: SlaSettings, bus: Bus) -> ServiceRuntime:
    db = Database(settings.database_url_for(SERVICE), OUTBOX)
    runtime = ServiceRuntime(SERVICE, db, bus, settings, MIGRATIONS)
    policies = load_policies(settings.sla_policies_path) if settings.sla_policies_path else load_policies()
    calendar = (
        WorkingCalendar.load(settings.calendar_overrides_path)
        if settings.calendar_overrides_path else WorkingCalendar.load()
    )
    clocks = DeadlineRules(policies, calendar, settings.sla_policy_set)
    handlers = SlaHandlers(clocks)
    runtime.components["handlers"] = handlers
    runtime.add_consumer((TOPIC_INTAKE, TOPIC_ROUTER), {
        ComplaintRoutedV1.TYPE: handlers.on_routed,
        ComplaintContactedV1.TYPE: handlers.on_contacted,
        ComplaintAnsweredV1.TYPE: handlers.on_answered,
        ComplaintReopenedV1.TYPE: handlers.on_reopened,
    }, prefetch=handlers.prefetch, off_routing_path=True)

    async def timer() -> None:
        while True:
            result = await sweep(db, clocks, clock.now(), settings.timer_batch_size)
            if result.clocks < settings.timer_batch_size:
                await asyncio.sleep(settings.timer_interval_s)

    runtime.add_loop("timer", timer)
    dashboard.install(runtime, settings, policies=policies, calendar=calendar)
    return runtime
