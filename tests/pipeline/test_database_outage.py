"""Lost database connections (a PostgreSQL restart or fail-over ends every session): the services notice on first
use — by a filing or by a read — answer a caller a 503 to retry — never a 500 — and carry on without a restart: the
outbox relay takes its lock again, filing works, and a complaint filed afterwards is routed."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from shared.bus.embedded import EmbeddedBus
from shared.http import create_app
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import FilerClient
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, eventually


async def _end_every_session(database_url: str) -> int:
    """What a PostgreSQL restart does to the clients: every session of the database is terminated."""
    url = make_url(database_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database="postgres")
    try:
        return len(await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            url.database,
        ))
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_services_recover_from_lost_database_connections(postgres_url, tmp_path):
    settings = embedded_settings(tmp_path, database_url=postgres_url)
    async with running_app(settings) as (_, client):
        client = FilerClient(client)
        first = await client.post("/v1/complaints", json=complaint_body())
        assert first.status_code == 201, first.text
        await wait_routed(client, first.json()["id"])

        # Filing meets the dead connections first (it writes through the driver, outside the session).
        assert await _end_every_session(postgres_url) > 0

        async def filed():
            response = await client.post("/v1/complaints", json=complaint_body(
                "园区道路坑洼", "园区主干道坑洼积水，货车进出困难，请尽快修复。"))
            assert response.status_code in (201, 503), response.text
            return response if response.status_code == 201 else None

        second = await eventually(filed, timeout=10, interval=0.1)
        await wait_routed(client, second.json()["id"])

        # Reading meets them first: every answer is the complaint or a 503 to retry; the first that meets a dead
        # connection gets the 503.
        assert await _end_every_session(postgres_url) > 0

        async def readable():
            response = await client.get(f"/v1/complaints/{first.json()['id']}")
            assert response.status_code in (200, 503), response.text
            if response.status_code == 503:
                assert response.json()["error"] == "database_unavailable"
                assert response.headers["Retry-After"] == "1"
                return None
            return response

        await eventually(readable, timeout=10, interval=0.1)
        third = await eventually(filed, timeout=10, interval=0.1)
        await wait_routed(client, third.json()["id"])


async def test_a_lost_connection_is_a_503_to_retry_and_other_database_errors_stay_500(tmp_path):
    app = create_app("t", EmbeddedBus(str(tmp_path / "bus.db")), [], [])

    @app.get("/lost")
    async def lost():
        raise DBAPIError("SELECT 1", {}, ConnectionResetError("connection lost"), connection_invalidated=True)

    @app.get("/broken")
    async def broken():
        raise DBAPIError("SELECT 1", {}, ValueError("not a connection problem"))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        lost_response = await client.get("/lost")
        assert lost_response.status_code == 503
        assert lost_response.json()["message_zh"] == "数据库暂不可用，请稍后重试"
        assert lost_response.headers["Retry-After"] == "1"
        assert (await client.get("/broken")).status_code == 500
