"""Run the intake service alone (scale-out: Kafka + PostgreSQL): ``python -m services.intake``."""

from services.intake.app import build_app
from shared.http import serve
from shared.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    serve(settings, lambda: build_app(settings), settings.intake_host, settings.intake_port)


if __name__ == "__main__":
    main()
