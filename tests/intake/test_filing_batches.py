"""Filings that arrive together are written together (all or nothing per batch): each still gets its own answer,
repeats inside one batch are linked to the first, and a filing that breaks a constraint does not fail the others —
on SQLite (a unit of work) and on PostgreSQL (one statement per batch, ``store.filings``)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from services.intake.models import OUTBOX, Complaint
from tests.conftest import embedded_settings, running_app
from tests.support import complaint_body, credit_code, fresh_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def unlimited(request, tmp_path):
    """The product with the filing limit off: these tests flood filing on purpose."""
    if request.param == "sqlite":
        async with running_app(embedded_settings(tmp_path, filing_rate_per_minute=0)) as (app, client):
            yield app, client
        return
    async with fresh_postgres() as url:
        settings = embedded_settings(tmp_path, filing_rate_per_minute=0, database_url=url,
                                     kafka_bootstrap_servers="")
        async with running_app(settings) as (app, client):
            yield app, client


def body(n: int, **overrides):
    b = complaint_body(f"第{n}件：园区停电", f"我司（编号{n}）所在园区本周多次停电，没有预告，请供电部门查明原因。")
    b["filer"]["credit_code"] = credit_code(n)
    b.update(overrides)
    return b


async def rows(app) -> tuple[int, int]:
    db = app.state.runtimes["intake"].db
    async with db.engine.connect() as conn:
        return (await conn.scalar(select(func.count()).select_from(Complaint.__table__)),
                await conn.scalar(select(func.count()).select_from(OUTBOX.outbox)))


async def test_concurrent_filings_each_get_their_own_complaint(unlimited):
    app, client = unlimited
    responses = await asyncio.gather(*[client.post("/v1/complaints", json=body(n)) for n in range(60)])
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 60
    assert len({r.json()["tracking_number"] for r in responses}) == 60
    assert await rows(app) == (60, 60)


async def test_repeats_in_one_batch_are_linked_to_the_first(unlimited):
    app, client = unlimited
    same = body(7)
    responses = await asyncio.gather(*[client.post("/v1/complaints", json=same) for _ in range(3)],
                                     *[client.post("/v1/complaints", json=body(n)) for n in range(20, 30)])
    assert {r.status_code for r in responses} == {201}
    repeats = [r.json() for r in responses[:3]]
    originals = [r for r in repeats if r["duplicate_of"] is None]
    assert len(originals) == 1
    assert all(r["duplicate_of"] == originals[0]["id"] for r in repeats if r is not originals[0])


async def test_a_raced_idempotency_key_is_isolated_and_replayed(unlimited):
    app, client = unlimited
    keyed = body(99)
    headers = {"Idempotency-Key": "raced-key-1"}
    responses = await asyncio.gather(
        *[client.post("/v1/complaints", json=keyed, headers=headers) for _ in range(4)],
        *[client.post("/v1/complaints", json=body(n)) for n in range(40, 50)],
    )
    assert {r.status_code for r in responses} == {201}
    keyed_ids = {r.json()["id"] for r in responses[:4]}
    assert len(keyed_ids) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses[:4]) == 3
    assert await rows(app) == (11, 11)


async def test_a_tracking_number_drawn_twice_is_drawn_again(unlimited, monkeypatch):
    """Two filings of a day may draw the same 30 random bits: a lone filing whose number is taken is filed with
    another, not refused."""
    from services.intake import filing

    app, client = unlimited
    first = await client.post("/v1/complaints", json=body(1))
    taken = first.json()["tracking_number"]
    draw = filing.new_tracking_number
    draws: list[str] = []

    def drawn(now):
        draws.append(taken if len(draws) < 2 else draw(now))  # the first two draws hit the taken number
        return draws[-1]

    monkeypatch.setattr(filing, "new_tracking_number", drawn)
    second = await client.post("/v1/complaints", json=body(2))
    assert second.status_code == 201, second.text
    assert second.json()["tracking_number"] not in (taken, None) and draws[:2] == [taken, taken]
    assert await rows(app) == (2, 2)


def _filing(app, n: int):
    """A validated filing of enterprise ``n`` as the writer takes it, its answer awaited by nobody."""
    from services.intake.domain.duplicates import filer_key
    from services.intake.filing import NewFiling
    from services.intake.schemas import ComplaintCreate
    from shared import clock

    complaint = ComplaintCreate.model_validate(body(n))
    secret = app.state.intake_settings.auth_secret
    return NewFiling(complaint, filer_key(complaint.filer, secret), None, None, clock.now(), None,
                     asyncio.get_running_loop().create_future())


async def test_a_look_up_made_before_the_batch_ahead_was_written_still_links_to_it(unlimited):
    """Under load the next batch is looked up while the one before it is being written: a repeat in it is linked to the
    first complaint that batch wrote, though the look-up could not see it."""
    app, _client = unlimited
    writer = app.state.runtimes["intake"].components["filing_writer"]
    first, repeat = [_filing(app, 5)], [_filing(app, 5)]
    found = await writer.look_up(repeat)  # before the first is written
    [written] = await writer.write(first, await writer.look_up(first))
    [linked] = await writer.write(repeat, found)
    assert (written.original_id, linked.original_id) == (None, written.id)


async def test_a_look_up_older_than_the_batches_remembered_is_made_again(unlimited, monkeypatch):
    """The writer remembers the first complaints of its latest batches only: a batch looked up before more batches than
    that were written is looked up again, and its repeat still linked."""
    from collections import deque

    app, _client = unlimited
    writer = app.state.runtimes["intake"].components["filing_writer"]
    monkeypatch.setattr(writer, "_recent", deque(maxlen=1))
    first, other, repeat = [_filing(app, 6)], [_filing(app, 7)], [_filing(app, 6)]
    found = await writer.look_up(repeat)
    [written] = await writer.write(first, await writer.look_up(first))
    await writer.write(other, await writer.look_up(other))  # the first batch is forgotten now
    [linked] = await writer.write(repeat, found)
    assert linked.original_id == written.id


async def test_complaints_and_their_events_get_time_ordered_ids(unlimited):
    """A complaint's id and its events' ids begin with the time they were made (``shared.ids``), so the indexes
    holding them grow at their right edge."""
    app, client = unlimited
    ids = []
    for n in (60, 61):
        answer = await client.post("/v1/complaints", json=body(n))
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
        await asyncio.sleep(0.002)
    assert [uuid.UUID(i).version for i in ids] == [7, 7] and ids == sorted(ids)
    db = app.state.runtimes["intake"].db
    async with db.engine.connect() as conn:
        events = (await conn.execute(select(OUTBOX.outbox.c.event_id).order_by(OUTBOX.outbox.c.seq))).scalars().all()
    assert len(events) == 2 and [uuid.UUID(e).version for e in events] == [7, 7]
