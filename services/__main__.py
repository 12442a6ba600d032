"""Run the whole product in one process: ``python -m services`` (what ``make up`` starts)."""

from services.standalone import build_app
from shared.http import serve
from shared.settings import AllInOneSettings


def main() -> None:
    settings = AllInOneSettings()
    serve(settings, lambda: build_app(settings), settings.host, settings.port)


if __name__ == "__main__":
    main()
