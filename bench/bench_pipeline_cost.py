"""What one complaint costs in CPU across the pipeline, with the biggest batches.

The three services and intake's notifier run as separate processes on PostgreSQL and the broker. After a warm-up,
``wrk`` files as fast as intake takes them for a few seconds; the run then waits until every consumer and the SMS
sender have caught up (the consumed-event and sent-message counters on ``/metrics`` stop moving). CPU time is read
from ``/proc`` (Linux) for each process, every PostgreSQL process and the broker over that whole window, and divided
by the filings. Batches are as big as the backlog makes them, so this is the floor of what a complaint costs; during a
steady run at a lower rate batches shrink and each carries the fixed cost of a transaction, so CPU read there is
higher. The idle processes' own cost over the window (measured before the load) is printed too.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request

from bench.harness import OUT, cpu_seconds, postgres_seconds, run_wrk
from bench.pipeline import analyze, pipeline

#: What a process counts as work done: events consumed, the filers' messages sent (or retried, dead, skipped).
WORK_COUNTERS = ("complaints_events_consumed_total{", "sms_messages_total{")


def work_done(port: int) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(WORK_COUNTERS))


def measure(seconds: int, connections: int) -> dict[str, float]:
    with pipeline() as running:
        pids = running.pids

        def sample() -> dict[str, float]:
            return {name: cpu_seconds(pid) for name, pid in pids.items()} | {"postgres": postgres_seconds()}

        url = f"http://127.0.0.1:{running.ports['intake']}/v1/complaints"
        run_wrk(url, seconds=3, connections=connections)
        _settle(running.ports)
        analyze(running.database)
        idle_start, idle_began = sample(), time.monotonic()
        time.sleep(5)
        idle_per_second = (sum(sample().values()) - sum(idle_start.values())) / (time.monotonic() - idle_began)

        before, began = sample(), time.monotonic()
        load = run_wrk(url, seconds=seconds, connections=connections)
        _settle(running.ports)
        after, window = sample(), time.monotonic() - began
    filings = load["rate"] * seconds
    result = {name: (after[name] - before[name]) / filings * 1000 for name in before}
    result["total"] = sum(result.values())
    result["idle_share"] = idle_per_second * window / filings * 1000
    result["filings"] = filings
    result["rate"] = load["rate"]
    result["window_s"] = window
    return result


def _settle(ports: dict[str, int], quiet_s: float = 1.0, timeout_s: float = 120.0) -> None:
    """Wait until no process has consumed an event or sent a message for ``quiet_s``."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        counts = tuple(work_done(port) for port in ports.values())
        if counts == last:
            return
        last = counts
        time.sleep(quiet_s)
    raise TimeoutError("the consumers and the SMS sender did not catch up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    result = measure(args.seconds, args.connections)
    print(f"filed {result['filings']:.0f} at {result['rate']:.0f}/s; every consumer caught up "
          f"{result['window_s']:.1f} s after the load began")
    print(f"{'process':<12}{'CPU ms per complaint':>22}")
    for name in ("intake", "notifier", "router", "sla", "postgres", "broker", "total"):
        if name not in result:
            continue
        print(f"{name:<12}{result[name]:>22.2f}")
    print(f"(of the total, {result['idle_share']:.2f} ms is what the idle processes spend over the same window)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline_cost.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
