"""Revision 0007 on existing rows (SQLite and PostgreSQL): a complaint the township department leads that was placed
with no township takes the one it was filed under; the others keep theirs; the search's index comes and goes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from services.intake.app import MIGRATIONS as INTAKE
from shared import migrations
from tests.shared.test_migrations import _differences, engine  # noqa: F401 - the fixture: SQLite and PostgreSQL

ROWS = {  # id: (department, filed township, placed township) → placed township after the revision
    "t-unplaced": (("township", "白沙镇", None), "白沙镇"),
    "t-placed": (("township", "白沙镇", "石桥镇"), "石桥镇"),
    "t-nowhere": (("township", None, None), None),
    "p-filed": (("power", "白沙镇", None), None),
}


def _to(config, revision: str, down: bool = False):
    def run(sync_connection) -> None:
        config.attributes["connection"] = sync_connection
        (command.downgrade if down else command.upgrade)(config, revision)

    return run


async def test_township_led_rows_take_their_filed_township(engine):  # noqa: F811
    config = migrations.alembic_config(Path(INTAKE), engine.url.render_as_string(hide_password=False),
                                       "intake_alembic_version")
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0006"))
        for n, (cid, ((department, filed, placed), _)) in enumerate(ROWS.items()):
            await conn.execute(text(
                "INSERT INTO intake_complaint (id, tracking_number, title, text, channel, enterprise_name,"
                " credit_code, township, status, department, also, assigned_township, overdue, received_at,"
                " updated_at, version) VALUES (:id, :tn, '乱检查', '一月五次', 'api', '某厂', '91350100M000100Y43',"
                " :filed, 'routed', :department, '[]', :placed, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
                {"id": cid, "tn": f"T-{n}", "filed": filed, "department": department, "placed": placed})
    await migrations.upgrade(engine, INTAKE, "intake_alembic_version")
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences, "intake") == []
        placed = dict((await conn.execute(text("SELECT id, assigned_township FROM intake_complaint"))).all())
        assert placed == {cid: expected for cid, (_, expected) in ROWS.items()}
        indexes = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("intake_complaint")})
        assert "ix_intake_complaint_received" in indexes
    async with engine.begin() as conn:
        await conn.run_sync(_to(config, "0006", down=True))
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("intake_complaint")})
        assert "ix_intake_complaint_received" not in indexes
