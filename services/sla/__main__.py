"""Run the SLA service alone (scale-out: Kafka + PostgreSQL): ``python -m services.sla``."""

from fastapi import FastAPI

from services.sla.app import ROUTERS, build_runtime, configure
from shared.bus import make_bus
from shared.http import create_app, serve
from shared.settings import SlaSettings


def build_app(settings: SlaSettings) -> FastAPI:
    bus = make_bus(settings, client_id="sla")
    app = create_app("时限督办 SLA service", bus, [build_runtime(settings, bus)], ROUTERS)
    configure(app)
    return app


def main() -> None:
    settings = SlaSettings()
    serve(settings, lambda: build_app(settings), settings.sla_host, settings.sla_port)


if __name__ == "__main__":
    main()
