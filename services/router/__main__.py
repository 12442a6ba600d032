"""Run the router service alone (scale-out: Kafka + PostgreSQL): ``python -m services.router``."""

from fastapi import FastAPI

from services.router.app import ROUTERS, build_runtime, configure, load_classifier
from shared.bus import make_bus
from shared.http import create_app, serve
from shared.settings import RouterSettings


def build_app(settings: RouterSettings) -> FastAPI:
    bus = make_bus(settings, client_id="router")
    classifier = load_classifier(settings)
    app = create_app("诉求分派 Complaint router", bus, [build_runtime(settings, bus, classifier)], ROUTERS)
    configure(app, classifier)
    return app


def main() -> None:
    settings = RouterSettings()
    serve(settings, lambda: build_app(settings), settings.router_host, settings.router_port)


if __name__ == "__main__":
    main()
