"""The SLA timer's sweep: its cost follows what is due, not what is open.

Loads N open clocks (default 1,000,000) into a fresh PostgreSQL database, 1,000 of them due, and times one sweep
that fires them (with the resident memory it adds); then the same sweep over a table holding only the 1,000 due clocks.
A ratio near 1 means the open clocks cost the sweep nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from services.sla.app import MIGRATIONS  # noqa: E402
from services.sla.domain.policies import load_policies  # noqa: E402
from services.sla.models import OUTBOX  # noqa: E402
from services.sla.handlers import DeadlineRules, sweep  # noqa: E402
from shared import migrations  # noqa: E402
from shared.calendar import WorkingCalendar  # noqa: E402
from shared.db import Database  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
COLUMNS = ("complaint_id", "milestone", "scope", "attempt", "policy", "department", "status", "difficult", "revision",
           "started_at", "due_at", "extended_days", "next_step_index", "next_fire_at")
DEPARTMENTS = ("power", "tax", "market", "hrss", "housing", "center", "court", "finance")


def rows(count: int, *, due: bool, now: datetime):
    for i in range(count):
        if due:  # received 11 days ago: the 70% warning is due now, the rest will follow in the sweep
            started = now - timedelta(days=11, minutes=i % 600)
            due_at = started + timedelta(days=10)
            fire = started + timedelta(days=7)
        else:
            started = now - timedelta(minutes=i % 10_000)
            due_at = started + timedelta(days=10)
            fire = started + timedelta(days=7)
        yield (str(uuid.uuid4()), "resolution", "complaint", 0, "standard", DEPARTMENTS[i % len(DEPARTMENTS)],
               "open", False, 0, started, due_at, 0, 0, fire)


async def load(name: str, open_count: int, due_count: int, now: datetime) -> None:
    conn = await asyncpg.connect(ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        if open_count:
            await conn.copy_records_to_table("sla_clock", records=rows(open_count, due=False, now=now),
                                             columns=COLUMNS)
        await conn.copy_records_to_table("sla_clock", records=rows(due_count, due=True, now=now), columns=COLUMNS)
        await conn.execute("ANALYZE sla_clock")
    finally:
        await conn.close()


async def measure(open_count: int, due_count: int) -> dict[str, float]:
    name = f"complaints_sweep_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(f"postgresql+asyncpg://postgres@127.0.0.1/{name}", OUTBOX)
        await migrations.upgrade(db.engine, MIGRATIONS, "sla_alembic_version")
        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        await load(name, open_count, due_count, now)
        load_s = time.perf_counter() - started
        clocks = DeadlineRules(load_policies(), WorkingCalendar(), "default")
        rss_before = _rss_mib()
        started = time.perf_counter()
        result = await sweep(db, clocks, now, limit=due_count)
        sweep_s = time.perf_counter() - started
        rss_growth = _rss_mib() - rss_before
        await db.dispose()
        return {"open": open_count + due_count, "due": due_count, "clocks": result.clocks, "fired": result.fired,
                "load_s": load_s, "sweep_s": sweep_s, "rss_growth_mib": rss_growth}
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _rss_mib() -> float:
    """Resident memory of this process now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open clocks in the table (default 1,000,000)")
    parser.add_argument("--due", type=int, default=1_000, help="of which due now (default 1,000)")
    args = parser.parse_args()
    big = asyncio.run(measure(args.open - args.due, args.due))
    small = asyncio.run(measure(0, args.due))
    for label, r in (("with all open clocks", big), ("with only the due clocks", small)):
        print(f"sweep {label:<26} open {r['open']:>9,}  due {r['due']:>6,}  fired {r['fired']:>6,}  "
              f"{r['sweep_s'] * 1000:8.0f} ms  memory +{r['rss_growth_mib']:5.1f} MiB  (load {r['load_s']:.1f} s)")
    print(f"ratio of sweep times (all open / only due): {big['sweep_s'] / small['sweep_s']:.2f} "
          f"— near 1 means the sweep's cost follows what is due")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
