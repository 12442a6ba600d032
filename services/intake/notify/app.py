"""The notifier as a process of its own (``python -m services.intake.notify``): intake's database, the notifier's
consumer group and the SMS sender, with ``/healthz``, ``/readyz`` and ``/metrics`` but no API of its own, and no
outbox relay (it writes no events). Intake's replicas taking filings then run with ``NOTIFIER_IN_INTAKE=false``."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import notify
from services.intake.models import MIGRATIONS, OUTBOX, SERVICE
from shared.bus import make_bus
from shared.db import Database
from shared.http import create_app
from shared.runtime import ServiceRuntime
from shared.settings import IntakeSettings


def build_app(settings: IntakeSettings) -> FastAPI:
    bus = make_bus(settings, client_id=notify.CONSUMER)
    runtime = ServiceRuntime(SERVICE, Database(settings.database_url_for(SERVICE), OUTBOX), bus, settings, MIGRATIONS,
                             relays=False)
    notify.install(runtime, settings)
    return create_app("短信告知 Filer notifications", bus, [runtime], ())
