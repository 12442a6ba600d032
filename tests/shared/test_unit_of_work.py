"""Rows queued in a unit of work (``UnitOfWork.write``) and its outbox events are written at commit, each statement
once for all its rows, statements in the order of their first use. The rows must come back exactly as queued (as they
are at the commit), a violated constraint must keep nothing of the unit, and an UPDATE of a table inserted into in the
same unit must see the row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.exc import IntegrityError

from services.intake.app import build_runtime
from services.intake.filing import _complaint_defaults
from services.intake.models import Complaint, HistoryEntry
from services.intake.store import INSERT_COMPLAINT, INSERT_HISTORY
from shared.events import SlaMetV1
from shared.settings import IntakeSettings
from tests.support import fresh_postgres

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
COMPLAINT = Complaint.__table__
#: A complaint renamed.
RENAME = update(COMPLAINT).where(COMPLAINT.c.id == bindparam("target_id")).values(title=bindparam("title"))


async def _ready(url: str):
    built = build_runtime(IntakeSettings(database_url=url), None)  # type: ignore[arg-type] - no bus needed
    await built.migrate()
    return built.db


@pytest.fixture
async def postgres_db():
    async with fresh_postgres() as url:
        database = await _ready(url)
        yield database
        await database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    if request.param == "postgres":
        async with fresh_postgres() as url:
            database = await _ready(url)
            yield database
            await database.dispose()
        return
    database = await _ready(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    yield database
    await database.dispose()


def complaint(cid: str, **values) -> dict:
    row = {k: (v() if callable(v) else v) for k, v in _complaint_defaults().items()}
    row.update(id=cid, tracking_number=f"T-{cid}", idempotency_digest=None, request_hash=None, title="停电",
               text="工业园区一周停电四次", channel="api", enterprise_name="青山县某陶瓷厂",
               credit_code="91350100M000100Y43", township=None, address=None, status="received", received_at=T0,
               updated_at=T0, version=1, filed_by=None, original_id=None, due_at=None)
    row.update(values)
    return row


def history(cid: str, n: int) -> dict:
    return {"complaint_id": cid, "at": T0 + timedelta(seconds=n), "actor": "intake", "action": "received",
            "detail": {"n": n, "说明": "受理"}}


def met(cid: str) -> SlaMetV1:
    return SlaMetV1(complaint_id=cid, milestone="resolution", department="power", policy="standard",
                    due_at=T0 + timedelta(days=10),
                    done_at=T0 + timedelta(days=2))


async def test_rows_and_events_come_back_as_queued(db):
    async with db.unit_of_work() as uow:
        uow.write(INSERT_COMPLAINT, [complaint("c-1", also=["housing", "market"], due_at=T0),
                                     complaint("c-2", financial_service=True)])
        uow.write(INSERT_HISTORY, [history("c-1", 1), history("c-2", 2)])
        uow.write(INSERT_HISTORY, history("c-1", 3))
        first = uow.outbox.add(met("c-1"), event_id="event-1")
        uow.outbox.add(met("c-2"))
        uow.outbox.add(met("c-1"), event_id="event-1")  # a second copy of the same event is ignored
        await uow.commit()

    async with db.unit_of_work() as uow:
        complaints = {c.id: c for c in (await uow.session.execute(select(Complaint))).scalars()}
        lines = (await uow.session.execute(select(HistoryEntry).order_by(HistoryEntry.id))).scalars().all()
        outbox = (await uow.session.execute(select(db.outbox.outbox).order_by(db.outbox.outbox.c.seq))).all()
    assert complaints["c-1"].also == ["housing", "market"] and complaints["c-1"].due_at == T0
    assert complaints["c-2"].financial_service is True and complaints["c-2"].also == []
    assert complaints["c-2"].township is None and complaints["c-2"].received_at == T0
    assert [(h.complaint_id, h.at, h.detail) for h in lines] == [
        ("c-1", T0 + timedelta(seconds=1), {"n": 1, "说明": "受理"}),
        ("c-2", T0 + timedelta(seconds=2), {"n": 2, "说明": "受理"}),
        ("c-1", T0 + timedelta(seconds=3), {"n": 3, "说明": "受理"}),
    ]
    assert [row.key for row in outbox] == ["c-1", "c-2"]
    assert outbox[0].event_id == "event-1" and outbox[0].payload == first.to_bytes()
    assert all(row.published_at is None for row in outbox)


async def test_a_violated_constraint_keeps_nothing_of_the_unit(db):
    async with db.unit_of_work() as uow:
        uow.write(INSERT_COMPLAINT, [complaint("c-1")])
        await uow.commit()

    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as uow:
            uow.write(INSERT_COMPLAINT, [complaint("c-2"), complaint("c-1")])  # c-1 exists
            uow.write(INSERT_HISTORY, [history("c-2", 1)])
            uow.outbox.add(met("c-2"))
            await uow.commit()

    async with db.unit_of_work() as uow:
        ids = (await uow.session.execute(select(Complaint.id))).scalars().all()
        lines = await uow.session.scalar(select(func.count()).select_from(HistoryEntry))
        events = await uow.session.scalar(select(func.count()).select_from(db.outbox.outbox))
    assert (ids, lines, events) == (["c-1"], 0, 0)


async def test_nothing_is_written_before_the_commit_nor_without_it(db):
    async with db.unit_of_work() as uow:
        uow.write(INSERT_COMPLAINT, complaint("c-1"))
        uow.outbox.add(met("c-1"))
        assert await uow.session.scalar(select(func.count()).select_from(COMPLAINT)) == 0
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(COMPLAINT)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(db.outbox.outbox)) == 0


async def test_an_update_of_a_table_inserted_into_sees_the_inserted_row(db):
    async with db.unit_of_work() as uow:
        uow.write(INSERT_COMPLAINT, complaint("c-1"))
        uow.write(INSERT_HISTORY, history("c-1", 1))
        uow.write(RENAME, {"target_id": "c-1", "title": "又停电了"})
        uow.outbox.add(met("c-1"))
        await uow.commit()

    async with db.unit_of_work() as uow:
        title = await uow.session.scalar(select(Complaint.title))
    assert title == "又停电了"


async def test_each_statement_runs_once_for_all_its_rows_in_the_order_of_its_first_use(db):
    executed: list[tuple[str, str, int]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _log(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if statement.startswith(("INSERT", "UPDATE")):
            words = statement.split()
            executed.append((words[0], words[2] if words[0] == "INSERT" else words[1],
                             len(parameters) if executemany else 1))

    try:
        async with db.unit_of_work() as uow:
            uow.write(INSERT_COMPLAINT, complaint("c-1"))
            uow.write(RENAME, {"target_id": "c-1", "title": "又停电了"})
            uow.write(INSERT_COMPLAINT, complaint("c-2"))
            uow.write(INSERT_HISTORY, [history("c-1", 1), history("c-2", 2)])
            uow.write(RENAME, {"target_id": "c-2", "title": "断水"})
            await uow.commit()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", _log)
    assert executed == [("INSERT", "intake_complaint", 2), ("UPDATE", "intake_complaint", 2),
                        ("INSERT", "intake_history", 2)]
    async with db.unit_of_work() as uow:
        titles = dict((await uow.session.execute(select(Complaint.id, Complaint.title))).all())
    assert titles == {"c-1": "又停电了", "c-2": "断水"}


async def test_a_row_is_written_as_it_is_at_the_commit(db):
    async with db.unit_of_work() as uow:
        row = complaint("c-1")
        uow.write(INSERT_COMPLAINT, row)
        row["title"] = "又停电了"
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(Complaint.title)) == "又停电了"


async def test_reading_gives_the_rows_of_the_query(db):
    async with db.unit_of_work() as uow:
        uow.write(INSERT_COMPLAINT, [complaint("c-1"), complaint("c-2", title="断水")])
        await uow.commit()
    by_id = select(COMPLAINT.c.id, COMPLAINT.c.title).where(COMPLAINT.c.id == bindparam("cid"))
    async with db.unit_of_work() as uow:
        assert [tuple(r) for r in await uow.read(by_id, {"cid": "c-2"})] == [("c-2", "断水")]
        assert await uow.read(by_id, {"cid": "none"}) == []
