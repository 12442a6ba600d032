"""The router's composition root: classifier, database, runtime (consumer of intake events, follower of the stored
corrections) and routes."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from services.router import http
from services.router.domain.classifier import Classifier
from services.router.learning import CorrectionFollower
from services.router.models import OUTBOX, SERVICE
from services.router.handlers import RouterHandlers
from shared.bus.base import Bus
from shared.db import Database
from shared.events import TOPIC_INTAKE, ComplaintDispatchedV1, ComplaintReceivedV1, ComplaintReturnedV1
from shared.runtime import ServiceRuntime
from shared.settings import RouterSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ROUTERS = (http.router,)
log = logging.getLogger("complaints.router")


def load_classifier(settings: RouterSettings) -> Classifier:
    options = {}
    if settings.gazetteer_path:
        options["gazetteer_path"] = settings.gazetteer_path
    return Classifier.load(triage_threshold=settings.triage_threshold, **options)


def build_runtime(settings: RouterSettings, bus: Bus, classifier: Classifier) -> ServiceRuntime:
    db = Database(settings.database_url_for(SERVICE), OUTBOX)
    runtime = ServiceRuntime(SERVICE, db, bus, settings, MIGRATIONS)
    follower = CorrectionFollower(db, classifier)
    handlers = RouterHandlers(classifier, follower.wake)
    runtime.components["corrections"] = follower

    async def teach_corrections() -> None:
        log.info("router learned %d stored corrections", await follower.catch_up())

    runtime.add_startup(teach_corrections)
    runtime.add_loop("corrections", follower.run)
    runtime.add_consumer(
        (TOPIC_INTAKE,),
        {
            ComplaintReceivedV1.TYPE: handlers.on_received,
            ComplaintReturnedV1.TYPE: handlers.on_returned,
            ComplaintDispatchedV1.TYPE: handlers.on_dispatched,
        },
    )
    return runtime


def configure(app: FastAPI, classifier: Classifier) -> None:
    app.state.classifier = classifier
