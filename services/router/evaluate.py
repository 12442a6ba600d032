"""Batch evaluator of the complaint router.

    python -m services.router.evaluate INPUT.jsonl [--output PRED.jsonl] [--learn K [K ...]] [--prequential]
                                                   [--sweep] [--fit-calibration] [--lexicon PATH] [--gazetteer PATH]

Reads one JSON object per line with ``id``, ``title``, ``text`` (other fields ignored), writes one prediction per
line ``{"id", "department", "also", "financial_service", "confidence", "triage"}`` (to ``--output`` or, without
it, nowhere), and when the input carries labels (``department``, ``financial_service``) prints the accuracy
figures: top-1 and top-3 over complaints not sent to triage, wrong-department rate, triage rate, financial-
service precision/recall/F1, township accuracy, a reliability table of the confidence, the figures by slice
(in catalog or not, sure or unsure labels, financial service or not, long or short texts; ``slices``) and the most
frequent misplacements.

``--learn K`` replays the first K labelled lines as dispatcher corrections and scores the rest; with several K
(``--learn 0 10 20 40``) each is also scored on the same tail (the lines after the largest K), so the points of the
learning curve compare, and the tail's complaints that have a similar correction in memory are counted apart.

``--prequential`` also replays the file in order as a stream in which every mistake is corrected by a person
(a handler's return or a dispatcher's placement) and learned before the next complaint — the figures show what
learning from corrections does for later complaints. ``--sweep`` prints the figures for several triage
thresholds; ``--fit-calibration`` searches the softmax temperature and no-owner score that minimise the
log-loss of the labels (for calibrating on a labeled set that is not the one being reported).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from .domain.classifier import Classifier, Correction, Decision
from .slices import landing, print_slices


def read_jsonl(path: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not JSON: {exc}")
            if not isinstance(row, dict) or "id" not in row:
                raise SystemExit(f"{path}:{n}: each line needs an object with 'id', 'title', 'text'")
            rows.append(row)
    return rows


def prediction(row: dict, d: Decision) -> dict:
    return {
        "id": row["id"],
        "department": d.department,
        "also": list(d.also),
        "financial_service": d.financial_service,
        "confidence": d.confidence,
        "triage": d.triage,
    }


def metrics(rows: list[dict], decisions: list[Decision]) -> dict:
    labeled = [(r, d) for r, d in zip(rows, decisions) if r.get("department")]
    if not labeled:
        return {}
    n = len(labeled)
    placed = [(r, d) for r, d in labeled if not d.triage]
    top1 = sum(d.department == r["department"] for r, d in placed)
    top3 = sum(r["department"] in [x.department for x in d.ranked[:3]] for r, d in placed)
    wrong = sum(d.department != r["department"] for r, d in placed)
    out = {
        "complaints": n,
        "triage_rate": round(1 - len(placed) / n, 4),
        "top1_accuracy_placed": round(top1 / len(placed), 4) if placed else None,
        "top3_accuracy_placed": round(top3 / len(placed), 4) if placed else None,
        "wrong_department_rate": round(wrong / n, 4),
        "landed": round(sum(landing(d) == r["department"] for r, d in labeled) / n, 4),
        "top1_accuracy_all_ranked": round(
            sum(bool(d.ranked) and d.ranked[0].department == r["department"] for r, d in labeled) / n, 4
        ),
    }
    fs_rows = [(r, d) for r, d in labeled if "financial_service" in r]
    if fs_rows:
        tp = sum(bool(r["financial_service"]) and d.financial_service for r, d in fs_rows)
        fp = sum((not r["financial_service"]) and d.financial_service for r, d in fs_rows)
        fn = sum(bool(r["financial_service"]) and not d.financial_service for r, d in fs_rows)
        p = tp / (tp + fp) if tp + fp else 1.0
        rc = tp / (tp + fn) if tp + fn else 1.0
        out.update(
            fs_precision=round(p, 4), fs_recall=round(rc, 4), fs_f1=round(2 * p * rc / (p + rc), 4) if p + rc else 0.0
        )
    tw = [(r, d) for r, d in placed if r.get("department") == "township" and d.department == "township"]
    if tw:
        out["township_name_accuracy"] = round(sum(r.get("township") == d.township for r, d in tw) / len(tw), 4)
    also_rows = [(r, d) for r, d in placed if d.department == r["department"] and "also" in r]
    if also_rows:
        gold = sum(len(r["also"]) for r, _ in also_rows)
        pred = sum(len(d.also) for _, d in also_rows)
        hit = sum(len(set(r["also"]) & set(d.also)) for r, d in also_rows)
        out["also_precision"] = round(hit / pred, 4) if pred else None
        out["also_recall"] = round(hit / gold, 4) if gold else None
    # reliability of the confidence: for placed and triaged alike, is the best-ranked department right?
    bins = [(0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]
    table = []
    for lo, hi in bins:
        sel = [(r, d) for r, d in labeled if lo <= d.confidence < hi]
        if sel:
            acc = sum(bool(d.ranked) and d.ranked[0].department == r["department"] for r, d in sel) / len(sel)
            conf = sum(d.confidence for _, d in sel) / len(sel)
            table.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "n": len(sel), "mean_confidence": round(conf, 3),
                          "accuracy": round(acc, 3)})
    out["reliability"] = table
    ece = sum(t["n"] * abs(t["mean_confidence"] - t["accuracy"]) for t in table) / n
    out["expected_calibration_error"] = round(ece, 4)
    return out


def print_metrics(title: str, m: dict, file=None) -> None:
    file = file or sys.stdout
    print(f"== {title}", file=file)
    for key, value in m.items():
        if key == "reliability":
            print("reliability (confidence bin: n, mean confidence, accuracy of the best-ranked department):", file=file)
            for t in value:
                print(f"  {t['bin']}: n={t['n']:<4} conf={t['mean_confidence']:.3f} acc={t['accuracy']:.3f}", file=file)
        else:
            print(f"{key}: {value}", file=file)


def misses(rows: list[dict], decisions: list[Decision]) -> list[str]:
    out = []
    for r, d in zip(rows, decisions):
        if r.get("department") and (d.department != r["department"] or d.triage):
            state = "triage" if d.triage else "wrong"
            top = ",".join(f"{x.department}:{x.score:.2f}" for x in d.ranked[:3])
            out.append(f"{r['id']}: {state} gold={r['department']} got={d.department} ranked=[{top}]")
    return out


def correction(row: dict) -> Correction:
    """A labelled line as the correction a dispatcher would make."""
    return Correction(row.get("title", ""), row.get("text", ""), row["department"], row.get("financial_service"),
                      row.get("township"))


def prequential(clf: Classifier, rows: list[dict]) -> tuple[list[Decision], int]:
    """Classify in order; every wrong or triaged complaint is corrected and learned before the next one."""
    decisions, learned = [], 0
    for r in rows:
        d = clf.classify(r.get("title", ""), r.get("text", ""))
        decisions.append(d)
        if r.get("department") and (d.triage or d.department != r["department"]):
            clf.learn(correction(r))
            learned += 1
    return decisions, learned


def learning_curve(load, rows: list[dict], ks: list[int], file=None) -> list[dict]:
    """For each K: learn the first K labelled lines, score the rest and the common tail (after the largest K).

    ``similar`` counts the tail's complaints with a correction in memory at least ``memory_min_similarity`` alike,
    and how many of them land with their owner before any learning and after learning K corrections.
    """
    file = file or sys.stdout
    labelled = [r for r in rows if r.get("department")]
    tail = labelled[max(ks):]
    if not tail:
        raise SystemExit(f"--learn {max(ks)} leaves no labelled line to score")
    unlearned = load()
    before = [unlearned.classify(r.get("title", ""), r.get("text", "")) for r in tail]
    points = []
    print(f"== learning curve (first K labelled lines learned as corrections; tail = the {len(tail)} lines after "
          f"K={max(ks)})", file=file)
    for k in sorted(set(ks)):
        clf = load()
        for r in labelled[:k]:
            clf.learn(correction(r))
        rest = labelled[k:]
        rest_m = metrics(rest, [clf.classify(r.get("title", ""), r.get("text", "")) for r in rest])
        after = [clf.classify(r.get("title", ""), r.get("text", "")) for r in tail]
        landed = sum(landing(d) == r["department"] for r, d in zip(tail, after)) / len(tail)
        similar = [i for i, r in enumerate(tail) if clf.similar_corrections(r.get("title", ""), r.get("text", ""))]
        point = {
            "k": k,
            "rest": len(rest),
            "rest_landed": rest_m["landed"],
            "rest_wrong": rest_m["wrong_department_rate"],
            "tail_landed": round(landed, 4),
            "similar": len(similar),
            "similar_landed_before": sum(landing(before[i]) == tail[i]["department"] for i in similar),
            "similar_landed_after": sum(landing(after[i]) == tail[i]["department"] for i in similar),
        }
        points.append(point)
        print(f"  K={k:<3} rest n={point['rest']:<4} landed {point['rest_landed']:.3f} wrong {point['rest_wrong']:.3f}"
              f" | tail landed {point['tail_landed']:.3f} | tail with a similar correction: {point['similar']}, "
              f"landed {point['similar_landed_before']} before learning, {point['similar_landed_after']} after",
              file=file)
    return points


def _nll_grid(evidences: list[dict], golds: list[str]) -> tuple[float, float, float]:
    from .domain.decision import probabilities

    best = (math.inf, 0.0, 0.0)
    for t in [x / 4 for x in range(2, 33)]:
        for b in [x / 2 for x in range(0, 25)]:
            nll = 0.0
            for scores, gold in zip(evidences, golds):
                probs = dict(probabilities(scores, t, b))
                nll -= math.log(max(probs.get(gold, 0.0), 1e-3))
            if nll < best[0]:
                best = (nll, t, b)
    return best[1], best[2], best[0] / max(len(golds), 1)


def fit_calibration(clf: Classifier, rows: list[dict], folds: int = 5) -> dict:
    """Fit (temperature, null_score) by log-loss; report the k-fold held-out log-loss and calibration error."""
    from .domain.decision import probabilities

    evidences = [clf.scorer.score(r.get("title", ""), r.get("text", "")).department_scores() for r in rows]
    golds = [r["department"] for r in rows]
    held_nll, held_gap = 0.0, []
    for k in range(folds):
        train = [i for i in range(len(rows)) if i % folds != k]
        test = [i for i in range(len(rows)) if i % folds == k]
        t, b, _ = _nll_grid([evidences[i] for i in train], [golds[i] for i in train])
        for i in test:
            ranked = probabilities(evidences[i], t, b)
            probs = dict(ranked)
            held_nll -= math.log(max(probs.get(golds[i], 0.0), 1e-3))
            if ranked:
                held_gap.append((ranked[0][1], ranked[0][0] == golds[i]))
    t, b, nll = _nll_grid(evidences, golds)
    bins = [(0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]
    ece = 0.0
    for lo, hi in bins:
        sel = [(c, ok) for c, ok in held_gap if lo <= c < hi]
        if sel:
            ece += abs(sum(c for c, _ in sel) / len(sel) - sum(ok for _, ok in sel) / len(sel)) * len(sel)
    return {
        "temperature": t,
        "null_score": b,
        "fit_log_loss": round(nll, 4),
        f"heldout_{folds}fold_log_loss": round(held_nll / len(rows), 4),
        f"heldout_{folds}fold_calibration_error": round(ece / max(len(held_gap), 1), 4),
    }


def _without_groups(lexicon_path: str | None, drop: set[str]) -> str:
    import tempfile

    from .domain.lexicon import DEFAULT_LEXICON_PATH

    raw = json.loads(Path(lexicon_path or DEFAULT_LEXICON_PATH).read_text(encoding="utf-8"))
    known = {g["id"] for g in raw["groups"]}
    if drop - known:
        raise SystemExit(f"unknown lexicon groups: {sorted(drop - known)}")
    raw["groups"] = [g for g in raw["groups"] if g["id"] not in drop]

    def uses(rule: dict) -> bool:
        conds = [c for k in ("if_all", "if_any", "unless") for c in rule.get(k) or ()]
        then = rule.get("then", {})
        groups = set(then.get("scale_group", {})) | set(then.get("move_group", {}))
        return bool(groups & drop) or any(c.partition(":")[2] in drop for c in conds if c.startswith("group:"))

    raw["rules"] = [r for r in raw.get("rules", []) if not uses(r)]
    fh = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")
    with fh:
        json.dump(raw, fh, ensure_ascii=False)
    return fh.name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m services.router.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="JSONL with id, title, text (labels department, financial_service optional)")
    ap.add_argument("--output", help="write one prediction per line here")
    ap.add_argument("--lexicon", help="lexicon JSON (default shared/data/routing_lexicon.json)")
    ap.add_argument("--gazetteer", help="township gazetteer JSON (default shared/data/townships.json)")
    ap.add_argument("--threshold", type=float, help="triage threshold (default from the lexicon settings)")
    ap.add_argument("--learn", type=int, nargs="+", metavar="K",
                    help="learn the first K labelled lines as corrections and score the rest (several K: a curve)")
    ap.add_argument("--prequential", action="store_true", help="also replay the file learning every correction")
    ap.add_argument("--sweep", action="store_true", help="print figures for several triage thresholds")
    ap.add_argument("--misses", action="store_true", help="list wrong and triaged complaints")
    ap.add_argument("--drop-group", action="append", default=[], metavar="GROUP",
                    help="evaluate without this lexicon group (and the rules that use it): simulates a domain the "
                         "lexicon does not know, to measure what learning from corrections recovers")
    ap.add_argument("--fit-calibration", action="store_true", help="fit temperature and no-owner score to the labels")
    args = ap.parse_args(argv)

    if args.drop_group:
        args.lexicon = _without_groups(args.lexicon, set(args.drop_group))
    t0 = time.perf_counter()
    clf = Classifier.load(lexicon_path=args.lexicon, gazetteer_path=args.gazetteer, triage_threshold=args.threshold)
    load_s = time.perf_counter() - t0
    rows = read_jsonl(args.input)
    t1 = time.perf_counter()
    decisions = [clf.classify(r.get("title", "") or "", r.get("text", "") or "") for r in rows]
    per = (time.perf_counter() - t1) / max(len(rows), 1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            for r, d in zip(rows, decisions):
                fh.write(json.dumps(prediction(r, d), ensure_ascii=False) + "\n")
    m = metrics(rows, decisions)
    print(f"classified {len(rows)} complaints from {Path(args.input).name} (load {load_s:.2f}s, "
          f"{per * 1000:.2f} ms each, triage threshold {clf.triage_threshold})")
    if not m:
        return 0
    print_metrics("figures (no learning)", m)
    print_slices(rows, decisions, sys.stdout)
    if args.misses:
        print("\n".join(misses(rows, decisions)))
    if args.sweep:
        print("== triage threshold sweep")
        for thr in (0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
            c2 = Classifier.load(lexicon_path=args.lexicon, gazetteer_path=args.gazetteer, triage_threshold=thr)
            mm = metrics(rows, [c2.classify(r.get("title", ""), r.get("text", "")) for r in rows])
            print(f"  threshold {thr:.2f}: triage {mm['triage_rate']:.3f}  top1 {mm['top1_accuracy_placed']}  "
                  f"wrong {mm['wrong_department_rate']:.3f}")
    load = lambda: Classifier.load(  # noqa: E731 - the same settings for every fresh classifier
        lexicon_path=args.lexicon, gazetteer_path=args.gazetteer, triage_threshold=args.threshold)
    if args.learn:
        if min(args.learn) < 0:
            raise SystemExit("--learn K needs K >= 0")
        learning_curve(load, rows, args.learn)
    if args.prequential:
        fresh = load()
        dec2, learned = prequential(fresh, rows)
        half = len(rows) // 2
        print_metrics(f"prequential replay ({learned} corrections learned along the way)", metrics(rows, dec2))
        for name, sl in (("first half", slice(0, half)), ("second half", slice(half, None))):
            a = metrics(rows[sl], decisions[sl])
            b = metrics(rows[sl], dec2[sl])
            print(f"  {name}: top1_all without learning {a['top1_accuracy_all_ranked']}, with learning "
                  f"{b['top1_accuracy_all_ranked']}; wrong {a['wrong_department_rate']} -> {b['wrong_department_rate']}")
        again = [fresh.classify(r.get("title", ""), r.get("text", "")) for r in rows]
        print_metrics("second pass after learning (memorised; not a generalisation figure)", metrics(rows, again))
    if args.fit_calibration:
        fit = fit_calibration(clf, [r for r in rows if r.get("department")])
        print("== calibration fit: " + ", ".join(f"{k} {v}" for k, v in fit.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
