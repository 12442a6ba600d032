"""The single-process composition root: intake, router and SLA in one app sharing one bus.

On the embedded default (no ``KAFKA_BOOTSTRAP_SERVERS``) that bus is the embedded durable log and each service keeps
its own SQLite file under ``./var/``; with ``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS`` set, the same process talks
to PostgreSQL and Kafka instead.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import app as intake
from services.router import app as router
from services.sla import app as sla
from shared.bus import make_bus
from shared.http import create_app
from shared.settings import AllInOneSettings

DESCRIPTION = (
    "县域营商环境投诉受理、分派与时限督办。Enterprises file complaints (intake), the router sends each to the "
    "responsible Appendix A department, and the SLA service enforces the time limits."
)


def build_app(settings: AllInOneSettings | None = None) -> FastAPI:
    settings = settings or AllInOneSettings()
    bus = make_bus(settings, client_id="complaints")
    classifier = router.load_classifier(settings)
    runtimes = [
        intake.build_runtime(settings, bus),
        router.build_runtime(settings, bus, classifier),
        sla.build_runtime(settings, bus),
    ]
    app = create_app(
        "营商环境投诉 Complaint line", bus, runtimes, [*intake.ROUTERS, *router.ROUTERS, *sla.ROUTERS],
        description=DESCRIPTION,
    )
    intake.configure(app, settings)
    router.configure(app, classifier)
    sla.configure(app)
    return app
