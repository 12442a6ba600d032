"""Each message is sent once per event — across redeliveries, a restart, a provider outage and replicas — out of the
quiet hours, to filers who can and want to receive it; a provider that keeps failing ends in the dead letter."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, text

from services.intake.models import FilerContact, OUTBOX
from services.intake.notify.compose import OPT_OUT, contacts_of
from services.intake.notify.sender import LEASE, MESSAGES, claim_due, due_messages
from shared.db import Database
from shared.events import (
    ComplaintAnsweredV1,
    ComplaintClosedV1,
    ComplaintInfoRequestedV1,
    ComplaintReopenedV1,
    SlaClockOpenedV1,
    SlaMilestoneV1,
)
from tests.intake.sms_helpers import (
    DAY,
    NIGHT,
    POLICY,
    Events,
    Provider,
    file,
    intake_database,
    notices,
    sender,
    sms_history,
)
from tests.support import generic_plan

#: The notifier's batch (``SMS_BATCH``'s default).
SENDER_BATCH = 50

pytestmark = pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def _transition(cls, complaint_id: str, **extra):
    return cls(complaint_id=complaint_id, actor="handler:power:张三", department="power", status="answered",
               version=5, at=DAY, **extra)


def _clock_opened(complaint_id: str) -> SlaClockOpenedV1:
    return SlaClockOpenedV1(complaint_id=complaint_id, department="power", policy="default", milestones=[
        SlaMilestoneV1(milestone="contact", due_at=DAY + timedelta(days=1)),
        SlaMilestoneV1(milestone="resolution", due_at=DAY + timedelta(days=10)),
    ])


def _lifecycle(complaint_id: str) -> list:
    return [_clock_opened(complaint_id), _transition(ComplaintInfoRequestedV1, complaint_id),
            _transition(ComplaintAnsweredV1, complaint_id), _transition(ComplaintReopenedV1, complaint_id, reason="慢"),
            _transition(ComplaintClosedV1, complaint_id, rating="satisfied")]


async def test_redelivered_events_tell_the_filer_once_each(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer)
        events = Events(db)
        records = [events.record(e) for e in _lifecycle(filed.id)]
        for record in records:
            await events.consumer.handle(record)
        for record in records:  # the bus hands them all again, one by one and as a batch
            await events.consumer.handle(record)
        await events.consumer.handle_together(records + records)
        provider = Provider()
        await sender(db, provider).send_due(DAY)
        await sender(db, provider).send_due(DAY + timedelta(hours=1))

        assert [m.template for m in provider.sent] == [
            "filed", "placed", "info_requested", "answered", "reopened", "closed"]
        assert {m.phone for m in provider.sent} == {"+8613812345678"}
        placed = provider.sent[1]
        assert placed.params["department"] == "青山县供电局" and placed.params["deadline"] == "12月17日"
        assert all(m.params["tracking_number"] == filed.tracking_number for m in provider.sent)
        assert [action for action, _ in await sms_history(db, filed.id)] == ["sms_sent"] * 6
        assert {row.status for row in await notices(db)} == {"sent"}


async def test_a_restart_sends_what_was_pending_and_nothing_twice(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (url, db, writer):
        first = await file(writer)
        second = await file(writer, title="厂区门口道路坏了半年没人修")
        provider = Provider()
        # A sender claims both messages and dies before sending them.
        await sender(db, provider)._claim(DAY)
        await db.dispose()

        restarted = Database(url, OUTBOX)
        try:
            await sender(restarted, provider).send_due(DAY + LEASE / 2)
            assert provider.sent == []  # the dead sender's claim still holds
            await sender(restarted, provider).send_due(DAY + LEASE)
            await sender(restarted, provider).send_due(DAY + LEASE * 3)
            events = Events(restarted)
            await events.consumer.handle(events.record(_clock_opened(first.id)))
        finally:
            await restarted.dispose()
        again = Database(url, OUTBOX)  # and once more, after the messages went out
        try:
            await sender(again, provider).send_due(DAY + LEASE * 4)
            await sender(again, provider).send_due(DAY + LEASE * 5)
            rows = await notices(again)
        finally:
            await again.dispose()
        assert sorted((m.template, m.params["tracking_number"]) for m in provider.sent) == sorted([
            ("filed", first.tracking_number), ("filed", second.tracking_number), ("placed", first.tracking_number)])
        assert [(row.status, row.attempts) for row in rows] == [("sent", 2), ("sent", 2), ("sent", 1)]


async def test_a_batch_goes_to_the_provider_side_by_side(kind, tmp_path):
    """A cloud provider answers after a round trip over the internet: a batch's messages wait for it together."""
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = [await file(writer, title=f"第{n}号诉求的标题") for n in range(3)]
        provider = Provider(delay=0.05)
        assert await sender(db, provider).send_due(DAY) == 3
        assert provider.most_in_flight == 3
        assert [(row.status, row.attempts) for row in await notices(db)] == [("sent", 1)] * 3
        for complaint in filed:
            assert [action for action, _ in await sms_history(db, complaint.id)] == ["sms_sent"]


async def test_a_claim_that_lapsed_records_nothing(kind, tmp_path):
    """A sender that stalls past its lease finds the message taken by another: its late outcome writes nothing."""
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer)
        stalled = sender(db, Provider())
        claimed = await stalled._claim(DAY)
        later = DAY + LEASE * 2
        await sender(db, Provider()).send_due(later)  # the lease lapsed: another sender takes it (try 2)
        await stalled._record([(message, await stalled._send(message, later)) for message in claimed], later)
        assert [(row.status, row.attempts) for row in await notices(db, filed.id)] == [("sent", 2)]
        assert [(action, detail["attempt"]) for action, detail in await sms_history(db, filed.id)] == [("sms_sent", 2)]


async def test_the_sender_reads_its_queue_from_the_partial_index(kind, tmp_path):
    """The due messages come in order from the index of the queue alone: the sender never sorts every row due, nor
    reads past the messages sent before (the planner is told not to scan the table, so it says whether it could)."""
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        await file(writer)
        async with db.engine.connect() as conn:
            due = due_messages(DAY, 20, conn.dialect.name).compile(dialect=conn.dialect,
                                                                    compile_kwargs={"literal_binds": True})
            if kind == "postgres":
                await conn.execute(text("SET enable_seqscan = off"))
                plan = (await conn.exec_driver_sql(f"EXPLAIN {due}")).all()
            else:
                plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {due}")).all()
        shown = "\n".join(str(row[-1]) for row in plan)
        assert "ix_intake_sms_queue" in shown and "Sort" not in shown and "TEMP B-TREE" not in shown, shown


async def test_a_claim_finds_its_messages_by_key_whatever_the_queue_holds(kind, tmp_path):
    """A morning's backlog (the night's messages, all due) and the messages sent before it: the claim's generic plan,
    the one PostgreSQL settles on after a few claims, still reads only the queue's first rows and then each claimed
    message by its key — never every message ever written."""
    if kind != "postgres":
        pytest.skip("SQLite plans each statement afresh, with its values")
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        complaint_id = (await file(writer)).id
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(
                "INSERT INTO intake_sms (complaint_id, event_id, template, params, status, attempts, next_attempt_at,"
                " created_at) SELECT $1, 'night-' || n, 'filed', '{}', CASE WHEN n % 2 = 0 THEN 'sent' ELSE 'pending'"
                " END, 0, $2, $2 FROM generate_series(1, 5000) AS n", (complaint_id, DAY))
            await conn.exec_driver_sql("ANALYZE intake_sms")
            plan = await generic_plan(conn, claim_due(DAY, SENDER_BATCH, "postgresql"))
        assert "Seq Scan" not in plan and "ix_intake_sms_queue" in plan and "intake_sms_pkey" in plan, plan


async def test_whom_to_text_is_read_by_key_however_the_tables_grew(kind, tmp_path):
    """The filers of a batch of messages, their tracking numbers and opt-outs are read by key: the generic plan of a
    prepared statement, made once the tables' statistics were gathered at 30 complaints and kept while they grew to
    3,000, reads neither all complaints nor all contacts."""
    if kind != "postgres":
        pytest.skip("SQLite plans each statement afresh, with its values")
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        for _ in range(30):
            await file(writer)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
            for table, key, others in (("intake_complaint", "id", ", 'tracking_number', 'T' || n"),
                                       ("intake_filer_contact", "complaint_id", "")):
                await conn.exec_driver_sql(
                    f"INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, to_jsonb(seed)"
                    f" || jsonb_build_object('{key}', 'x-' || n{others}))).*"
                    f" FROM (SELECT * FROM {table} LIMIT 1) AS seed, generate_series(1, 3000) AS n")
            plan = await generic_plan(conn, contacts_of([f"x-{n}" for n in range(1, SENDER_BATCH + 1)], "postgresql"))
        assert "Seq Scan on intake_complaint" not in plan and "Seq Scan on intake_filer_contact" not in plan, plan


async def test_an_outage_is_retried_with_backoff_until_the_message_goes_out_once(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer)
        provider = Provider(failing=2)
        send = sender(db, provider)
        await send.send_due(DAY)  # fails: next try a minute later
        await send.send_due(DAY + timedelta(seconds=59))
        assert provider.tries == 1
        await send.send_due(DAY + timedelta(seconds=60))  # fails: next try two minutes later
        await send.send_due(DAY + timedelta(seconds=179))
        assert provider.tries == 2
        await send.send_due(DAY + timedelta(seconds=180))
        await send.send_due(DAY + timedelta(hours=2))
        assert provider.tries == 3 and [m.template for m in provider.sent] == ["filed"]
        history = await sms_history(db, filed.id)
        assert [action for action, _ in history] == ["sms_retry", "sms_retry", "sms_sent"]
        assert history[0][1]["error"] == "isv.OUTAGE" and history[2][1]["attempt"] == 3


async def test_a_provider_that_keeps_failing_ends_in_the_dead_letter(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer)
        provider = Provider(failing=100)
        dead_before = MESSAGES.labels("filed", "dead")._value.get()
        send = sender(db, provider)
        for minutes in range(0, 24 * 60, 30):
            await send.send_due(DAY.replace(hour=8) + timedelta(minutes=minutes))
        assert provider.tries == POLICY.max_tries and provider.sent == []
        assert [action for action, _ in await sms_history(db, filed.id)] == ["sms_retry"] * 3 + ["sms_dead"]
        row = (await notices(db, filed.id))[0]
        assert (row.status, row.last_error) == ("dead", "isv.OUTAGE")
        assert MESSAGES.labels("filed", "dead")._value.get() == dead_before + 1


async def test_nothing_goes_out_at_night(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer, NIGHT)
        provider = Provider()
        morning = (NIGHT + timedelta(days=1)).replace(hour=8)
        assert (await notices(db, filed.id))[0].next_attempt_at == morning
        send = sender(db, provider)
        await send.send_due(NIGHT)
        await send.send_due(morning - timedelta(minutes=1))
        assert provider.sent == []
        await send.send_due(morning)
        assert [m.template for m in provider.sent] == ["filed"]


async def test_a_retry_due_in_the_night_waits_for_the_morning(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        filed = await file(writer, DAY.replace(hour=21, minute=59))
        await sender(db, Provider(failing=1)).send_due(DAY.replace(hour=21, minute=59))
        morning = (DAY + timedelta(days=1)).replace(hour=8)
        assert (await notices(db, filed.id))[0].next_attempt_at == morning


@pytest.mark.parametrize("together", [False, True], ids=["one_by_one", "as_a_batch"])
async def test_filers_who_opted_out_or_cannot_receive_sms_get_nothing(kind, tmp_path, together):
    async with intake_database(kind, tmp_path) as (_url, db, writer):
        opted = await file(writer)
        landline = await file(writer, hotline=True, title="路灯坏了", filer={
            "enterprise_name": "青山县禾丰食品有限公司", "credit_code": "91330000600000000X"[:-1] + "8",
            "contact_name": "周女士", "mobile": "0571-88888888"})
        anonymous = await file(writer, title="夜市噪音扰民")
        reachable = await file(writer, title="厂区门口道路坏了半年没人修")
        async with db.unit_of_work() as uow:  # opted out before the filing's message went out
            await uow.session.execute(insert(OPT_OUT), [{"complaint_id": opted.id, "at": DAY}])
            # a complaint without a contact to tell, as an anonymous one
            await uow.session.execute(delete(FilerContact.__table__).where(
                FilerContact.__table__.c.complaint_id == anonymous.id))
            await uow.commit()
        events = Events(db)
        records = [events.record(_clock_opened(c.id)) for c in (opted, landline, anonymous, reachable)]
        if together:  # one read of the four filers, one INSERT of the messages
            await events.consumer.handle_together(records)
        else:
            for record in records:
                await events.consumer.handle(record)
        provider = Provider()
        await sender(db, provider).send_due(DAY)

        assert [(m.template, m.params["tracking_number"]) for m in provider.sent] == [
            ("filed", reachable.tracking_number), ("placed", reachable.tracking_number)]
        assert await notices(db, landline.id) == []
        assert [(row.template, row.status) for row in await notices(db, opted.id)] == [("filed", "skipped")]
        assert [(row.template, row.status) for row in await notices(db, anonymous.id)] == [("filed", "skipped")]


async def test_replicas_send_each_message_once(kind, tmp_path):
    async with intake_database(kind, tmp_path) as (url, db, writer):
        filed = [await file(writer, title=f"第{n}号诉求的标题") for n in range(12)]
        other = Database(url, OUTBOX)
        provider = Provider(delay=0.01)
        try:
            await asyncio.gather(*(sender(database, provider).send_due(DAY)
                                   for database in (db, other, db, other)))
        finally:
            await other.dispose()
        assert sorted(m.params["tracking_number"] for m in provider.sent) == sorted(f.tracking_number for f in filed)
