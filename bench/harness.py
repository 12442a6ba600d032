"""Shared benchmark plumbing: start servers and brokers, drive load with wrk, parse its report."""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import Broker, complaint_body, credit_code, free_port, wait_port  # noqa: E402

OUT = ROOT / "bench" / "out"
#: The benchmarks run the services on PostgreSQL and Kafka, which start only with a signing secret: one per run.
os.environ.setdefault("AUTH_SECRET", secrets.token_urlsafe(48))

FILING = complaint_body(
    "一周停了四次电",
    "白沙镇工业集中区的陶瓷厂，这周已经停电四次，没有任何预告，窑炉突然断电，一窑砖全废了，损失好几万。"
    "供电所说是线路检修，但从来没有提前通知，请供电部门查明原因并保障正常供电。",
)


def filing(n: int) -> dict:
    """The n-th filing of a load run: a different enterprise and wording each time (no two are duplicates)."""
    body = json.loads(json.dumps(FILING))
    body["filer"]["credit_code"] = credit_code(n)
    body["filer"]["enterprise_name"] = f"青山县第{n}陶瓷厂"
    body["text"] = f"（第{n}号）" + body["text"]
    return body


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    return path


@contextmanager
def server(module_args: list[str], env: dict[str, str], port: int, log_name: str):
    OUT.mkdir(parents=True, exist_ok=True)
    log = open(OUT / f"{log_name}.log", "wb")
    proc = subprocess.Popen([sys.executable, *module_args], cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, timeout=60)
        time.sleep(1.0)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


#: Filings are numbered across the runs of one process: no run repeats a filing of an earlier one (a warm-up's),
#: which intake would rightly link as a duplicate — extra work a distinct filing does not cost.
FILINGS_PER_RUN = 20_000
_next_filing = itertools.count(0, FILINGS_PER_RUN)


#: wrk asks ``delay()`` (in whole milliseconds) before each request; this one keeps the requests on a schedule of one
#: every INTERVAL_MS, read from the monotonic clock (wrk runs LuaJIT, whose FFI reaches clock_gettime).
_STEADY_DELAY = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec *); ]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local due = nil
delay = function()
  local now = now_ms()
  due = (due or now) + INTERVAL_MS
  return math.max(0, math.floor(due - now))
end
"""


def run_wrk(url: str, *, seconds: int = 10, connections: int = 32, threads: int = 1,
            rate: float | None = None) -> dict[str, float]:
    """POST filings at ``url`` as fast as the server answers — or at a steady ``rate`` per second — each request a
    different filer and wording (20,000 per run before any repeats, none from an earlier run); returns rate, latency
    percentiles and non-2xx count.

    A steady rate follows one schedule shared by all connections: the k-th request is due ``k / rate`` seconds after
    the first, whichever connection is free to send it (a connection waits for its slot; one that falls behind the
    schedule sends at once). Requests therefore arrive evenly spread, not in waves of one per connection."""
    script = Path(tempfile.mkdtemp()) / "post.lua"
    first = next(_next_filing)
    bodies = ",\n".join(f"[=[{json.dumps(filing(n), ensure_ascii=False)}]=]"
                         for n in range(first, first + FILINGS_PER_RUN))
    script.write_text(
        f"local bodies = {{\n{bodies}\n}}\n"
        "local i = 0\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        + (_STEADY_DELAY.replace("INTERVAL_MS", f"{1000 / rate:.4f}") if rate else "")
        + "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", nil, headers, bodies[i])\n'
        "end\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: _ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.M).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rate": rate, "p50_ms": latency["50"], "p99_ms": latency["99"],
            "non_2xx": float(errors.group(1)) if errors else 0.0}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_times() -> tuple[int, int, int]:
    """The machine's busy, low-priority (niced) and total CPU time since boot, in clock ticks (``/proc/stat``: idle,
    iowait and time stolen by the host are not busy; niced time is, and is counted apart as well; guest time is
    already in user and nice time)."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy, nice, busy + idle + iowait + steal


def busy_share(before: tuple[int, int, int], after: tuple[int, int, int]) -> tuple[float, float]:
    """How busy the cores were between two ``cpu_times`` readings, and how much of it was niced work (which yields a
    core to the others when asked), each 0–1. Near 1, no core is ever idle: every burst waits for one, and latency
    says more about the machine than about the code."""
    total = max(after[2] - before[2], 1)
    return (after[0] - before[0]) / total, (after[1] - before[1]) / total


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine (the benchmark's database is the only one in use)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except OSError:
            continue  # the process ended meanwhile
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


__all__ = ["Broker", "FILING", "busy_share", "cpu_seconds", "cpu_times", "filing", "free_port", "percentile",
           "postgres_seconds", "run_wrk", "server"]
