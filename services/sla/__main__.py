"""Run the SLA service alone (scale-out: Kafka + PostgreSQL): ``python -m services.sla``."""

import uvicorn

from services.sla.app import ROUTERS, build_runtime, configure
from shared.bus import make_bus
from shared.http import create_app
from shared.logs import prepare_process
from shared.settings import SlaSettings


def main() -> None:
    settings = SlaSettings()
    prepare_process(settings)
    bus = make_bus(settings, client_id="sla")
    app = create_app("时限督办 SLA service", bus, [build_runtime(settings, bus)], ROUTERS)
    configure(app)
    uvicorn.run(app, host=settings.sla_host, port=settings.sla_port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
