"""A database outage (a PostgreSQL restart or fail-over ends every session and refuses new ones for a while): as long as
it lasts, filing and reading answer a 503 to retry with ``Retry-After`` — never a 500, never a 201 for a complaint not
kept — and once the database is back the services carry on without a restart: filing answers 201 at once, the outbox
relay and the consumers catch up, and nothing filed is lost or applied twice."""

from __future__ import annotations

import asyncio

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
from tests.support import complaint_body, free_port


class DatabaseLink:
    """The services' way to PostgreSQL: a TCP relay on a free loopback port. ``cut()`` is the outage — every open
    connection is broken and new ones are refused —, ``restore()`` the database back."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        self._server.close()
        for writer in list(self._open):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream = await asyncio.open_connection(*self.target)
        self._open.update({writer, upstream})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.transport.abort()
                self._open.discard(sink)

        await asyncio.gather(pipe(reader, upstream), pipe(upstream_reader, writer))


def unavailable(response: httpx.Response) -> bool:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "database_unavailable"
    assert response.headers["Retry-After"] == "1"
    return True


async def rows(database_url: str, sql: str) -> list[tuple]:
    url = make_url(database_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, database=url.database)
    try:
        return [tuple(record) for record in await conn.fetch(sql)]
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_while_the_database_is_down_every_answer_is_a_503_and_once_it_is_back_filing_works(postgres_url,
                                                                                                  tmp_path):
    url = make_url(postgres_url)
    link = DatabaseLink(url.host, url.port or 5432)
    await link.restore()
    through_link = url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    async with running_app(embedded_settings(tmp_path, database_url=through_link)) as (_, client):
        client = FilerClient(client)
        first = await client.post("/v1/complaints", json=complaint_body())
        assert first.status_code == 201, first.text
        first_id = first.json()["id"]
        await wait_routed(client, first_id)

        await link.cut()
        # The first requests meet the broken connections of the pool, the next ones a database refusing new ones.
        for attempt in range(3):
            assert unavailable(await client.post("/v1/complaints", json=complaint_body(
                f"园区道路坑洼（第{attempt + 1}次）", "园区主干道坑洼积水，货车进出困难，请尽快修复。")))
            assert unavailable(await client.get(f"/v1/complaints/{first_id}"))
        await asyncio.sleep(1.0)  # the outbox relay, the consumers and the SLA timer meet the outage too

        await link.restore()
        second = await client.post("/v1/complaints", json=complaint_body("园区路灯不亮", "园区东路路灯一个月不亮，夜间出行危险。"))
        assert second.status_code == 201, second.text
        second_id = second.json()["id"]
        assert (await client.get(f"/v1/complaints/{first_id}")).status_code == 200
        await wait_routed(client, second_id)

    # Nothing lost, nothing twice: the two complaints that answered 201, each decided and routed once, and the one
    # filed after the outage has as many clocks as the one filed before it.
    assert sorted(await rows(postgres_url, "SELECT id FROM intake_complaint")) == sorted([(first_id,), (second_id,)])
    for table, column, where in (("router_decision", "complaint_id", "true"),
                                 ("intake_history", "complaint_id", "action = 'routed'")):
        counts = await rows(postgres_url, f"SELECT {column}, count(*) FROM {table} WHERE {where} GROUP BY {column}")
        assert sorted(counts) == sorted([(first_id, 1), (second_id, 1)]), table
    clocks = dict(await rows(postgres_url, "SELECT complaint_id, count(*) FROM sla_clock GROUP BY complaint_id"))
    assert clocks.keys() == {first_id, second_id} and clocks[first_id] == clocks[second_id]


async def test_a_lost_or_refused_connection_is_a_503_to_retry_and_other_database_errors_stay_500(tmp_path):
    app = create_app("t", EmbeddedBus(str(tmp_path / "bus.db")), [], [])

    @app.get("/lost")
    async def lost():
        raise DBAPIError("SELECT 1", {}, ConnectionResetError("connection lost"), connection_invalidated=True)

    @app.get("/refused")
    async def refused():
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    @app.get("/broken")
    async def broken():
        raise DBAPIError("SELECT 1", {}, ValueError("not a connection problem"))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        lost_response = await client.get("/lost")
        assert lost_response.status_code == 503
        assert lost_response.json()["message_zh"] == "数据库暂不可用，请稍后重试"
        assert lost_response.headers["Retry-After"] == "1"
        assert (await client.get("/refused")).status_code == 503
        assert (await client.get("/broken")).status_code == 500
