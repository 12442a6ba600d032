"""The demo (``make demo``): even a short one leaves the supervisors' dashboard something to supervise, and it serves
where the environment's settings say."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys

import httpx

from services.demo.cli import build_parser, settings_for
from services.demo.walk import Demo
from shared.auth import issue_token
from tests.conftest import running_app
from tests.support import ROOT, eventually, free_port, stop_process, wait_port


async def test_a_short_demo_shows_lateness_returns_and_reopenings(tmp_path):
    args = build_parser().parse_args(["--days", "3", "--per-day", "4", "--data-dir", str(tmp_path)])
    settings = settings_for(args)
    supervisor = {"Authorization": f"Bearer {issue_token(settings.auth_secret, role='supervisor', name='王督办')}"}
    async with running_app(settings) as (app, client):
        walk = Demo(client, settings, random.Random(args.seed), args.days, args.per_day)
        await walk.run()
        assert walk.stats.get("filing_refused", 0) == 0  # phone complaints too: an operator files them
        assert walk.stats["filed"] == len(walk.cases)
        found: dict[str, bool] = {}

        async def shown() -> bool:
            total = (await client.get("/dashboard/api/summary", headers=supervisor)).json()["total"]
            overdue = (await client.get("/dashboard/api/overdue", headers=supervisor)).json()
            details = [(await client.get(f"/dashboard/api/complaints/{c.id}", headers=supervisor)).json()
                       for c in walk.cases if c.id]
            found.update({
                "overdue now": total["overdue"] >= 1 and len(overdue) >= 1,
                "answered late": total["answered"] > total["answered_on_time"],
                "returned and re-routed": total["rerouted"] >= 1 and any(
                    d["routed_count"] >= 2 and "returned" in [e["kind"] for e in d["timeline"]] for d in details),
                "reopened after 不满意": total["ratings"] > total["satisfied"] and any(
                    d["reopened_count"] >= 1 for d in details),
            })
            return all(found.values())

        with contextlib.suppress(AssertionError):  # the projection follows the events within seconds
            await eventually(shown, timeout=15, interval=0.5)
        assert all(found.values()), found


def test_the_demo_serves_on_the_port_of_the_environment(tmp_path):
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "demo.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.demo", "--days", "0", "--data-dir",
                                 str(tmp_path / "demo")], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, timeout=30)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        stop_process(proc, kill=True)
