"""Benchmark of the complaint router's classifier on one CPU core.

    python bench/bench_classifier.py [COMPLAINTS.jsonl] [--seconds 5] [--n 2000] [--long]

Prints the model load time (in a fresh interpreter, imports included), classifications per second after
warm-up (by the clock, and per second of the process's CPU time, which a busy shared machine does not distort),
and p50/p99 latency of one classification, each with its ratio to the target (≥ 2,000/s, load ≤ 2 s).
Without a file, complaint-like texts of 120–300 characters are generated from the routing lexicon's own terms
mixed with everyday filler, so the benchmark needs nothing outside the repository; ``--long`` generates letters to
an official of 400–1,200 characters instead (salutation, a story, the request, thanks), the way people write to
a government message board.
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


LETTER_OPENINGS = ["尊敬的县委书记：您好！", "尊敬的领导：", "各位领导好！", "尊敬的县长：您好，"]
LETTER_STORY = [
    "我们是本地的老百姓，在这里生活了几十年，", "家里老人身体不好，孩子还在上学，", "这件事情已经拖了大半年，",
    "我们多次找过有关部门，每次都说在研究，", "邻居们也都遇到了同样的情况，大家都很着急，", "实在没有办法才写信给您，",
    "去年的时候就有人反映过，后来不了了之，", "我们相信政府一定会为老百姓做主，",
]
LETTER_REQUESTS = ["希望领导重视", "恳请有关部门尽快解决", "请问这个问题到底什么时候能解决？", "希望政府给我们一个说法"]
LETTER_CLOSINGS = ["谢谢领导！", "此致敬礼！", "盼复，谢谢！"]


def generated_letters(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """Long letters: the matter's terms sit in one or two sentences among a story that names no department."""
    rng = random.Random(seed)
    short = generated_complaints(n, seed)
    out = []
    for title, matter in short:
        parts = [rng.choice(LETTER_OPENINGS)]
        while sum(map(len, parts)) < rng.randint(300, 1000):
            parts.append(rng.choice(LETTER_STORY))
        parts.insert(rng.randint(2, len(parts)), matter + "。")
        parts += [rng.choice(LETTER_REQUESTS) + "。", rng.choice(LETTER_CLOSINGS)]
        out.append((title, "".join(parts)[:1500]))
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
    ap.add_argument("--long", action="store_true", help="generate long letters to an official instead")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    from services.router.domain.classifier import Classifier

    load_s = cold_load_seconds()
    clf = Classifier.load()
    if args.path:
        complaints = file_complaints(args.path)
    else:
        complaints = generated_letters(args.n) if args.long else generated_complaints(args.n)
    mean_len = statistics.mean(len(t) + len(x) for t, x in complaints)

    for title, text in complaints[:500]:  # warm-up
        clf.classify(title, text)

    done, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < args.seconds:
        for title, text in complaints:
            clf.classify(title, text)
        done += len(complaints)
    rate = done / (time.perf_counter() - start)
    cpu_rate = done / (time.process_time() - cpu_start)

    latencies = []
    for title, text in complaints * max(1, 5000 // len(complaints)):
        t = time.perf_counter_ns()
        clf.classify(title, text)
        latencies.append((time.perf_counter_ns() - t) / 1e6)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[int(len(latencies) * 0.99) - 1]

    source = args.path or f"{len(complaints)} generated {'letters' if args.long else 'complaints'}"
    print(f"complaints: {source}, mean length {mean_len:.0f} characters")
    print(f"model load (fresh interpreter, imports included, worst of 3): {load_s:.3f} s "
          f"(target <= {TARGET_LOAD_S:.0f} s; {TARGET_LOAD_S / load_s:.1f}x headroom)")
    print(f"throughput on one core after warm-up: {rate:,.0f} classifications/s "
          f"(target >= {TARGET_RATE:,.0f}/s; ratio {rate / TARGET_RATE:.2f}x); per second of the process's own CPU "
          f"time {cpu_rate:,.0f}/s (what the core gives when no other process shares it)")
    print(f"latency of one classification: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
          f"(p99 budget at the target rate {1000 / TARGET_RATE:.3f} ms; ratio {1000 / TARGET_RATE / p99:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
