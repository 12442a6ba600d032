"""Each service's migrations build exactly the tables its models describe (columns, types, indexes — partial ones
included), on SQLite and PostgreSQL; and intake's latest revisions downgrade and upgrade again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from services.intake.app import MIGRATIONS as INTAKE
from services.router.app import MIGRATIONS as ROUTER
from services.sla.app import MIGRATIONS as SLA
from shared import migrations
from shared.engine import create_engine
from tests.support import fresh_postgres

SERVICES = {"intake": INTAKE, "router": ROUTER, "sla": SLA}


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request, tmp_path):
    if request.param == "sqlite":
        created = create_engine(f"sqlite+aiosqlite:///{tmp_path}/migrations.db")
        yield created
        await created.dispose()
    else:
        async with fresh_postgres() as url:
            created = create_engine(url)
            yield created
            await created.dispose()


def _differences(sync_connection, service: str) -> list:
    def own(obj, name, type_, reflected, compare_to) -> bool:
        return type_ != "table" or bool(name and name.startswith(f"{service}_") and name != f"{service}_alembic_version")

    context = MigrationContext.configure(sync_connection, opts={"include_object": own, "compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_build_what_the_models_describe(engine, service):
    await migrations.upgrade(engine, SERVICES[service], f"{service}_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, service) == []


def _indexes(sync_connection) -> set[str]:
    return {index["name"] for index in inspect(sync_connection).get_indexes("intake_complaint")}


async def _intake_downgraded(engine, revision: str) -> None:
    """Intake's tables migrated to the newest revision, then down to ``revision``."""
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    config = migrations.alembic_config(Path(INTAKE), engine.url.render_as_string(hide_password=False),
                                       "intake_alembic_version")

    def down(sync_connection) -> None:
        config.attributes["connection"] = sync_connection
        command.downgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(down)


async def test_intake_filer_index_revision_downgrades_and_upgrades(engine):
    await _intake_downgraded(engine, "0002")
    async with engine.connect() as conn:
        before = await conn.run_sync(_indexes)
    assert {"ix_intake_complaint_credit_code", "ix_intake_complaint_original_id"} <= before
    assert "ix_intake_complaint_filer" not in before

    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        after = await conn.run_sync(_indexes)
        assert await conn.run_sync(_differences, "intake") == []
    assert {"ix_intake_complaint_filer", "ix_intake_complaint_original_id"} <= after
    assert "ix_intake_complaint_credit_code" not in after


async def test_intake_filing_bucket_revision_downgrades_and_upgrades(engine):
    await _intake_downgraded(engine, "0003")
    async with engine.connect() as conn:
        assert "intake_filing_bucket" not in await conn.run_sync(lambda c: inspect(c).get_table_names())
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert "intake_filing_bucket" in await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert await conn.run_sync(_differences, "intake") == []
        if engine.dialect.name == "postgresql":  # unlogged: a take's commit waits for no WAL flush
            persistence = "SELECT relpersistence::text FROM pg_class WHERE relname = 'intake_filing_bucket'"
            assert await conn.scalar(text(persistence)) == "u"


def _to(config, revision: str, *, down: bool = False):
    def run(sync_connection) -> None:
        config.attributes["connection"] = sync_connection
        (command.downgrade if down else command.upgrade)(config, revision)

    return run


def _columns(sync_connection) -> set[str]:
    return {column["name"] for column in inspect(sync_connection).get_columns("intake_complaint")}


async def test_intake_idempotency_revision_keeps_the_rows_and_releases_keys_of_no_client(engine):
    """0005 renames the key column (no table rebuild, which would trip over the rows referencing a complaint) and
    releases the keys stored before, which name no client."""
    config = migrations.alembic_config(Path(INTAKE), engine.url.render_as_string(hide_password=False),
                                       "intake_alembic_version")
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0003"))
        await conn.execute(text(
            "INSERT INTO intake_complaint (id, tracking_number, idempotency_key, request_hash, title, text, channel,"
            " enterprise_name, credit_code, status, also, overdue, received_at, updated_at, version)"
            " VALUES ('c-1', 'T-1', 'old-key', 'hash', '停电', '停电四次', 'api', '某厂', '91350100M000100Y43',"
            " 'received', '[]', FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))
        await conn.execute(text("INSERT INTO intake_filer_contact VALUES ('c-1', '王先生', '+8613812345678')"))
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, "intake") == []
        row = (await conn.execute(text("SELECT id, idempotency_digest, request_hash FROM intake_complaint"))).one()
        assert tuple(row) == ("c-1", None, None)
        assert await conn.scalar(text("SELECT count(*) FROM intake_filer_contact")) == 1
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0004", down=True))
    async with engine.connect() as conn:
        assert {"idempotency_key", "request_hash"} <= await conn.run_sync(_columns)
        assert await conn.scalar(text("SELECT count(*) FROM intake_complaint")) == 1


async def test_intake_partner_keys_revision_downgrades_and_upgrades(engine):
    """0006 adds the partners' hashed Open311 keys and the service code a complaint was filed as; down to 0005 drops
    both without touching the complaints."""
    config = migrations.alembic_config(Path(INTAKE), engine.url.render_as_string(hide_password=False),
                                       "intake_alembic_version")
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert "intake_partner_key" in await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "service_code" in await conn.run_sync(_columns)
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0005", down=True))
    async with engine.connect() as conn:
        assert "intake_partner_key" not in await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "service_code" not in await conn.run_sync(_columns)
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, "intake") == []


async def test_intake_reply_templates_and_access_codes_revision_downgrades_and_upgrades(engine):
    """0009 adds the reply templates, the access code's column (empty for the complaints filed before: they have no
    code) and the operators' index; down to 0008 drops them without touching the complaints."""
    config = migrations.alembic_config(Path(INTAKE), engine.url.render_as_string(hide_password=False),
                                       "intake_alembic_version")
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0008"))
        await conn.execute(text(
            "INSERT INTO intake_complaint (id, tracking_number, title, text, channel, enterprise_name, credit_code,"
            " status, also, overdue, received_at, updated_at, version, reopen_count)"
            " VALUES ('c-1', 'T-1', '停电', '停电四次', 'api', '某厂', '91350100M000100Y43', 'received', '[]', FALSE,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 0)"))
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, "intake") == []
        assert await conn.scalar(text("SELECT access_code_digest FROM intake_complaint")) is None
        assert "ix_intake_complaint_filed_by" in await conn.run_sync(_indexes)
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0008", down=True))
    async with engine.connect() as conn:
        assert "intake_reply_template" not in await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "access_code_digest" not in await conn.run_sync(_columns)
        assert "ix_intake_complaint_filed_by" not in await conn.run_sync(_indexes)
        assert await conn.scalar(text("SELECT count(*) FROM intake_complaint")) == 1
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, "intake") == []


@pytest.mark.postgres
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_processes_starting_together_migrate_one_at_a_time(service):
    """A service's processes that start together (replicas; intake and its notifier) each migrate at start: on a
    fresh PostgreSQL database each must end at head, not fail on the tables the other is creating."""
    async with fresh_postgres() as url:
        engines = [create_engine(url) for _ in range(3)]
        try:
            # Without taking turns they wait on each other's uncommitted tables: bounded, so that fails, not hangs.
            await asyncio.wait_for(asyncio.gather(
                *(migrations.upgrade(e, SERVICES[service], f"{service}_alembic_version") for e in engines)), 30)
            async with engines[0].connect() as conn:
                assert await conn.run_sync(_differences, service) == []
        finally:
            for e in engines:
                await e.dispose()
