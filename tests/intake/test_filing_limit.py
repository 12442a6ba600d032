"""The filing limit: public filing per IP address, staff filing per token subject with limits of its own (a hotline
room behind one address files for all its callers), and on PostgreSQL one budget per client whichever intake replica
takes the filing. A refusal is 429 with Retry-After; whom it refused never reaches a log or a metric."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select

from services.intake.app import build_app as intake_alone
from services.intake.app import build_runtime
from services.intake.ratelimit import BUCKET, ZERO, MemoryBuckets, Rate, SharedBuckets
from shared import clock
from shared.auth import NAME_MAX
from shared.settings import IntakeSettings
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import bearer, staff_token
from tests.support import complaint_body, fresh_postgres

HOTLINE = complaint_body(channel="hotline")  # what an operator files
PUBLIC = complaint_body(channel="web")
#: The public limit of these tests: two filings at once, then one a minute.
TIGHT_PUBLIC = dict(filing_rate_per_minute=1, filing_burst=2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request):
    """Settings for the database of each service: the embedded default, or one PostgreSQL database."""
    if request.param == "sqlite":
        yield {}
    else:
        async with fresh_postgres() as url:
            yield {"database_url": url}


async def file(client: httpx.AsyncClient, headers: dict[str, str] | None = None) -> int:
    """File as an operator (``headers`` with an operator's token) or as the public."""
    return (await client.post("/v1/complaints", json=HOTLINE if headers else PUBLIC, headers=headers)).status_code


@contextlib.asynccontextmanager
async def client_at(app, address: str):
    """A client calling ``app`` from another IP address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://complaints.test") as client:
        yield client


@contextlib.contextmanager
def later(seconds: float):
    """The process's clock so many seconds on."""
    before = clock.offset()
    clock.set_offset(before + timedelta(seconds=seconds))
    try:
        yield
    finally:
        clock.set_offset(before)


def assert_refused(response: httpx.Response, *, within: int) -> None:
    """429 with the seconds to wait (the wait of a token, less the moments the test itself took)."""
    assert response.status_code == 429, response.text
    assert within - 5 <= int(response.headers["retry-after"]) <= within
    assert response.json()["error"] == "rate_limited" and response.json()["message_zh"]


async def test_a_hotline_room_behind_one_address_files_for_every_caller(database, tmp_path):
    """Ten operators behind one NAT file three complaints each at once — fifteen times what the public limit lets
    that address file — with the staff limit at its defaults: all are accepted, and the address keeps its own public
    budget."""
    settings = embedded_settings(tmp_path, **database, **TIGHT_PUBLIC)
    async with running_app(settings) as (_, client):
        room = [bearer(staff_token("operator", f"话务员{n:02d}")) for n in range(10)]
        statuses = await asyncio.gather(*(file(client, operator) for operator in room for _ in range(3)))
        assert statuses == [201] * 30
        assert [await file(client) for _ in range(3)] == [201, 201, 429]


async def test_public_filing_is_limited_per_address(database, tmp_path):
    settings = embedded_settings(tmp_path, **database, **TIGHT_PUBLIC)
    async with running_app(settings) as (app, client):
        assert [await file(client) for _ in range(2)] == [201, 201]
        assert_refused(await client.post("/v1/complaints", json=PUBLIC), within=60)
        assert_refused(await client.post("/v1/complaints", json=PUBLIC), within=60)
        # An operator at the same address is neither refused by the address's limit nor counted against it.
        operator = bearer(staff_token("operator", "话务员01"))
        assert [await file(client, operator) for _ in range(3)] == [201, 201, 201]
        assert await file(client) == 429
        async with client_at(app, "198.51.100.7") as elsewhere:
            assert await file(elsewhere) == 201
        with later(60):  # Retry-After said when: one filing then, and the address is refused again
            assert [await file(client) for _ in range(2)] == [201, 429]
        assert (await client.post("/v1/complaints", json=HOTLINE, headers=bearer("not-a-token"))).status_code == 401


async def test_a_staff_subject_over_its_own_limit_is_refused(database, tmp_path, caplog):
    settings = embedded_settings(tmp_path, **database, staff_filing_rate_per_minute=1, staff_filing_burst=2)
    name = "话务员王小明"
    async with running_app(settings) as (_, client):
        operator = bearer(staff_token("operator", name))
        with caplog.at_level(logging.DEBUG):
            assert [await file(client, operator) for _ in range(2)] == [201, 201]
            assert_refused(await client.post("/v1/complaints", json=HOTLINE, headers=operator), within=60)
            metrics = (await client.get("/metrics")).text
        assert name not in caplog.text and name not in metrics
        # A colleague has a budget of his own; so has the address.
        assert await file(client, bearer(staff_token("operator", "话务员02"))) == 201
        assert [await file(client) for _ in range(2)] == [201, 201]
        with later(60):
            assert [await file(client, operator) for _ in range(2)] == [201, 429]
        # A subject of the longest name a token may carry is a key like any other.
        long_name = bearer(staff_token("operator", "话" * NAME_MAX))
        assert [await file(client, long_name) for _ in range(3)] == [201, 201, 429]


@pytest.mark.postgres
async def test_intake_replicas_share_each_clients_budget(postgres_url, tmp_path):
    """Two intake replicas on one database: a client's filings through either take from one budget, for an address
    and for a staff subject alike."""
    limits = dict(filing_rate_per_minute=1, filing_burst=3, staff_filing_rate_per_minute=1, staff_filing_burst=3)
    replicas = [embedded_settings(tmp_path / name, database_url=postgres_url, **limits) for name in ("a", "b")]
    async with running_app(replicas[0], build=intake_alone) as (_, a), \
            running_app(replicas[1], build=intake_alone) as (_, b):
        for headers in (None, bearer(staff_token("operator", "话务员01"))):
            assert [await file(replica, headers) for replica in (a, b, a, b, a, b)] == [201, 201, 201, 429, 429, 429]
            with later(60):
                assert [await file(replica, headers) for replica in (a, b, a)] == [201, 429, 429]


@contextlib.asynccontextmanager
async def shared_buckets(url: str):
    """Shared buckets on intake's migrated PostgreSQL database, with their runner; and that database."""
    runtime = build_runtime(IntakeSettings(database_url=url), None)  # type: ignore[arg-type] - no bus needed
    await runtime.migrate()
    shared = SharedBuckets(runtime.db)
    runner = asyncio.create_task(shared.run())
    try:
        yield shared, runtime.db
    finally:
        runner.cancel()
        await runtime.db.dispose()


@pytest.fixture(params=["memory", pytest.param("shared", marks=pytest.mark.postgres)])
async def buckets(request):
    """Each kind of bucket store."""
    if request.param == "memory":
        yield MemoryBuckets()
        return
    async with fresh_postgres() as url, shared_buckets(url) as (shared, _db):
        yield shared


async def test_a_bucket_lets_a_burst_through_then_one_filing_per_interval(buckets):
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rate = Rate.per_minute(6, 2)
    assert [await buckets.take("x", rate, now) for _ in range(3)] == [ZERO, ZERO, timedelta(seconds=10)]
    assert await buckets.take("y", rate, now) == ZERO
    assert await buckets.take("x", rate, now + timedelta(seconds=9)) == timedelta(seconds=1)
    assert await buckets.take("x", rate, now + timedelta(seconds=10)) == ZERO
    assert await buckets.take("x", rate, now + timedelta(seconds=10)) == timedelta(seconds=10)
    # A long quiet spell refills the bucket to its burst, not beyond.
    quiet = now + timedelta(hours=1)
    assert [await buckets.take("x", rate, quiet) for _ in range(3)] == [ZERO, ZERO, timedelta(seconds=10)]
    # A burst of 20 at 30 a minute: exactly 20 at once, whatever the instant's fraction of a second — also when the
    # filings arrive together (on PostgreSQL: one round trip, the client's row taken from 21 times in it).
    odd = now + timedelta(days=1, microseconds=123_457)
    steady = Rate.per_minute(30, 20)
    together = await asyncio.gather(*(buckets.take("z", steady, odd) for _ in range(21)))
    assert sorted(together) == [ZERO] * 20 + [timedelta(seconds=2)]
    assert Rate.per_minute(0, 20) is None


@pytest.mark.postgres
async def test_shared_buckets_full_again_are_forgotten(postgres_url):
    async with shared_buckets(postgres_url) as (shared, db):
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        rate = Rate.per_minute(6, 3)
        await shared.take("quiet", rate, now)  # full again 10 s later
        for _ in range(2):
            await shared.take("busy", rate, now)  # 20 s later
        await shared.forget_full(now + timedelta(seconds=15))
        async with db.engine.connect() as conn:
            assert set(await conn.scalars(select(BUCKET.c.key))) == {"busy"}
        # A forgotten bucket is a full one; the busy one still lacks half a token.
        later_on = now + timedelta(seconds=15)
        assert [await shared.take("quiet", rate, later_on) for _ in range(4)] == [ZERO] * 3 + [timedelta(seconds=10)]
        assert [await shared.take("busy", rate, later_on) for _ in range(3)] == [ZERO] * 2 + [timedelta(seconds=5)]
