"""The services as the benchmarks run them: a fresh PostgreSQL database, a Kafka-protocol broker, the services'
clocks moved to a working hour, and the three services (and intake's notifier) as separate processes — the pipeline
of ``bench_intake``'s latency run and of ``bench_pipeline_cost``."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.harness import OUT, Broker, free_port, server
from services.intake.notify.compose import QUIET_FROM, QUIET_UNTIL
from shared.calendar import SHANGHAI

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

#: Where the runs' SMS go (the local provider): the bench's output folder, not the working copy's ``var/``.
SMS_ENV = {"SMS_LOCAL_PATH": str(OUT / "sms.txt")}


#: The hour (Asia/Shanghai) the services' clocks read during a run: by day each filing's SMS goes out as it is filed;
#: at night (``--hour 23``) it waits for the morning, and the run measures filing without sending.
WORKING_HOUR = 10


@dataclass(frozen=True)
class ServicesClock:
    """The services' clocks during a run: moved to ``hour``:00 Asia/Shanghai today by ``ahead`` (the same shift for
    every service of the run; the bench reads their timestamps back with it)."""

    hour: int
    ahead: timedelta

    @classmethod
    def at(cls, hour: int = WORKING_HOUR) -> "ServicesClock":
        local = datetime.now(SHANGHAI)
        return cls(hour, local.replace(hour=hour, minute=0, second=0, microsecond=0) - local)

    @property
    def env(self) -> dict[str, str]:
        return {"CLOCK_OFFSET_SECONDS": f"{self.ahead.total_seconds():.3f}"}

    @property
    def sends_sms(self) -> bool:
        return QUIET_UNTIL.hour <= self.hour < QUIET_FROM.hour


def dsn(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + database


async def run_sql(sql: str, database: str = "postgres") -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn(database))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_database() -> str:
    name = f"complaints_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(run_sql(f'CREATE DATABASE "{name}"'))
    return name


def drop_database(name: str) -> None:
    asyncio.run(run_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def analyze(database: str) -> None:
    """Give the planner the statistics of the tables the warm-up filled. A running PostgreSQL's autovacuum does this
    as tables grow; the reference machine's runs with autovacuum off, and a fresh database has none."""
    asyncio.run(run_sql("ANALYZE", database))


#: A process the bench started, and its port.
Running = tuple[subprocess.Popen, int]
#: Whether intake's notifier runs as its own process ("apart", as deployed) or inside intake ("inline").
NOTIFIER_PLACES = ("apart", "inline")


@contextmanager
def notifier_beside(place: str, env: dict[str, str]) -> Iterator[tuple[dict[str, str], dict[str, Running]]]:
    """Intake's environment for the notifier's ``place``, and the notifier's own process and port by name when it
    runs apart (at ``SLA_NICENESS``; ``env`` names the database, the broker and the clock)."""
    if place == "inline":
        yield env, {}
        return
    port = free_port()
    with server(["-m", "services.intake.notify"], {**env, "NOTIFIER_PORT": str(port),
                                                  "PROCESS_NICENESS": str(SLA_NICENESS)}, port, "notifier") as notifier:
        yield {**env, "NOTIFIER_IN_INTAKE": "false"}, {"notifier": (notifier, port)}


async def sms_counts(database: str) -> dict[str, int]:
    """The filers' messages by status (pending, sent, …)."""
    import asyncpg

    conn = await asyncpg.connect(dsn(database))
    try:
        return dict(await conn.fetch("SELECT status, count(*) FROM intake_sms GROUP BY status"))
    finally:
        await conn.close()


@dataclass(frozen=True)
class Pipeline:
    """The three services running as separate processes on a fresh PostgreSQL database and a broker; the SLA service
    (off the routing path) at ``SLA_NICENESS``."""

    database: str
    broker: Broker
    #: The services' processes and ports (intake, router, sla, and intake's notifier when it runs apart).
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen]

    @property
    def pids(self) -> dict[str, int]:
        """The process id of each service and of the broker, by name."""
        return {name: process.pid for name, process in self.processes.items()} | {"broker": self.broker.process.pid}


#: The SLA service's niceness in the pipeline: on two shared cores it yields them to the routing path and catches up
#: in their idle moments.
SLA_NICENESS = 19


@contextmanager
def pipeline(clock: ServicesClock | None = None, notifier: str = "apart") -> Iterator[Pipeline]:
    database = fresh_database()
    broker = Broker()
    ports = {name: free_port() for name in ("intake", "router", "sla")}
    env = {"LOG_LEVEL": "WARNING", "FILING_RATE_PER_MINUTE": "0", **(clock or ServicesClock.at()).env, **SMS_ENV,
           "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1/{database}",
           "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_ENABLE_IDEMPOTENCE": "false",
           **{f"{n.upper()}_PORT": str(p) for n, p in ports.items()}}
    try:
        with server(["-m", "services.router"], env, ports["router"], "router") as router, \
                server(["-m", "services.sla"], {**env, "PROCESS_NICENESS": str(SLA_NICENESS)}, ports["sla"],
                       "sla") as sla, \
                notifier_beside(notifier, env) as (intake_env, apart), \
                server(["-m", "services.intake"], intake_env, ports["intake"], "intake") as intake:
            processes = {"intake": intake, "router": router, "sla": sla}
            for name, (process, port) in apart.items():
                processes[name], ports[name] = process, port
            yield Pipeline(database, broker, ports, processes)
    finally:
        broker.stop()
        drop_database(database)
