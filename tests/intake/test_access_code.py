"""Following up by phone: the 6-digit access code given at filing, with the tracking number, opens the filer's access
(``POST /v1/track``) and an operator's lookup for a caller on the line; wrong codes lock the number (even the right
code waits until the lock ends), tries are limited per address, a wrong pair answers like a missing number, a code
opens only its own complaint, and it is stored only as a keyed hash. An operator lists the complaints it filed."""

from __future__ import annotations

import contextlib
import httpx
import pytest
from sqlalchemy import select, update

from services.intake.app import build_app as intake_alone
from services.intake.models import Complaint
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import bearer, staff_token
from tests.intake.test_filing_limit import later
from tests.support import complaint_body, credit_code

#: Three wrong codes lock a number for ten minutes; the per-address limit stays out of the way unless a test sets it.
LOCK = dict(access_code_attempts=3, access_code_lock_minutes=10, access_code_rate_per_minute=0)


def _body(n: int, **overrides) -> dict:
    body = complaint_body(f"第{n}件诉求", f"第{n}件诉求的内容：厂区附近道路施工封路，货车无法进出，影响生产经营。")
    return {**body, "filer": {**body["filer"], "credit_code": credit_code(n)}, **overrides}


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@contextlib.asynccontextmanager
async def app_with(tmp_path, **settings):
    async with running_app(embedded_settings(tmp_path, **settings)) as (app, client):
        yield app, client


async def _file(client: httpx.AsyncClient, n: int, headers: dict | None = None, **overrides) -> dict:
    response = await client.post("/v1/complaints", json=_body(n, **overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _track(client: httpx.AsyncClient, number: str, code: str, url: str = "/v1/track",
                 headers: dict | None = None) -> httpx.Response:
    return await client.post(url, json={"tracking_number": number, "access_code": code}, headers=headers)


async def test_the_right_code_opens_the_filers_access_and_only_to_its_own_complaint(tmp_path):
    async with app_with(tmp_path, **LOCK) as (app, client):
        first, second = await _file(client, 1), await _file(client, 2)
        assert first["access_code"].isdigit() and len(first["access_code"]) == 6
        opened = await _track(client, first["tracking_number"].lower().replace("-", ""), first["access_code"])
        assert opened.status_code == 200, opened.text
        assert opened.json()["id"] == first["id"] and opened.json()["status_zh"]
        view = await client.get(f"/v1/complaints/{first['id']}", headers=bearer(opened.json()["access_token"]))
        assert view.status_code == 200 and view.json()["role"] == "filer"
        other = await client.get(f"/v1/complaints/{second['id']}", headers=bearer(opened.json()["access_token"]))
        assert other.status_code == 404
        if first["access_code"] != second["access_code"]:
            crossed = await _track(client, second["tracking_number"], first["access_code"])
            assert crossed.status_code == 404
        # the code is kept only as a salted, keyed hash, different for the same code on two complaints
        async with app.state.runtimes["intake"].db.unit_of_work() as uow:
            stored = dict((await uow.session.execute(select(Complaint.id, Complaint.access_code_digest))).all())
        assert first["access_code"] not in stored[first["id"]] and len(stored[first["id"]]) > 64
        assert stored[first["id"]] != stored[second["id"]]


async def test_wrong_codes_lock_the_number_even_for_the_right_code_until_the_lock_ends(tmp_path):
    async with app_with(tmp_path, **LOCK) as (_, client):
        filed, other = await _file(client, 1), await _file(client, 2)
        number, code = filed["tracking_number"], filed["access_code"]
        for _ in range(3):
            wrong = await _track(client, number, _wrong(code))
            assert wrong.status_code == 404 and wrong.json()["error"] == "not_found"
        locked = await _track(client, number, code)
        assert locked.status_code == 429 and locked.json()["error"] == "rate_limited"
        assert 0 < int(locked.headers["Retry-After"]) <= 600
        assert (await _track(client, other["tracking_number"], other["access_code"])).status_code == 200
        with later(5 * 60):
            assert (await _track(client, number, code)).status_code == 429
        with later(10 * 60):
            assert (await _track(client, number, code)).status_code == 200


async def test_a_missing_number_and_a_complaint_without_a_code_answer_like_a_wrong_pair(tmp_path):
    async with app_with(tmp_path, **LOCK) as (app, client):
        filed = await _file(client, 1)
        missing = "TS20200101-ABCDEF"
        answers = [await _track(client, missing, "123456") for _ in range(4)]
        assert [a.status_code for a in answers] == [404, 404, 404, 429]
        assert answers[0].json() == (await _track(client, filed["tracking_number"], _wrong(filed["access_code"]))
                                     ).json()
        async with app.state.runtimes["intake"].db.unit_of_work() as uow:  # filed before codes existed
            await uow.session.execute(update(Complaint).values(access_code_digest=None))
            await uow.commit()
        assert (await _track(client, filed["tracking_number"], filed["access_code"])).status_code == 404


async def test_tries_are_limited_per_address(tmp_path):
    async with app_with(tmp_path, access_code_rate_per_minute=1, access_code_burst=2) as (app, client):
        filed = await _file(client, 1)
        tries = [await _track(client, "TS20200101-ABCDEF", "123456") for _ in range(2)]
        assert [t.status_code for t in tries] == [404, 404]
        limited = await _track(client, filed["tracking_number"], filed["access_code"])
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints.test") as elsewhere:
            assert (await _track(elsewhere, filed["tracking_number"], filed["access_code"])).status_code == 200


@pytest.mark.parametrize("body, field, code", [
    ({"tracking_number": "TS2026", "access_code": "123456"}, "tracking_number", "tracking_number_format"),
    ({"tracking_number": "TS20261123-7K3M9P", "access_code": "12345"}, "access_code", "access_code_format"),
    ({"tracking_number": "TS20261123-7K3M9P", "access_code": "12345a"}, "access_code", "access_code_format"),
    ({"tracking_number": "TS20261123-7K3M9P"}, "access_code", "missing"),
])
async def test_malformed_requests_are_field_errors(embedded, body, field, code):
    _, client = embedded
    response = await client.post("/v1/track", json=body)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_a_replayed_filing_answers_with_a_new_code_and_the_old_one_stops_working(embedded):
    _, client = embedded
    key = {"Idempotency-Key": "phone-replay-1"}
    first = (await client.post("/v1/complaints", json=_body(1), headers=key)).json()
    again = await client.post("/v1/complaints", json=_body(1), headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["id"] == first["id"]
    assert (await _track(client, first["tracking_number"], again.json()["access_code"])).status_code == 200
    if first["access_code"] != again.json()["access_code"]:
        assert (await _track(client, first["tracking_number"], first["access_code"])).status_code == 404


async def test_an_operator_looks_a_complaint_up_for_a_caller_and_lists_its_own(tmp_path):
    async with app_with(tmp_path, **LOCK) as (_, client):
        operator = bearer(staff_token("operator", "话务员01"))
        colleague = bearer(staff_token("operator", "话务员02"))
        mine = [await _file(client, n, operator, channel="hotline") for n in range(1, 4)]
        theirs = await _file(client, 4, colleague, channel="hotline")
        public = await _file(client, 5)

        looked = await _track(client, public["tracking_number"], public["access_code"], "/v1/operator/lookup",
                              operator)
        assert looked.status_code == 200 and looked.json()["id"] == public["id"]
        assert (await client.get(f"/v1/complaints/{public['id']}/history",
                                 headers=bearer(looked.json()["access_token"]))).status_code == 200
        wrong = await _track(client, public["tracking_number"], _wrong(public["access_code"]),
                             "/v1/operator/lookup", operator)
        assert wrong.status_code == 404
        handler = bearer(staff_token("handler", "张三", "power"))
        assert (await _track(client, public["tracking_number"], public["access_code"], "/v1/operator/lookup",
                             handler)).status_code == 403
        assert (await _track(client, public["tracking_number"], public["access_code"],
                             "/v1/operator/lookup")).status_code == 401

        page = (await client.get("/v1/operator/complaints", params={"limit": 2}, headers=operator)).json()
        rest = (await client.get("/v1/operator/complaints", params={"limit": 2, "cursor": page["next_cursor"]},
                                 headers=operator)).json()
        assert [i["id"] for i in page["items"] + rest["items"]] == [c["id"] for c in reversed(mine)]
        assert rest["next_cursor"] is None
        assert page["items"][0]["mobile"] == "138****5678"
        listed = (await client.get("/v1/operator/complaints", headers=colleague)).json()["items"]
        assert [i["id"] for i in listed] == [theirs["id"]]
        assert (await client.get("/v1/operator/complaints", headers=handler)).status_code == 403
        assert (await client.get("/v1/operator/complaints", params={"cursor": "x"}, headers=operator)
                ).status_code == 422


@pytest.mark.postgres
async def test_intake_replicas_share_the_lock_of_a_number(postgres_url, tmp_path):
    """Two intake replicas on one database: wrong codes through either lock the number for both."""
    replicas = [embedded_settings(tmp_path / name, database_url=postgres_url, **LOCK) for name in ("a", "b")]
    async with running_app(replicas[0], build=intake_alone) as (_, a), \
            running_app(replicas[1], build=intake_alone) as (_, b):
        filed = await _file(a, 1)
        number, code = filed["tracking_number"], filed["access_code"]
        assert [(await _track(r, number, _wrong(code))).status_code for r in (a, b, a)] == [404, 404, 404]
        assert [(await _track(r, number, code)).status_code for r in (b, a)] == [429, 429]
        with later(10 * 60):
            assert (await _track(b, number, code)).status_code == 200
