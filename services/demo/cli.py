"""The demo's command line (``python -m services.demo``): the product's settings for it, a fresh embedded database
unless ``--configured``, the product served in this process while the walk runs, and a supervisor token at the
end."""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from services import demo
from services.demo.walk import Demo
from services.standalone import build_app
from shared.auth import issue_token
from shared.logs import setup_logging
from shared.settings import AllInOneSettings

def settings_for(args: argparse.Namespace) -> AllInOneSettings:
    """The product's settings for the demo: the environment's (``HOST``, ``PORT`` …), ``--host``/``--port`` over
    them, and unless ``--configured`` the embedded default in ``--data-dir``."""
    # Handlers wait for intake to follow the routing: consumers batch for a fraction of a second, not the default
    # second meant for load.
    overrides: dict[str, Any] = dict(filing_rate_per_minute=0, timer_interval_s=0.2, outbox_poll_interval_s=0.05,
                                     consumer_linger_s=0.05)
    overrides.update({name: getattr(args, name) for name in ("host", "port") if getattr(args, name) is not None})
    if not args.configured:
        data = Path(args.data_dir)
        overrides.update(database_url=f"sqlite+aiosqlite:///{data}/{{service}}.db",
                         embedded_bus_path=str(data / "bus.db"), kafka_bootstrap_servers="")
    return AllInOneSettings(**overrides)


async def main_async(args: argparse.Namespace) -> int:
    if not args.configured:
        data = Path(args.data_dir)
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
    settings = settings_for(args)
    setup_logging(settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = f"http://{settings.host}:{settings.port}"
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        walk = Demo(client, settings, random.Random(args.seed), args.days, args.per_day)
        walk.rewind()  # the services start in the simulated past
        server = uvicorn.Server(uvicorn.Config(build_app(settings), host=settings.host, port=settings.port,
                                               log_level="warning", timeout_graceful_shutdown=3))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                return 1
            await asyncio.sleep(0.05)
        await walk.run()
    await asyncio.sleep(3)  # let the last events reach the SLA service's projection
    token = issue_token(settings.auth_secret, role="supervisor", name="王督办", ttl=timedelta(days=30))
    print(f"\ndemo month done: {walk.stats}")
    print(f"dashboard: {url}/dashboard   supervisor token:\n{token}\n", flush=True)
    if args.exit:
        server.should_exit = True
    await serving
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.demo",
                                     description=(demo.__doc__ or "").split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    parser.add_argument("--per-day", type=int, default=100, help="complaints per working day (default 100)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", default="./var/demo", help="fresh embedded database directory (wiped first)")
    parser.add_argument("--configured", action="store_true",
                        help="use DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS of the environment instead of --data-dir")
    parser.add_argument("--host", help="listen address (default: HOST of the environment, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: PORT of the environment, else 8000)")
    parser.add_argument("--exit", action="store_true", help="stop after the walk instead of serving")
    return parser


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(build_parser().parse_args(argv)))
