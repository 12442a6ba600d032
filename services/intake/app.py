"""Intake's composition root: its database, runtime (outbox relay, consumer of routing and SLA events) and routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from services.intake import api, service
from services.intake.errors import validation_exception_handler
from services.intake.models import OUTBOX, SERVICE
from shared.bus.base import Bus
from shared.db import Database
from shared.events import (
    TOPIC_ROUTER,
    TOPIC_SLA,
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    SlaBreachedV1,
    SlaClockOpenedV1,
    SlaEscalatedV1,
    SlaWarningV1,
)
from shared.limits import BodySizeLimit
from shared.runtime import ServiceRuntime
from shared.settings import IntakeSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def build_runtime(settings: IntakeSettings, bus: Bus) -> ServiceRuntime:
    db = Database(settings.database_url_for(SERVICE), OUTBOX)
    runtime = ServiceRuntime(SERVICE, db, bus, settings, MIGRATIONS)
    runtime.add_consumer(
        (TOPIC_ROUTER, TOPIC_SLA),
        {
            ComplaintRoutedV1.TYPE: service.on_routed,
            ComplaintTriageRequiredV1.TYPE: service.on_triage_required,
            SlaClockOpenedV1.TYPE: service.on_clock_opened,
            SlaWarningV1.TYPE: service.on_sla_step,
            SlaBreachedV1.TYPE: service.on_sla_step,
            SlaEscalatedV1.TYPE: service.on_sla_step,
        },
    )
    return runtime


ROUTERS = (api.router,)


def configure(app: FastAPI, settings: IntakeSettings) -> None:
    """What intake adds to whichever app hosts it: field-level errors and the body size limit."""
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
