"""Run the intake service alone (scale-out: Kafka + PostgreSQL): ``python -m services.intake``."""

import uvicorn

from services.intake.app import build_app
from shared.logs import prepare_process
from shared.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    prepare_process(settings)
    app = build_app(settings)
    uvicorn.run(app, host=settings.intake_host, port=settings.intake_port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
