"""Run intake's notifier alone (the filers' SMS, apart from the replicas taking filings):
``python -m services.intake.notify``."""

import uvicorn

from services.intake.notify.app import build_app
from shared.logs import prepare_process
from shared.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    prepare_process(settings)
    app = build_app(settings)
    uvicorn.run(app, host=settings.notifier_host, port=settings.notifier_port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
