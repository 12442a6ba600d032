"""Intake's composition root: its database, runtime (outbox relay, consumer of routing and SLA events, the loop closing
unrated answered complaints), routes, and the app of a replica running intake alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from services.intake import commands, filer_commands, handlers, notify, pages
from services.intake.http import access_codes, replies, search, work
from services.intake.http import attachments as attachments_http
from services.intake.http import complaints as complaints_http
from services.intake.attachments import AttachmentDesk, AttachmentRules
from services.intake.errors import IntakeError, intake_error_handler
from services.intake.filing import DuplicateRule, FilingWriter
from services.intake.followups import http as followup
from services.intake.models import MIGRATIONS, OUTBOX, SERVICE
from services.intake.notify import http as sms
from services.intake.open311 import api as open311
from services.intake.open311.formats import Open311Error
from services.intake.ratelimit import AccessCodeLimit, FilingLimit, MemoryBuckets, SharedBuckets
from shared import clock
from shared.bus import make_bus
from shared.bus.base import Bus
from shared.db import Database
from shared.events import (
    TOPIC_ROUTER,
    TOPIC_SLA,
    ComplaintRoutedV1,
    ComplaintTriageRequiredV1,
    SlaBreachedV1,
    SlaClockOpenedV1,
    SlaDeadlineChangedV1,
    SlaEscalatedV1,
    SlaWarningV1,
)
from shared.http import create_app
from shared.limits import BodySizeLimit
from shared.logs import redact_access_log
from shared.runtime import ServiceRuntime
from shared.settings import IntakeSettings
from shared.storage import build_store



def build_runtime(settings: IntakeSettings, bus: Bus, *, with_notifier: bool = True) -> ServiceRuntime:
    """``with_notifier``: the process also follows the events that tell filers by SMS and sends the messages (the
    whole product in one process always does; intake alone unless its notifier runs as a process of its own)."""
    db = Database(settings.database_url_for(SERVICE), OUTBOX)
    runtime = ServiceRuntime(SERVICE, db, bus, settings, MIGRATIONS)
    runtime.add_consumer(
        (TOPIC_ROUTER, TOPIC_SLA),
        {
            ComplaintRoutedV1.TYPE: handlers.on_routed,
            ComplaintTriageRequiredV1.TYPE: handlers.on_triage_required,
            SlaClockOpenedV1.TYPE: handlers.on_clock_opened,
            SlaDeadlineChangedV1.TYPE: handlers.on_deadline_changed,
            SlaWarningV1.TYPE: handlers.on_sla_step,
            SlaBreachedV1.TYPE: handlers.on_sla_step,
            SlaEscalatedV1.TYPE: handlers.on_sla_step,
        },
        prefetch=handlers.prefetch,
        off_routing_path=True,
    )
    policy = commands.WorkRules.from_settings(settings)

    async def close_unrated() -> None:
        """Close answered complaints nobody rated within the window (cheap: one indexed range read per round)."""
        batch = 200
        while True:
            closed = await filer_commands.close_unrated(db, clock.now(), policy, batch)
            if closed < batch:
                await asyncio.sleep(settings.autoclose_interval_s)

    runtime.add_loop("close-unrated", close_unrated)
    if with_notifier:
        notify.install(runtime, settings)
    store = build_store(settings)
    runtime.components["attachments"] = AttachmentDesk(store, AttachmentRules.from_settings(settings))
    runtime.add_startup(store.ready)  # an unreachable bucket is logged at start (uploads answer 503 meanwhile)
    writer = FilingWriter(db, DuplicateRule(timedelta(days=settings.duplicate_window_days),
                                            settings.duplicate_similarity, settings.auth_secret))
    runtime.components["filing_writer"] = writer
    for n in range(settings.filing_writers):
        runtime.add_loop(f"filing-writer-{n}", writer.run)
    if db.dialect == "postgresql":  # where replicas file: the buckets are shared (see ratelimit)
        buckets = shared = SharedBuckets(db)
        runtime.add_loop("filing-limit", shared.run)
        runtime.add_loop("filing-bucket-sweep", shared.sweep)
    else:
        buckets = MemoryBuckets()
    runtime.components["filing_limit"] = FilingLimit.from_settings(settings, buckets)
    runtime.components["access_code_limit"] = AccessCodeLimit.from_settings(settings, buckets)
    return runtime


ROUTERS = (complaints_http.router, work.router, search.router, replies.router, access_codes.router, followup.router,
           attachments_http.router, open311.router, sms.router, *pages.ROUTERS)


def configure(app: FastAPI, settings: IntakeSettings) -> None:
    """What intake adds to whichever app hosts it: its settings, its lifecycle errors, Open311's error answers, what
    its pages need (security headers, the answers to a missing session or CSRF token) and the body size limit (larger
    on the attachment upload route)."""
    app.state.intake_settings = settings
    app.add_exception_handler(IntakeError, intake_error_handler)
    app.add_exception_handler(Open311Error, open311.open311_error_handler)
    redact_access_log()  # Open311 partners send their api_key, private tracking links their token, in the query
    pages.configure(app)
    rules = AttachmentRules.from_settings(settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       allowances=[attachments_http.upload_allowance(rules), *pages.files.page_allowances(rules)])


def build_app(settings: IntakeSettings) -> FastAPI:
    """Intake alone, as each of its replicas runs it (scale-out)."""
    bus = make_bus(settings, client_id="intake")
    runtime = build_runtime(settings, bus, with_notifier=settings.notifier_in_intake)
    app = create_app("投诉受理 Complaint intake", bus, [runtime], ROUTERS)
    configure(app, settings)
    return app
