"""Idempotency keys that cannot hurt anyone: a malformed key is refused and saves nothing, a key belongs to the client
that sent it (the token's subject for staff, the address for the public), the same key with another body is refused,
and a key answers with its complaint for IDEMPOTENCY_KEY_HOURS only. On the embedded default and on PostgreSQL."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from services.intake.models import Complaint
from shared import clock
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import bearer, staff_token
from tests.intake.test_filing import counts
from tests.support import complaint_body, fresh_postgres

BODY = complaint_body()
OTHER_BODY = complaint_body(title="另一件事：园区道路长期积水")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def app(request, tmp_path):
    async with contextlib.AsyncExitStack() as stack:
        url = None
        if request.param == "postgres":
            url = await stack.enter_async_context(fresh_postgres())
        # several clients share this test's loopback: no filing limit
        settings = embedded_settings(tmp_path, filing_rate_per_minute=0, **({"database_url": url} if url else {}))
        app, _client = await stack.enter_async_context(running_app(settings))
        yield app


@contextlib.asynccontextmanager
async def client_at(app, address: str):
    """An HTTP client of ``app`` calling from ``address``: another member of the public."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://complaints.test") as client:
        yield client


def keyed(key: str | bytes, **headers: str) -> dict[str, str | bytes]:
    return {"Idempotency-Key": key, **headers}


@pytest.mark.parametrize(("key", "code"), [
    pytest.param("", "blank", id="empty"),
    pytest.param("   ", "blank", id="blank"),
    pytest.param("k" * 129, "string_too_long", id="129-characters"),
    pytest.param("键-1".encode(), "idempotency_key_characters", id="not-ascii"),
    pytest.param("retry\t1", "idempotency_key_characters", id="tab"),
])
async def test_a_malformed_key_is_refused_and_saves_nothing(app, key, code):
    async with client_at(app, "10.0.0.1") as client:
        for _attempt in range(2):  # an empty key used to file once, then answer 500 for good
            response = await client.post("/v1/complaints", json=BODY, headers=keyed(key))
            assert response.status_code == 422, response.text
            [error] = response.json()["errors"]
            assert (error["field"], error["code"]) == ("Idempotency-Key", code)
            assert error["message"] and error["message_zh"]
        assert await counts(app) == (0, 0, 0)
        longest = await client.post("/v1/complaints", json=BODY, headers=keyed("k" * 128))
        assert longest.status_code == 201, longest.text


async def test_a_key_belongs_to_the_client_that_sent_it(app):
    key = keyed("retry-2f6c")
    async with client_at(app, "10.0.0.1") as first, client_at(app, "10.0.0.2") as second:
        filed = await first.post("/v1/complaints", json=BODY, headers=key)
        assert filed.status_code == 201
        # another member of the public re-posting the same key and body files a complaint of their own
        theirs = await second.post("/v1/complaints", json=BODY, headers=key)
        assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
        assert theirs.json()["id"] != filed.json()["id"]
        assert theirs.json()["access_token"] != filed.json()["access_token"]
        # so does a member of staff, each by the token's subject (role and name), whatever the address
        operators = [bearer(staff_token("operator", name)) for name in ("话务员01", "话务员02")]
        by_staff = [await first.post("/v1/complaints", json=BODY, headers=keyed("retry-2f6c", **h))
                    for h in operators]
        ids = {filed.json()["id"], theirs.json()["id"], *(r.json()["id"] for r in by_staff)}
        assert len(ids) == 4
        # and each retry answers with its own client's complaint
        for client, headers, expected in ((first, key, filed), (second, key, theirs),
                                          (second, keyed("retry-2f6c", **operators[0]), by_staff[0])):
            again = await client.post("/v1/complaints", json=BODY, headers=headers)
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json()["id"] == expected.json()["id"]
    assert (await counts(app))[0] == 4


async def test_neither_the_key_nor_its_client_is_stored_readably(app):
    async with client_at(app, "10.0.0.7") as client:
        operator = bearer(staff_token("operator", "话务员甲"))
        await client.post("/v1/complaints", json=BODY, headers=keyed("k-1"))
        await client.post("/v1/complaints", json=BODY, headers=keyed("k-1", **operator))
    async with app.state.runtimes["intake"].db.engine.connect() as conn:
        digests = (await conn.execute(select(Complaint.idempotency_digest))).scalars().all()
    assert len(set(digests)) == 2
    assert all(re.fullmatch("[0-9a-f]{64}", digest) for digest in digests)


async def test_the_same_key_with_another_body_is_refused_for_its_client_only(app):
    key = keyed("same-key")
    async with client_at(app, "10.0.0.1") as first, client_at(app, "10.0.0.2") as second:
        assert (await first.post("/v1/complaints", json=BODY, headers=key)).status_code == 201
        reused = await first.post("/v1/complaints", json=OTHER_BODY, headers=key)
        assert reused.status_code == 422
        [error] = reused.json()["errors"]
        assert (error["field"], error["code"]) == ("Idempotency-Key", "idempotency_key_reused")
        assert await counts(app) == (1, 1, 1)
        assert (await second.post("/v1/complaints", json=OTHER_BODY, headers=key)).status_code == 201
    assert (await counts(app))[0] == 2


async def test_a_key_is_kept_for_its_hours_then_files_anew(app):
    hours = app.state.intake_settings.idempotency_key_hours
    key = keyed("kept-for-a-day")
    async with client_at(app, "10.0.0.1") as client:
        first = (await client.post("/v1/complaints", json=BODY, headers=key)).json()
        try:
            clock.set_offset(timedelta(hours=hours) - timedelta(minutes=1))
            kept = await client.post("/v1/complaints", json=BODY, headers=key)
            assert kept.headers["idempotent-replayed"] == "true" and kept.json()["id"] == first["id"]
            clock.set_offset(timedelta(hours=hours, minutes=1))
            anew = await client.post("/v1/complaints", json=OTHER_BODY, headers=key)
            assert anew.status_code == 201, anew.text
            assert "idempotent-replayed" not in anew.headers and anew.json()["id"] != first["id"]
            again = await client.post("/v1/complaints", json=OTHER_BODY, headers=key)
            assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == anew.json()["id"]
        finally:
            clock.set_offset(timedelta(0))
    assert (await counts(app))[0] == 2
