"""Filing through intake: acceptance, idempotent retries, and bad input that gets field errors and writes nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from services.intake.models import OUTBOX, Complaint, FilerContact
from tests.intake.helpers import FilerClient
from tests.support import complaint_body, credit_code


async def counts(app) -> tuple[int, int, int]:
    db = app.state.runtimes["intake"].db
    async with db.engine.connect() as conn:
        complaints = await conn.scalar(select(func.count()).select_from(Complaint.__table__))
        contacts = await conn.scalar(select(func.count()).select_from(FilerContact.__table__))
        outbox = await conn.scalar(select(func.count()).select_from(OUTBOX.outbox))
    return complaints, contacts, outbox


async def test_accepts_a_valid_complaint(embedded):
    app, client = embedded
    client = FilerClient(client)
    response = await client.post("/v1/complaints", json=complaint_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["tracking_number"].startswith("TS")
    assert response.headers["location"] == f"/v1/complaints/{created['id']}"
    shown = (await client.get(f"/v1/complaints/{created['id']}")).json()
    assert shown["tracking_number"] == created["tracking_number"]
    assert shown["filer"]["mobile"] == "138****5678"
    assert await counts(app) == (1, 1, 1)


async def test_idempotency_key_makes_retries_safe(embedded):
    app, client = embedded
    headers = {"Idempotency-Key": "retry-7f3a"}
    first = await client.post("/v1/complaints", json=complaint_body(), headers=headers)
    again = await client.post("/v1/complaints", json=complaint_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    concurrent = await asyncio.gather(*[
        client.post("/v1/complaints", json=complaint_body(title="并发重试"), headers={"Idempotency-Key": "k-2"})
        for _ in range(5)
    ])
    assert {r.status_code for r in concurrent} == {201}
    assert len({r.json()["id"] for r in concurrent}) == 1
    assert (await counts(app))[0] == 2


async def test_idempotency_key_reused_for_another_body_is_refused(embedded):
    app, client = embedded
    headers = {"Idempotency-Key": "same-key"}
    assert (await client.post("/v1/complaints", json=complaint_body(), headers=headers)).status_code == 201
    other = await client.post("/v1/complaints", json=complaint_body(title="另一件事"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await counts(app) == (1, 1, 1)


def _with_filer(**filer):
    body = complaint_body()
    body["filer"] = {**body["filer"], **filer}
    return body


def _without(*path):
    body = complaint_body()
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


BAD_INPUT = [
    pytest.param(_without("title"), "title", "missing", id="missing-title"),
    pytest.param(_without("filer", "credit_code"), "filer.credit_code", "missing", id="missing-credit-code"),
    pytest.param(_without("filer"), "filer", "missing", id="missing-filer"),
    pytest.param(complaint_body(title="长" * 20_000), "title", "string_too_long", id="20k-title"),
    pytest.param(complaint_body(title="   "), "title", "blank", id="blank-title"),
    pytest.param(_with_filer(credit_code=credit_code(3)[:-1] + ("0" if credit_code(3)[-1] != "0" else "1")),
                 "filer.credit_code", "credit_code_check_character", id="wrong-check-character"),
    pytest.param(_with_filer(credit_code="91330000600000"), "filer.credit_code", "credit_code_length",
                 id="short-credit-code"),
    pytest.param(_with_filer(mobile="12345"), "filer.mobile", "mobile_invalid", id="bad-mobile"),
    pytest.param(_with_filer(mobile="010-12345678"), "filer.mobile", "mobile_invalid", id="landline-not-mobile"),
    pytest.param(complaint_body(channel="fax"), "channel", "enum", id="unknown-channel"),
    pytest.param(complaint_body(township="不存在镇"), "township", "township_unknown", id="unknown-township"),
    pytest.param(complaint_body(priority="high"), "priority", "extra_forbidden", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_INPUT)
async def test_bad_input_gets_field_errors_and_writes_nothing(embedded, body, field, code):
    app, client = embedded
    response = await client.post("/v1/complaints", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    matching = [e for e in errors if e["field"] == field]
    assert matching, errors
    assert matching[0]["code"] == code
    assert matching[0]["message"] and matching[0]["message_zh"]
    assert await counts(app) == (0, 0, 0)


async def test_non_json_body_is_refused(embedded):
    app, client = embedded
    response = await client.post(
        "/v1/complaints", content=b"title=hello&text=world", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert response.json()["errors"][0]["code"] == "json_invalid"
    plain = await client.post("/v1/complaints", content="不是 JSON", headers={"Content-Type": "text/plain"})
    assert 400 <= plain.status_code < 500
    assert plain.json()["errors"]
    assert await counts(app) == (0, 0, 0)


async def test_oversized_body_is_refused_before_parsing(embedded):
    app, client = embedded
    response = await client.post("/v1/complaints", json=complaint_body(text="字" * 40_000))
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert await counts(app) == (0, 0, 0)


async def test_unknown_complaint_is_404(embedded):
    _, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=complaint_body())).json()
    client.tokens["does-not-exist"] = client.tokens[created["id"]]
    response = await client.get("/v1/complaints/does-not-exist")
    assert response.status_code == 404
    assert response.json()["message_zh"]
