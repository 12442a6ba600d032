"""Run intake's notifier alone (the filers' SMS, apart from the replicas taking filings):
``python -m services.intake.notify``."""

from services.intake.notify.app import build_app
from shared.http import serve
from shared.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    serve(settings, lambda: build_app(settings), settings.notifier_host, settings.notifier_port)


if __name__ == "__main__":
    main()
