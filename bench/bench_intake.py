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
them, and the tail then measures the machine more than the code. It also reports where the filings' time went, hop
by hop, and each process's share of a core while it filed (``bench.hops``).
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
import tempfile
import uuid
from datetime import datetime, timezone

from bench.harness import OUT, Broker, busy_share, cpu_times, free_port, percentile, run_wrk, server
from bench.hops import CoreShares, describe_hops_ms, describe_shares, hop_times
from bench.pipeline import (
    NOTIFIER_PLACES,
    SLA_NICENESS,
    SMS_ENV,
    WORKING_HOUR,
    Pipeline,
    ServicesClock,
    analyze,
    drop_database,
    dsn,
    fresh_database,
    notifier_beside,
    pipeline,
    run_sql,
    sms_counts,
)
from services.intake.notify.compose import QUIET_FROM, QUIET_UNTIL


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


async def _routed_latency(running: Pipeline, rate: int, seconds: int, clock: ServicesClock) -> dict:
    """Drive filings at a steady rate with wrk and time each one from its receipt by intake (``received_at``) to the
    moment its ``complaint.routed`` event reaches a consumer of the broker; returns the latencies, wrk's rate, how
    busy the machine's cores were while it filed (``busy_share``), each process's share of a core meanwhile and the
    hops' times (``bench.hops``)."""
    from aiokafka import AIOKafkaConsumer

    from shared.events import TOPIC_ROUTER, ComplaintRoutedV1
    from shared.settings import CommonSettings

    latencies: list[float] = []
    arrivals: dict[str, datetime] = {}
    consumer = AIOKafkaConsumer(TOPIC_ROUTER, bootstrap_servers=running.broker.bootstrap,
                                group_id=f"bench-{uuid.uuid4().hex[:6]}",
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
                            arrivals[envelope["data"]["complaint_id"]] = now

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(2.0)  # let the group settle
    # A warm-up at the same rate, then the statistics autovacuum would have gathered by now (see ``analyze``).
    url = f"http://127.0.0.1:{running.ports['intake']}/v1/complaints"
    await asyncio.to_thread(run_wrk, url, seconds=3, connections=64, rate=rate)
    await asyncio.sleep(3.0)
    await run_sql("ANALYZE", running.database)
    started = datetime.now(timezone.utc)
    latencies.clear()  # the warm-up's filings are not measured
    arrivals.clear()
    cpu_before = cpu_times()
    shares = CoreShares(running.pids)
    with shares.window():
        load = await asyncio.to_thread(run_wrk, url, seconds=seconds, connections=64, rate=rate)
    busy = busy_share(cpu_before, cpu_times())
    await asyncio.sleep(5.0)  # the last filings get routed
    watcher.cancel()
    await consumer.stop()
    hops = await hop_times(dsn(running.database), clock.ahead, started, arrivals)
    return {"latencies": latencies, "rate": load["rate"], "busy": busy, "shares": shares.shares, "hops": hops}


async def _clocks_kept_up(database: str) -> tuple[int, int]:
    """How many routed complaints have their SLA clock, of how many were routed."""
    import asyncpg

    conn = await asyncpg.connect(dsn(database))
    try:
        routed = await conn.fetchval("SELECT count(DISTINCT complaint_id) FROM router_decision")
        clocked = await conn.fetchval("SELECT count(DISTINCT complaint_id) FROM sla_clock")
    finally:
        await conn.close()
    return clocked, routed


def measure_routed_latency(rate: int, seconds: int, clock: ServicesClock, notifier: str = "apart") -> dict[str, float]:
    with pipeline(clock, notifier) as running:
        run = asyncio.run(_routed_latency(running, rate, seconds, clock))
        clocked, routed = asyncio.run(_clocks_kept_up(running.database))
    latencies = run["latencies"]
    return {"count": len(latencies), "rate": run["rate"], "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "clocked": clocked, "routed": routed, "busy": run["busy"][0],
            "niced": run["busy"][1], "core_shares": run["shares"],
            "hops_ms": {hop: {"p50": percentile(times, 50), "p99": percentile(times, 99)}
                        for hop, times in run["hops"].items() if times}}


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
    print(f"where the time went, p50 / p99 ms (bench.hops): {describe_hops_ms(latency['hops_ms'])}")
    print(f"each process's share of a core while it filed: {describe_shares(latency['core_shares'])}")
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
