"""Rows queued in a unit of work and its outbox events are written at commit — on PostgreSQL as one statement for all
the INSERTs (``shared.db.write_all``), and for a one-statement unit of work without any transaction block. Whatever
the statement, the rows must come back exactly as queued, a violated constraint must keep nothing of the unit, and an
UPDATE of a table inserted into in the same unit must see the row. A statement read once per set of parameters gives
their rows in order."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.intake.app import build_runtime
from services.intake.filing import INSERT_COMPLAINT, _complaint_defaults
from services.intake.models import Complaint, HistoryEntry
from services.intake.repository import INSERT_HISTORY
from shared import db as shared_db
from shared.events import SlaMetV1
from shared.settings import IntakeSettings
from tests.support import fresh_postgres

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
COMPLAINT = Complaint.__table__
#: A complaint renamed: an UPDATE, which a one-statement unit of work on PostgreSQL does not write.
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


@pytest.mark.parametrize("one_statement", [False, True], ids=["transaction", "one-statement"])
async def test_rows_and_events_come_back_as_queued(db, one_statement):
    async with db.unit_of_work(one_statement=one_statement) as uow:
        uow.write_later_all(INSERT_COMPLAINT, [complaint("c-1", also=["housing", "market"], due_at=T0),
                                               complaint("c-2", financial_service=True)])
        uow.write_later_all(INSERT_HISTORY, [history("c-1", 1), history("c-2", 2), history("c-1", 3)])
        first = uow.emit(met("c-1"), event_id="event-1")
        uow.emit(met("c-2"))
        uow.emit(met("c-1"), event_id="event-1")  # a second copy of the same event is ignored
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


@pytest.mark.parametrize("one_statement", [False, True], ids=["transaction", "one-statement"])
async def test_a_violated_constraint_keeps_nothing_of_the_unit(db, one_statement):
    async with db.unit_of_work() as uow:
        uow.write_later_all(INSERT_COMPLAINT, [complaint("c-1")])
        await uow.commit()

    with pytest.raises(IntegrityError):
        async with db.unit_of_work(one_statement=one_statement) as uow:
            uow.write_later_all(INSERT_COMPLAINT, [complaint("c-2"), complaint("c-1")])  # c-1 exists
            uow.write_later_all(INSERT_HISTORY, [history("c-2", 1)])
            uow.emit(met("c-2"))
            await uow.commit()

    async with db.unit_of_work() as uow:
        ids = (await uow.session.execute(select(Complaint.id))).scalars().all()
        lines = await uow.session.scalar(select(func.count()).select_from(HistoryEntry))
        events = await uow.session.scalar(select(func.count()).select_from(db.outbox.outbox))
    assert (ids, lines, events) == (["c-1"], 0, 0)


@pytest.mark.parametrize("one_statement", [False, True], ids=["transaction", "one-statement"])
async def test_reading_each_set_of_parameters_gives_their_rows_in_order(db, one_statement):
    async with db.unit_of_work() as uow:
        uow.write_later_all(INSERT_COMPLAINT, [complaint("c-1"), complaint("c-2", title="断水")])
        await uow.commit()
    by_id = select(COMPLAINT.c.id, COMPLAINT.c.title).where(COMPLAINT.c.id == bindparam("cid"))
    async with db.unit_of_work(one_statement=one_statement) as uow:
        rows = await uow.read_each(by_id, [{"cid": "c-2"}, {"cid": "none"}, {"cid": "c-1"}, {"cid": "c-2"}])
        assert await uow.read_each(by_id, []) == []
    assert rows == [("c-2", "断水"), ("c-1", "停电"), ("c-2", "断水")]


async def test_an_update_of_a_table_inserted_into_sees_the_inserted_row(db):
    async with db.unit_of_work() as uow:
        uow.write_later(INSERT_COMPLAINT, complaint("c-1"))
        uow.write_later(INSERT_HISTORY, history("c-1", 1))
        uow.write_later(RENAME, {"target_id": "c-1", "title": "又停电了"})
        uow.emit(met("c-1"))
        await uow.commit()

    async with db.unit_of_work() as uow:
        title = await uow.session.scalar(select(Complaint.title))
    assert title == "又停电了"


async def test_on_postgresql_the_inserts_of_a_unit_go_as_one_statement(postgres_db):
    db = postgres_db
    statements: list[str] = []
    async with db.unit_of_work() as uow:
        driver = (await (await uow.session.connection()).get_raw_connection()).driver_connection

        def log(query) -> None:
            statements.append(query.query)

        driver.add_query_logger(log)
        try:
            # Every writer reads first (duplicate candidates, processed event ids …), which begins the transaction.
            await uow.session.execute(select(func.count()).select_from(COMPLAINT))
            uow.write_later_all(INSERT_COMPLAINT, [complaint("c-1"), complaint("c-2")])
            uow.write_later_all(INSERT_HISTORY, [history("c-1", 1), history("c-2", 2)])
            uow.emit(met("c-1"))
            await uow.commit()
        finally:
            driver.remove_query_logger(log)
    # (The driver may first look up the array types once per connection.)
    writes = [sql for sql in statements if "INSERT INTO" in sql]
    assert len(writes) == 1 and writes[0].startswith("WITH")
    assert all(table in writes[0] for table in ("intake_complaint", "intake_history", "intake_outbox"))


async def test_a_one_statement_unit_reads_and_writes_with_no_begin_or_commit(postgres_db):
    db = postgres_db
    statements: list[str] = []
    await db.engine.dispose()  # the next connections are opened below, with the logger

    @event.listens_for(db.engine.sync_engine, "connect")
    def _log_queries(dbapi_connection, _record) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda query: statements.append(query.query))

    read = select(COMPLAINT.c.id, COMPLAINT.c.title).where(COMPLAINT.c.credit_code == bindparam("code"))

    async def file(cid: str, *, one_statement: bool) -> list[str]:
        """The statements a unit of work filing ``cid`` sends, but the driver's own look-ups of types."""
        statements.clear()
        async with db.unit_of_work(one_statement=one_statement) as uow:
            found = await uow.read(read, {"code": "91350100M000100Y43"})
            uow.write_later_all(INSERT_COMPLAINT, [complaint(cid)])
            uow.write_later_all(INSERT_HISTORY, [history(cid, 1)])
            uow.emit(met(cid))
            await uow.commit()
        await asyncio.sleep(0.05)  # the driver calls its query loggers soon after each query
        assert found == [(f"c-{n}", "停电") for n in range(1, int(cid[2:]))]
        return [sql.split()[0] for sql in statements if "pg_type" not in sql and "'jit'" not in sql]

    # (The session's own statements reach the logger only when the driver runs them as text: BEGIN, COMMIT.)
    assert await file("c-1", one_statement=False) == ["BEGIN;", "WITH", "COMMIT;"]
    assert await file("c-2", one_statement=True) == ["SELECT", "WITH"]
    assert await file("c-3", one_statement=True) == ["SELECT", "WITH"]


async def test_a_one_statement_unit_refuses_anything_but_new_rows_and_writes_nothing(postgres_db):
    """Only PostgreSQL runs a one-statement unit as one statement; elsewhere it is an ordinary unit of work (next
    test), which refuses nothing."""
    db = postgres_db
    async with db.unit_of_work() as uow:
        uow.write_later(INSERT_COMPLAINT, complaint("c-1"))
        await uow.commit()
    with pytest.raises(ValueError):
        async with db.unit_of_work(one_statement=True) as uow:
            uow.write_later(INSERT_HISTORY, history("c-1", 1))
            uow.write_later(RENAME, {"target_id": "c-1", "title": "又停电了"})
            uow.emit(met("c-1"))
            await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.session.scalar(select(Complaint.title)) == "停电"
        assert await uow.session.scalar(select(func.count()).select_from(HistoryEntry)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(db.outbox.outbox)) == 0


async def test_on_sqlite_a_one_statement_unit_is_an_ordinary_one(tmp_path):
    db = await _ready(f"sqlite+aiosqlite:///{tmp_path}/intake.db")
    try:
        async with db.unit_of_work(one_statement=True) as uow:
            uow.write_later(INSERT_COMPLAINT, complaint("c-1"))
            uow.write_later(INSERT_HISTORY, history("c-1", 1))
            uow.write_later(RENAME, {"target_id": "c-1", "title": "又停电了"})
            uow.emit(met("c-1"))
            await uow.commit()
        async with db.unit_of_work() as uow:
            assert await uow.session.scalar(select(Complaint.title)) == "又停电了"
            assert await uow.session.scalar(select(func.count()).select_from(HistoryEntry)) == 1
            assert await uow.session.scalar(select(func.count()).select_from(db.outbox.outbox)) == 1
    finally:
        await db.dispose()
