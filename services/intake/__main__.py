"""Run the intake service alone (scale-out: Kafka + PostgreSQL): ``python -m services.intake``."""

import uvicorn

from services.intake.app import ROUTERS, build_runtime, configure
from shared.bus import make_bus
from shared.http import create_app
from shared.logs import prepare_process
from shared.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    prepare_process(settings)
    bus = make_bus(settings, client_id="intake")
    app = create_app("投诉受理 Complaint intake", bus, [build_runtime(settings, bus)], ROUTERS)
    configure(app, settings)
    uvicorn.run(app, host=settings.intake_host, port=settings.intake_port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
