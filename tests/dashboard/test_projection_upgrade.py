"""A projection kept before revision 0003 is brought up to it from its timelines: the routing counts and the latest
decision, the departments of the last answer and of each rating, and a status left at ``rerouting`` although the
router has decided since — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from services.sla.app import MIGRATIONS
from services.sla.dashboard.projection import ReportComplaint
from shared import migrations
from tests.dashboard.helpers import sh
from tests.shared.test_migrations import engine  # noqa: F401 - the fixture: SQLite and PostgreSQL

VERSIONS = "sla_alembic_version"

#: complaint → (status, department, routed, returned, answered, first rating, latest rating), as revision 0002 kept it.
ROWS = {
    # returned by power, re-routed to township: left at rerouting
    "R": ("rerouting", "township", 2, 1, False, None, None),
    # returned by power, sent to the dispatcher: left at rerouting
    "T": ("rerouting", "power", 1, 1, False, None, None),
    # sent to the dispatcher, dispatched to market: left at rerouting
    "D": ("rerouting", "market", 1, 0, False, None, None),
    # returned by power and still waiting for the router
    "W": ("rerouting", "power", 1, 1, False, None, None),
    # power's answer rated 不满意, returned, township's answer rated 满意
    "A": ("closed", "township", 2, 1, True, "dissatisfied", "satisfied"),
}
#: complaint → its timeline: (minute, kind, department).
TIMELINES = {
    "R": [(1, "routed", "power"), (5, "returned", "power"), (5, "routed", "township")],
    "T": [(1, "routed", "power"), (5, "returned", "power"), (6, "triage_required", None)],
    "D": [(1, "triage_required", None), (5, "dispatched", "market"), (5, "routed", "market")],
    "W": [(1, "routed", "power"), (5, "returned", "power")],
    "A": [(1, "routed", "power"), (2, "answered", "power"), (3, "rated", "power"), (3, "reopened", "power"),
          (5, "returned", "power"), (5, "routed", "township"), (8, "answered", "township"),
          (9, "rated", "township"), (9, "closed", "township")],
}


def at(minute: int):
    return sh(f"2026-03-02 09:{minute:02d}")


def _to_0002_with_rows(sync_connection, config) -> None:
    config.attributes["connection"] = sync_connection
    command.upgrade(config, "0002")
    for cid, (status, department, routed, returned, answered, first, latest) in ROWS.items():
        sync_connection.execute(text(
            "INSERT INTO sla_report_complaint (complaint_id, status, department, first_department, triage, "
            "routed_count, returned_count, answered, reopened_count, first_rating, first_rated_at, rating, rated_at) "
            "VALUES (:cid, :status, :department, 'power', :false, :routed, :returned, :answered, 0, :first, "
            ":first_at, :latest, :latest_at)"),
            dict(cid=cid, status=status, department=department, false=False, routed=routed, returned=returned,
                 answered=answered, first=first, first_at=first and at(3), latest=latest, latest_at=latest and at(9)))
        for n, (minute, kind, dept) in enumerate(TIMELINES[cid]):
            sync_connection.execute(text(
                "INSERT INTO sla_report_event (event_id, complaint_id, at, kind, department, detail) "
                "VALUES (:id, :cid, :at, :kind, :department, :detail)"),
                dict(id=f"{cid}-{n}", cid=cid, at=at(minute), kind=kind, department=dept, detail=json.dumps({})))


async def test_upgrade_fills_the_new_columns_from_the_timelines(engine):
    config = migrations.alembic_config(Path(MIGRATIONS), engine.url.render_as_string(hide_password=False), VERSIONS)
    async with engine.begin() as conn:
        await conn.run_sync(_to_0002_with_rows, config)
    await migrations.upgrade(engine, MIGRATIONS, VERSIONS)

    async with engine.connect() as conn:
        rows = {r.complaint_id: r for r in (await conn.execute(ReportComplaint.__table__.select())).all()}
    got = {cid: (r.status, r.triage, r.triage_count, r.dispatched_count) for cid, r in rows.items()}
    assert got == {
        "R": ("routed", False, 0, 0),
        "T": ("triage", True, 1, 0),
        "D": ("routed", False, 1, 1),
        "W": ("rerouting", False, 0, 0),
        "A": ("closed", False, 0, 0),
    }
    a = rows["A"]
    assert (a.answered_department, a.first_rating_department, a.rating_department) == ("township", "power",
                                                                                       "township")
