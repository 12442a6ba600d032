"""Run the whole product in one process: ``python -m services`` (what ``make up`` starts)."""

import uvicorn

from services.standalone import build_app
from shared.logs import prepare_process
from shared.settings import AllInOneSettings


def main() -> None:
    settings = AllInOneSettings()
    prepare_process(settings)
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower())


if __name__ == "__main__":
    main()
