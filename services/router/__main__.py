"""Run the router service alone (scale-out: Kafka + PostgreSQL): ``python -m services.router``."""

import uvicorn

from services.router.app import ROUTERS, build_runtime, configure, load_classifier
from shared.bus import make_bus
from shared.http import create_app
from shared.logs import prepare_process
from shared.settings import RouterSettings


def main() -> None:
    settings = RouterSettings()
    prepare_process(settings)
    bus = make_bus(settings, client_id="router")
    classifier = load_classifier(settings)
    app = create_app("诉求分派 Complaint router", bus, [build_runtime(settings, bus, classifier)], ROUTERS)
    configure(app, classifier)
    uvicorn.run(app, host=settings.router_host, port=settings.router_port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
