"""The SLA service's clocks on a real database (SQLite and PostgreSQL): opening on routing, stopping with met/missed
(exactly at the deadline is on time), restarting on reopening, re-routing, difficult marking, extensions, and the
timer firing each step exactly once — also with two sweeps racing on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.sla.app import MIGRATIONS
from services.sla.domain.policies import DEFAULT_POLICIES_PATH, load_policies
from services.sla.models import OUTBOX, SCOPE_COMPLAINT, SCOPE_DEPARTMENT, AuditEntry, Clock, FiredStep
from services.sla.handlers import DeadlineRules, SlaHandlers, sweep
from shared import migrations
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.db import Database
from shared.events import (
    ComplaintAnsweredV1,
    ComplaintReopenedV1,
    ComplaintRoutedV1,
    Envelope,
)
from tests.support import fresh_postgres

RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # a Monday
STANDARD_DUE = datetime(2026, 12, 4, 0, 0, tzinfo=SHANGHAI)  # 10 days: last day Thu 3 Dec, ends at 24:00


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/sla.db", OUTBOX)
        await migrations.upgrade(database.engine, MIGRATIONS, "sla_alembic_version")
        yield database
        await database.dispose()
    else:
        async with fresh_postgres() as url:
            database = Database(url, OUTBOX)
            await migrations.upgrade(database.engine, MIGRATIONS, "sla_alembic_version")
            yield database
            await database.dispose()


@pytest.fixture
def handlers() -> SlaHandlers:
    return SlaHandlers(DeadlineRules(load_policies(), WorkingCalendar(), "default"))


def routed(complaint_id: str, *, department="power", attempt=0, sla_policy="standard", at=RECEIVED) -> ComplaintRoutedV1:
    return ComplaintRoutedV1(
        complaint_id=complaint_id, department=department, score=0.9, confidence=0.9,
        financial_service=sla_policy == "financial_service", sla_policy=sla_policy, received_at=RECEIVED,
        routed_at=at, attempt=attempt,
    )


def lifecycle(cls, complaint_id: str, at: datetime, **extra):
    return cls(complaint_id=complaint_id, actor="handler:power:张三", department="power", status="x", version=2,
               at=at, **extra)


async def apply(db: Database, handler, event) -> None:
    envelope: Envelope = event.envelope()
    async with db.unit_of_work() as uow:
        await handler(event, envelope, uow)
        await uow.commit()


async def clocks_of(db: Database, complaint_id: str) -> list[Clock]:
    async with db.unit_of_work() as uow:
        return list((await uow.session.scalars(
            select(Clock).where(Clock.complaint_id == complaint_id).order_by(Clock.id))).all())


async def outbox_types(db: Database, complaint_id: str) -> list[str]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(OUTBOX.outbox.c.payload).where(OUTBOX.outbox.c.key == complaint_id)
                                   .order_by(OUTBOX.outbox.c.seq))).scalars().all()
    return [Envelope.from_bytes(r).type.rsplit(".", 2)[-2] for r in rows]


async def test_routing_opens_the_complaint_and_department_clocks(db, handlers):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    clocks = await clocks_of(db, cid)
    assert [(c.scope, c.milestone, c.due_at) for c in clocks] == [
        (SCOPE_COMPLAINT, "resolution", STANDARD_DUE), (SCOPE_DEPARTMENT, "resolution", STANDARD_DUE),
    ]
    assert clocks[0].next_fire_at is not None and clocks[1].next_fire_at is None
    assert await outbox_types(db, cid) == ["clock_opened"]


@pytest.mark.parametrize(("answered_at", "expected"), [
    (STANDARD_DUE, "met"),  # exactly at the deadline (24:00 of the last day) is on time
    (STANDARD_DUE + timedelta(minutes=1), "missed"),
    (STANDARD_DUE - timedelta(days=3), "met"),
])
async def test_answer_stops_the_clocks_with_met_or_missed(db, handlers, answered_at, expected):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    await apply(db, handlers.on_answered, lifecycle(ComplaintAnsweredV1, cid, answered_at))
    clocks = await clocks_of(db, cid)
    assert {(c.scope, c.status, c.outcome) for c in clocks} == {
        (SCOPE_COMPLAINT, "stopped", expected), (SCOPE_DEPARTMENT, "stopped", expected)}
    assert await outbox_types(db, cid) == ["clock_opened", expected]


async def test_reopening_restarts_the_clock_with_a_full_period(db, handlers):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    await apply(db, handlers.on_answered, lifecycle(ComplaintAnsweredV1, cid, RECEIVED + timedelta(days=2)))
    reopened_at = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    await apply(db, handlers.on_reopened, lifecycle(ComplaintReopenedV1, cid, reopened_at, reason="答复未解决问题"))
    complaint_clock = (await clocks_of(db, cid))[0]
    assert complaint_clock.status == "open" and complaint_clock.revision == 1
    assert complaint_clock.started_at == reopened_at
    assert complaint_clock.due_at == datetime(2026, 12, 11, 0, 0, tzinfo=SHANGHAI)
    assert await outbox_types(db, cid) == ["clock_opened", "met", "deadline_changed"]


async def test_rerouting_keeps_the_complaint_clock_and_starts_a_department_clock(db, handlers):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    moved_at = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)
    await apply(db, handlers.on_routed, routed(cid, department="housing", attempt=1, at=moved_at))
    clocks = await clocks_of(db, cid)
    by_key = {(c.scope, c.attempt): c for c in clocks}
    assert by_key[(SCOPE_COMPLAINT, 0)].due_at == STANDARD_DUE
    assert by_key[(SCOPE_COMPLAINT, 0)].department == "housing"
    assert (by_key[(SCOPE_DEPARTMENT, 0)].status, by_key[(SCOPE_DEPARTMENT, 0)].outcome) == ("stopped", "moved")
    new = by_key[(SCOPE_DEPARTMENT, 1)]
    assert (new.department, new.started_at, new.status) == ("housing", moved_at, "open")
    # 10 days from 25 Nov end on Saturday 5 Dec, a rest day: the period ends with the next working day, Mon 7 Dec.
    assert new.due_at == datetime(2026, 12, 8, 0, 0, tzinfo=SHANGHAI)


async def test_difficult_switches_to_the_difficult_limit_and_is_audited(db):
    handlers = SlaHandlers(DeadlineRules(load_policies(), WorkingCalendar(), "guizhou"))
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    now = RECEIVED + timedelta(days=1)
    async with db.unit_of_work() as uow:
        await handlers.mark_difficult(uow, cid, reason="涉及多个部门历史遗留问题", actor="supervisor:王督办", now=now)
        await uow.commit()
    resolution = next(c for c in await clocks_of(db, cid) if c.milestone == "resolution" and c.scope == "complaint")
    assert resolution.difficult and resolution.revision == 1
    assert resolution.due_at == datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI)  # 15 days, last day 8 Dec (Tue)
    async with db.engine.connect() as conn:
        audit = (await conn.execute(select(AuditEntry.__table__).where(AuditEntry.__table__.c.complaint_id == cid)))
        actions = [(r.actor, r.action, r.detail["reason"]) for r in audit]
    assert ("supervisor:王督办", "marked_difficult", "涉及多个部门历史遗留问题") in actions


async def test_extension_moves_the_deadline_and_replans_the_steps(db, handlers):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    now = datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)
    async with db.unit_of_work() as uow:
        await handlers.extend(uow, cid, days=5, reason="需现场勘验", actor="supervisor:王督办", now=now)
        await uow.commit()
    clock = (await clocks_of(db, cid))[0]
    assert clock.due_at == datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI) and clock.extended_days == 5
    assert clock.next_fire_at > now
    assert await outbox_types(db, cid) == ["clock_opened", "deadline_changed"]


async def fired_types(db, cid) -> list[str]:
    return [t for t in await outbox_types(db, cid) if t in {"warning", "breached", "escalated"}]


async def test_timer_fires_each_step_once_and_catches_up(db, handlers):
    cid = str(uuid.uuid4())
    await apply(db, handlers.on_routed, routed(cid))
    clocks = handlers.clocks
    # down for the whole period: on return it fires everything that came due meanwhile, once
    after_breach = STANDARD_DUE + timedelta(hours=1)
    await sweep(db, clocks, after_breach, 100)
    assert await fired_types(db, cid) == ["warning", "warning", "breached", "escalated"]
    await sweep(db, clocks, after_breach, 100)
    assert await fired_types(db, cid) == ["warning", "warning", "breached", "escalated"]
    # the next working day the 督办 escalates again, "until it is done"
    await sweep(db, clocks, datetime(2026, 12, 7, 0, 1, tzinfo=SHANGHAI), 100)
    assert await fired_types(db, cid) == ["warning", "warning", "breached", "escalated", "escalated"]


async def test_timer_reads_only_due_clocks(db, handlers):
    for _ in range(5):
        await apply(db, handlers.on_routed, routed(str(uuid.uuid4())))
    result = await sweep(db, handlers.clocks, RECEIVED + timedelta(hours=1), 100)
    assert (result.clocks, result.fired) == (0, 0)


async def test_two_sweeps_racing_fire_each_step_once(tmp_path, handlers):
    async with fresh_postgres() as url:
        first, second = Database(url, OUTBOX), Database(url, OUTBOX)
        await migrations.upgrade(first.engine, MIGRATIONS, "sla_alembic_version")
        ids = [str(uuid.uuid4()) for _ in range(30)]
        for cid in ids:
            await apply(first, handlers.on_routed, routed(cid))
        at = STANDARD_DUE + timedelta(hours=1)
        await asyncio.gather(*[sweep(db, handlers.clocks, at, 7) for db in (first, second) for _ in range(6)])
        await asyncio.gather(sweep(first, handlers.clocks, at, 100), sweep(second, handlers.clocks, at, 100))
        async with first.engine.connect() as conn:
            breaches = await conn.scalar(select(func.count()).select_from(FiredStep.__table__).where(
                FiredStep.__table__.c.kind == "breached"))
        assert breaches == len(ids)
        for cid in ids:
            assert await fired_types(first, cid) == ["warning", "warning", "breached", "escalated"]
        await first.dispose()
        await second.dispose()



async def test_one_batch_routing_answering_and_rerouting_a_complaint_ends_as_one_by_one(db, handlers):
    """A consumer batch (one transaction, clocks prefetched, new clocks written at commit) that routes a complaint,
    answers it and routes another complaint twice leaves what applying the events one by one leaves."""
    together, alone, other = (str(uuid.uuid4()) for _ in range(3))
    answered_at = RECEIVED + timedelta(days=2)
    moved_at = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)

    def events(cid: str, second: str):
        return [(handlers.on_routed, routed(cid)),
                (handlers.on_answered, lifecycle(ComplaintAnsweredV1, cid, answered_at)),
                (handlers.on_routed, routed(second)),
                (handlers.on_routed, routed(second, department="housing", attempt=1, at=moved_at))]

    batch = [(handler, event, event.envelope()) for handler, event in events(together, other)]
    async with db.unit_of_work() as uow:
        await handlers.prefetch(uow, [(envelope, event) for _h, event, envelope in batch])
        for handler, event, envelope in batch:
            await handler(event, envelope, uow)
        await uow.commit()
    reference = str(uuid.uuid4())
    for handler, event in events(alone, reference):
        await apply(db, handler, event)

    def shape(clocks):
        return [(c.scope, c.milestone, c.attempt, c.department, c.status, c.outcome, c.due_at) for c in clocks]

    assert shape(await clocks_of(db, together)) == shape(await clocks_of(db, alone))
    assert shape(await clocks_of(db, other)) == shape(await clocks_of(db, reference))
    assert await outbox_types(db, together) == await outbox_types(db, alone) == ["clock_opened", "met"]


async def test_an_answer_and_its_reopening_in_one_batch_end_as_one_by_one(db, handlers):
    """The reopening restarts the clocks the answer stopped earlier in the same batch (stopped in the batch, not yet
    written): it must find them stopped, as it would one event at a time."""
    together, alone = str(uuid.uuid4()), str(uuid.uuid4())
    answered_at = RECEIVED + timedelta(days=2)
    reopened_at = RECEIVED + timedelta(days=3)

    def events(cid: str):
        return [(handlers.on_answered, lifecycle(ComplaintAnsweredV1, cid, answered_at)),
                (handlers.on_reopened, lifecycle(ComplaintReopenedV1, cid, reopened_at, reason="答复未解决问题"))]

    for cid in (together, alone):
        await apply(db, handlers.on_routed, routed(cid))
    batch = [(handler, event, event.envelope()) for handler, event in events(together)]
    async with db.unit_of_work() as uow:
        await handlers.prefetch(uow, [(envelope, event) for _h, event, envelope in batch])
        for handler, event, envelope in batch:
            await handler(event, envelope, uow)
        await uow.commit()
    for handler, event in events(alone):
        await apply(db, handler, event)

    def shape(clocks):
        return [(c.scope, c.milestone, c.status, c.outcome, c.started_at, c.due_at, c.revision) for c in clocks]

    assert shape(await clocks_of(db, together)) == shape(await clocks_of(db, alone))
    restarted = [c for c in await clocks_of(db, together) if c.status == "open" and c.revision == 1]
    assert restarted and all(c.started_at == reopened_at for c in restarted)
    assert await outbox_types(db, together) == await outbox_types(db, alone)
    assert (await outbox_types(db, together)).count("deadline_changed") >= 1


@pytest.fixture
def statutory_only(tmp_path) -> SlaHandlers:
    """The shipped policies with the rule that only a statutory holiday block moves a period's last day."""
    shipped = json.loads(DEFAULT_POLICIES_PATH.read_text(encoding="utf-8"))
    shipped["rest_day_rule"] = "statutory_only"
    path = tmp_path / "policies.json"
    path.write_text(json.dumps(shipped, ensure_ascii=False), encoding="utf-8")
    return SlaHandlers(DeadlineRules(load_policies(path), WorkingCalendar(), "default"))


async def test_every_deadline_of_a_clock_follows_its_policys_rest_day_rule(db, statutory_only):
    """Opening, re-routing, reopening and extending all count a period the policy's way: here a last day on a plain
    Saturday stays (the default rule would move it to Monday)."""
    cid = str(uuid.uuid4())
    handlers = statutory_only
    await apply(db, handlers.on_routed, routed(cid))
    wednesday = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # + 10 days: Saturday 5 December
    saturday_end = datetime(2026, 12, 6, 0, 0, tzinfo=SHANGHAI)
    await apply(db, handlers.on_routed, routed(cid, department="housing", attempt=1, at=wednesday))
    department_clock = next(c for c in await clocks_of(db, cid) if (c.scope, c.attempt) == (SCOPE_DEPARTMENT, 1))
    assert department_clock.due_at == saturday_end
    await apply(db, handlers.on_answered, lifecycle(ComplaintAnsweredV1, cid, RECEIVED + timedelta(days=1)))
    await apply(db, handlers.on_reopened, lifecycle(ComplaintReopenedV1, cid, wednesday, reason="答复未解决问题"))
    reopened = next(c for c in await clocks_of(db, cid) if c.scope == SCOPE_COMPLAINT)
    assert reopened.due_at == saturday_end
    async with db.unit_of_work() as uow:  # 延期 by 7 days from Saturday 5 Dec: Saturday 12 Dec stays too
        await handlers.extend(uow, cid, days=7, reason="需现场核查", actor="supervisor:王督办", now=wednesday)
        await uow.commit()
    extended = next(c for c in await clocks_of(db, cid) if c.scope == SCOPE_COMPLAINT)
    assert extended.due_at == datetime(2026, 12, 13, 0, 0, tzinfo=SHANGHAI)
