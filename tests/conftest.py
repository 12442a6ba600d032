"""Fixtures shared by the whole suite: the single-process app on the embedded default, PostgreSQL, the broker.

The suite signs and verifies tokens with one explicit secret (``tests.support.AUTH_SECRET``), put in the environment
here before any settings are built; a test of what happens without one removes it itself.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shared.settings import AllInOneSettings
from tests.support import AUTH_SECRET, Broker, fresh_postgres

os.environ["AUTH_SECRET"] = AUTH_SECRET
#: The SMS that settings built without ``embedded_settings`` send (by day: the broker's and the service processes'
#: tests) go to a folder of the run's own, not to the working copy's ``var/``.
os.environ["SMS_LOCAL_PATH"] = str(Path(tempfile.mkdtemp(prefix="complaints-sms-")) / "sms.txt")


def embedded_settings(tmp: Path, **overrides) -> AllInOneSettings:
    values = dict(
        database_url=f"sqlite+aiosqlite:///{tmp}/{{service}}.db",
        embedded_bus_path=str(tmp / "bus.db"),
        attachment_dir=str(tmp / "attachments"),
        kafka_bootstrap_servers="",
        timer_interval_s=0.2,
        outbox_poll_interval_s=0.1,
        consumer_linger_s=0.2,
        # The filers' SMS go to the test's folder. Their sender looks once at start and then not for an hour: by day
        # it would send each filing's message whenever it polls, and a test reading a complaint's history would read
        # what the hour of its run decides. Tests of sending drive the sender (``send_due``) at the hour they choose.
        sms_local_path=str(tmp / "sms.txt"),
        sms_poll_interval_s=3600,
    )
    values.update(overrides)
    return AllInOneSettings(**values)


@contextlib.asynccontextmanager
async def running_app(settings: AllInOneSettings, build: Callable[[AllInOneSettings], FastAPI] | None = None):
    """The whole product in this process — or what ``build`` makes of the settings, such as one service alone —
    with its lifespan started and an HTTP client bound to it."""
    from services.standalone import build_app

    app = (build or build_app)(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints.test") as client:
            yield app, client


@pytest.fixture
async def embedded(tmp_path):
    async with running_app(embedded_settings(tmp_path)) as (app, client):
        yield app, client


@pytest.fixture
async def postgres_url():
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
def broker():
    b = Broker()
    yield b
    b.stop()
