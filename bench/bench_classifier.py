"""Benchmark of the complaint router's classifier on one CPU core.

    python bench/bench_classifier.py [COMPLAINTS.jsonl] [--seconds 5] [--n 2000]

Prints the model load time (in a fresh interpreter, imports included), classifications per second after
warm-up, and p50/p99 latency of one classification, each with its ratio to the target (≥ 2,000/s, load ≤ 2 s).
Without a file, complaint-like texts of 120–300 characters are generated from the routing lexicon's own terms
mixed with everyday filler, so the benchmark needs nothing outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_RATE = 2000.0
TARGET_LOAD_S = 2.0

FILLER = [
    "负责人来电反映：", "我们是本地一家小微企业，", "公司去年落户青山县，", "已经找了好几次，", "希望有关部门尽快协调解决，",
    "影响企业正常生产经营，", "至今没有结果。", "工作人员说再等等，", "材料都按要求交齐了，", "损失已经有几十万元，",
    "请帮忙督促一下。", "客户那边也在催，", "企业资金周转困难，", "这个问题拖了两个多月，", "现在不知道该找谁。",
]


def generated_complaints(n: int, seed: int = 7) -> list[tuple[str, str]]:
    lex = json.loads((ROOT / "shared" / "data" / "routing_lexicon.json").read_text(encoding="utf-8"))
    groups = [g for g in lex["groups"] if g.get("department")]
    townships = [t["name"] for t in json.loads((ROOT / "shared" / "data" / "townships.json").read_text("utf-8"))["townships"]]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        picks = rng.sample(groups, k=rng.choice([1, 1, 2]))
        terms = [t for g in picks for tier in g["terms"].values() for t in tier]
        words = rng.sample(terms, k=min(len(terms), rng.randint(2, 5)))
        parts = [rng.choice(FILLER)]
        for w in words:
            parts += [w, rng.choice(FILLER)]
        if rng.random() < 0.2:
            parts.insert(1, rng.choice(townships))
        text = "".join(parts)
        while len(text) < 120:
            text += rng.choice(FILLER)
        out.append((words[0] + "的问题", text[:300]))
    return out


def file_complaints(path: str) -> list[tuple[str, str]]:
    rows = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    return [(r.get("title", ""), r.get("text", "")) for r in rows]


def cold_load_seconds() -> float:
    code = (
        "import time; t=time.perf_counter(); "
        "from services.router.domain.classifier import Classifier; Classifier.load(); "
        "print(time.perf_counter()-t)"
    )
    runs = []
    for _ in range(3):
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        runs.append(float(res.stdout.strip().splitlines()[-1]))
    return max(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", help="optional JSONL of complaints (title, text)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of the throughput run")
    ap.add_argument("--n", type=int, default=2000, help="generated complaints when no file is given")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    from services.router.domain.classifier import Classifier

    load_s = cold_load_seconds()
    clf = Classifier.load()
    complaints = file_complaints(args.path) if args.path else generated_complaints(args.n)
    mean_len = statistics.mean(len(t) + len(x) for t, x in complaints)

    for title, text in complaints[:500]:  # warm-up
        clf.classify(title, text)

    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for title, text in complaints:
            clf.classify(title, text)
        done += len(complaints)
    rate = done / (time.perf_counter() - start)

    latencies = []
    for title, text in complaints * max(1, 5000 // len(complaints)):
        t = time.perf_counter_ns()
        clf.classify(title, text)
        latencies.append((time.perf_counter_ns() - t) / 1e6)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99) - 1]

    source = args.path or f"{len(complaints)} generated complaints"
    print(f"complaints: {source}, mean length {mean_len:.0f} characters")
    print(f"model load (fresh interpreter, imports included, worst of 3): {load_s:.3f} s "
          f"(target <= {TARGET_LOAD_S:.0f} s; {TARGET_LOAD_S / load_s:.1f}x headroom)")
    print(f"throughput on one core after warm-up: {rate:,.0f} classifications/s "
          f"(target >= {TARGET_RATE:,.0f}/s; ratio {rate / TARGET_RATE:.2f}x)")
    print(f"latency of one classification: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
          f"(p99 budget at the target rate {1000 / TARGET_RATE:.3f} ms; ratio {1000 / TARGET_RATE / p99:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
