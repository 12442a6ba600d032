"""Intake's filing rate against the ceiling, and filing → complaint.routed latency through the broker.

1. the bare FastAPI endpoint parsing a body of the same size (the ceiling);
2. filing through intake on the embedded default (the whole product in one process);
3. filing through intake alone on PostgreSQL (relaying to a Kafka-protocol broker);
each with one uvicorn worker and the same wrk load (1 and 3 alternate over five rounds; medians); then 4. filing → routed latency p50/p99 with the three services
as separate processes on the broker and PostgreSQL, at a steady 200 filings/s (wrk at a fixed rate; each filing timed
from its receipt by intake to the moment its complaint.routed event reaches a consumer of the broker). The SLA service,
off the routing path, runs at a lower CPU priority (``PROCESS_NICENESS``), as it would with cores of its own; the run
also checks it kept up (every routed complaint has its clock shortly after the last filing), and reports how busy the
machine's cores were while it filed (and how much of it was niced work): on two shared cores the pipeline can fill
them, and the tail then measures the machine more than the code.
Targets: intake on PostgreSQL ≥ 0.30 × the bare rate; filing → routed p99 ≤ 100 ms.

The services' clocks read 10:00 Asia/Shanghai whatever the hour of the run (``CLOCK_OFFSET_SECONDS``): each filing's
SMS goes out during the run, as it does by day; ``--hour 23`` measures the night, when it waits for the morning.
Intake's notifier (the filers' SMS) runs as its own process, as docker-compose deploys it (``intake-notify``), at the
SLA service's niceness: it is off the routing path too, and catches up in the cores' idle moments; the run reports how
many of the messages written it sent. ``--notifier inline`` runs it inside intake instead (``NOTIFIER_IN_INTAKE``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bench.harness import OUT, Broker, busy_share, cpu_times, free_port, percentile, run_wrk, server
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


def _dsn(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + database


async def _admin(sql: str, database: str = "postgres") -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(database))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_database() -> str:
    name = f"complaints_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name


def drop_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def analyze(database: str) -> None:
    """Give the planner the statistics of the tables the warm-up filled. A running PostgreSQL's autovacuum does this
    as tables grow; the reference machine's runs with autovacuum off, and a fresh database has none."""
    asyncio.run(_admin("ANALYZE", database))


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

    conn = await asyncpg.connect(_dsn(database))
    try:
        return dict(await conn.fetch("SELECT status, count(*) FROM intake_sms GROUP BY status"))
    finally:
        await conn.close()


def measure_rates(seconds: int, connections: int, rounds: int, clock: ServicesClock,
                  notifier: str = "apart") -> dict[str, dict[str, float]]:
    """Each endpoint's rate; the bare endpoint and intake on PostgreSQL alternate for ``rounds`` rounds (both servers
    up, one loaded at a time), so a machine whose speed drifts during the run moves both sides of each ratio alike.
    Their figures are the medians over the rounds, and ``ratio`` the median of the rounds' ratios."""
    results: dict[str, dict[str, float]] = {}
    quiet = {"LOG_LEVEL": "WARNING", "FILING_RATE_PER_MINUTE": "0", **clock.env, **SMS_ENV}

    def load(port: int) -> dict[str, float]:
        return run_wrk(f"http://127.0.0.1:{port}/v1/complaints", seconds=seconds, connections=connections)

    def warm(port: int) -> None:
        run_wrk(f"http://127.0.0.1:{port}/v1/complaints", seconds=2, connections=connections)

    tmp = tempfile.mkdtemp()
    port = free_port()
    env = {**quiet, "PORT": str(port), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/{{service}}.db",
           "EMBEDDED_BUS_PATH": f"{tmp}/bus.db", "KAFKA_BOOTSTRAP_SERVERS": ""}
    with server(["-m", "services"], env, port, "embedded"):
        warm(port)
        results["embedded"] = load(port)

    database = fresh_database()
    broker = Broker()
    try:
        bare_port, intake_port = free_port(), free_port()
        env = {**quiet, "INTAKE_PORT": str(intake_port),
               "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1/{database}",
               "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_ENABLE_IDEMPOTENCE": "false"}
        with server(["-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--workers", "1",
                     "--no-access-log", "--log-level", "warning"], {}, bare_port, "bare"), \
                notifier_beside(notifier, env) as (intake_env, _), \
                server(["-m", "services.intake"], intake_env, intake_port, "intake-postgres"):
            warm(bare_port)
            warm(intake_port)
            analyze(database)
            bare, postgres = [], []
            for _ in range(rounds):
                bare.append(load(bare_port))
                postgres.append(load(intake_port))
            results["sms"] = asyncio.run(sms_counts(database))
    finally:
        broker.stop()
        drop_database(database)
    results["bare"] = _median_run(bare)
    results["postgres"] = _median_run(postgres)
    results["postgres"]["ratio"] = statistics.median(p["rate"] / b["rate"] for b, p in zip(bare, postgres))
    results["postgres"]["round_ratios"] = [round(p["rate"] / b["rate"], 3) for b, p in zip(bare, postgres)]
    results["bare"]["round_rates"] = [b["rate"] for b in bare]
    results["postgres"]["round_rates"] = [p["rate"] for p in postgres]
    return results


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def _routed_latency(intake_port: int, bootstrap: str, database: str, rate: int, seconds: int,
                          clock: ServicesClock) -> tuple[list[float], float, tuple[float, float]]:
    """Drive filings at a steady rate with wrk and time each one from its receipt by intake (``received_at``) to the
    moment its ``complaint.routed`` event reaches a consumer of the broker; returns the latencies, wrk's rate and how
    busy the machine's cores were while it filed (``busy_share``)."""
    from aiokafka import AIOKafkaConsumer

    from shared.events import TOPIC_ROUTER, ComplaintRoutedV1
    from shared.settings import CommonSettings

    latencies: list[float] = []
    consumer = AIOKafkaConsumer(TOPIC_ROUTER, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="latest",
                                fetch_max_wait_ms=CommonSettings().kafka_fetch_max_wait_ms)  # as the services wait
    await consumer.start()
    started = datetime.now(timezone.utc)

    async def watch() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=50)
            now = datetime.now(timezone.utc)
            for messages in batch.values():
                for m in messages:
                    envelope = json.loads(m.value)  # plain JSON: the watcher shares the cores it measures
                    if envelope["type"] == ComplaintRoutedV1.TYPE:
                        received = datetime.fromisoformat(envelope["data"]["received_at"]) - clock.ahead
                        if received >= started:
                            latencies.append((now - received).total_seconds() * 1000)

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(2.0)  # let the group settle
    # A warm-up at the same rate, then the statistics autovacuum would have gathered by now (see ``analyze``).
    await asyncio.to_thread(run_wrk, f"http://127.0.0.1:{intake_port}/v1/complaints", seconds=3, connections=64,
                            rate=rate)
    await asyncio.sleep(3.0)
    await _admin("ANALYZE", database)
    started = datetime.now(timezone.utc)
    latencies.clear()  # the warm-up's filings are not measured
    cpu_before = cpu_times()
    load = await asyncio.to_thread(run_wrk, f"http://127.0.0.1:{intake_port}/v1/complaints", seconds=seconds,
                                   connections=64, rate=rate)
    busy = busy_share(cpu_before, cpu_times())
    await asyncio.sleep(5.0)  # the last filings get routed
    watcher.cancel()
    await consumer.stop()
    return latencies, load["rate"], busy


async def _clocks_kept_up(database: str) -> tuple[int, int]:
    """How many routed complaints have their SLA clock, of how many were routed."""
    import asyncpg

    conn = await asyncpg.connect(_dsn(database))
    try:
        routed = await conn.fetchval("SELECT count(DISTINCT complaint_id) FROM router_decision")
        clocked = await conn.fetchval("SELECT count(DISTINCT complaint_id) FROM sla_clock")
    finally:
        await conn.close()
    return clocked, routed


@dataclass(frozen=True)
class Pipeline:
    """The three services running as separate processes on a fresh PostgreSQL database and a broker; the SLA service
    (off the routing path) at ``SLA_NICENESS``."""

    database: str
    broker: Broker
    #: The services' processes and ports (intake, router, sla, and intake's notifier when it runs apart).
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen]


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


def measure_routed_latency(rate: int, seconds: int, clock: ServicesClock, notifier: str = "apart") -> dict[str, float]:
    with pipeline(clock, notifier) as running:
        latencies, achieved, busy = asyncio.run(_routed_latency(running.ports["intake"], running.broker.bootstrap,
                                                                  running.database, rate, seconds, clock))
        clocked, routed = asyncio.run(_clocks_kept_up(running.database))
    return {"count": len(latencies), "rate": achieved, "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "clocked": clocked, "routed": routed, "busy": busy[0],
            "niced": busy[1]}


#: Intake alone on PostgreSQL, as a share of the bare endpoint's rate.
RATE_TARGET = 0.30


def report_rates(rates: dict, rounds_run: int) -> None:
    bare = rates["bare"]["rate"]
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'× bare':>9}{'non-2xx':>9}")
    for name, label in (("bare", "bare FastAPI (ceiling)"), ("embedded", "intake, embedded default"),
                        ("postgres", "intake, PostgreSQL")):
        r = rates[name]
        print(f"{label:<28}{r['rate']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}"
              f"{r.get('ratio', r['rate'] / bare):>9.2f}{r['non_2xx']:>9.0f}")
    ratio = rates["postgres"]["ratio"]
    rounds = ", ".join(f"{r:.2f}" for r in rates["postgres"]["round_ratios"])
    print(f"target: intake on PostgreSQL ≥ {RATE_TARGET:.2f} × bare — measured {ratio:.2f}, the median of "
          f"{rounds_run} alternating rounds ({rounds}) ({'met' if ratio >= RATE_TARGET else 'MISSED'})")
    sms = rates["sms"]
    print(f"the filers' SMS at the end of the rounds: {sms.get('sent', 0)} sent, {sms.get('pending', 0)} waiting "
          f"(of {sum(sms.values())} written)")


#: Cores this busy while filing leave no idle moment: a burst anywhere (niced work yields a core, but only when it is
#: asked for) makes the routing path wait for one, and the tail measures the machine more than the code.
SATURATED = 0.9
BUSY_NOTE = ": saturated, so the tail is mostly queueing for a core (compare codes in runs that alternate them)"


def report_latency(latency: dict) -> None:
    print(f"filing → complaint.routed at {latency['rate']:.0f}/s through the broker: n={latency['count']} "
          f"p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms "
          f"(target p99 ≤ 100 ms: {'met' if latency['p99_ms'] <= 100 else 'MISSED'})")
    print(f"the machine's cores were {latency['busy']:.0%} busy while it filed, {latency['niced']:.0%} of it niced "
          f"work off the routing path (the load generator and the measuring consumer count as busy)"
          f"{BUSY_NOTE if latency['busy'] >= SATURATED else ''}")
    print(f"the SLA service (niceness {SLA_NICENESS}) kept up: clocks for {latency['clocked']} of "
          f"{latency['routed']} routed complaints 5 s after the last filing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of bare and intake on PostgreSQL")
    parser.add_argument("--rate", type=int, default=200, help="filings per second for the latency run")
    parser.add_argument("--latency-only", action="store_true", help="only the filing → routed latency run")
    parser.add_argument("--hour", type=int, default=WORKING_HOUR, choices=range(24), metavar="H",
                        help="the hour (Asia/Shanghai) the services' clocks read (SMS wait out the quiet hours, "
                             f"{QUIET_FROM:%H:%M}–{QUIET_UNTIL:%H:%M})")
    parser.add_argument("--notifier", choices=NOTIFIER_PLACES, default="apart",
                        help="intake's notifier as its own process (as deployed) or inside intake")
    args = parser.parse_args()
    clock = ServicesClock.at(args.hour)
    print(f"the services' clocks read {args.hour:02d}:00 Asia/Shanghai "
          f"({'SMS sent as filed' if clock.sends_sms else 'SMS held for the morning'}); intake's notifier "
          f"{'in its own process' if args.notifier == 'apart' else 'inside intake'}")

    results: dict = {"services_hour": args.hour, "notifier": args.notifier}
    if not args.latency_only:
        results["rates"] = measure_rates(args.seconds, args.connections, args.rounds, clock, args.notifier)
        report_rates(results["rates"], args.rounds)
    results["routed_latency"] = measure_routed_latency(args.rate, args.seconds, clock, args.notifier)
    report_latency(results["routed_latency"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "intake.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
