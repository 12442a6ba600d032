"""From department scores to a dispatch decision.

Scores become probability-like values with a temperature softmax that includes a "no owner" alternative
(``null_score``), so a complaint with little or split evidence gets a low confidence; below the triage
threshold it goes to the dispatcher's triage queue of the center instead of to a guess. The lead is the best
department not excluded (departments that returned the complaint never lead). Cooperating departments (``also``)
are those a lexicon rule names for this lead (the tax bureau collects the contributions of a social-insurance
claim), then departments with a matter of their own: a large share of the lead's evidence from at least
``also_strong_terms`` strong terms (天然气报装 and 燃气公司 beside a power connection) — never the center, which
coordinates rather than cooperates, and none beside the center as lead, whose matters are coordinated, not
split. A word or two of another department in the story makes none. ``financial_service`` is set when the
center leads on evidence about banks, lenders, guarantors or insurers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Outcome:
    department: str
    also: tuple[str, ...]
    confidence: float
    triage: bool
    triage_reason: str | None
    probabilities: tuple[tuple[str, float], ...]  # best first, excluded departments removed
    top: str | None  # best department before triage


def probabilities(scores: Mapping[str, float], temperature: float, null_score: float) -> list[tuple[str, float]]:
    if not scores:
        return []
    peak = max(max(scores.values()), null_score)
    exps = {d: math.exp((s - peak) / temperature) for d, s in scores.items() if s > 0}
    total = sum(exps.values()) + math.exp((null_score - peak) / temperature)
    ranked = sorted(((d, e / total) for d, e in exps.items()), key=lambda x: (-x[1], x[0]))
    return ranked


def decide(
    scores: Mapping[str, float],
    settings: Mapping[str, float],
    *,
    exclude: frozenset[str],
    center_id: str,
    township_id: str,
    township_name: str | None,
    triage_threshold: float,
    cooperating: Mapping[str, Iterable[str]] | None = None,
    strong_terms: Mapping[str, int] | None = None,
) -> Outcome:
    live = {d: s for d, s in scores.items() if d not in exclude and s > 0}
    ranked = probabilities(live, settings["temperature"], settings["null_score"])
    if not ranked:
        return Outcome(center_id, (), 0.0, True, "no department's duties match the complaint", (), None)
    top, confidence = ranked[0]
    lead_score = live[top]
    named = [d for d in (cooperating or {}).get(top, ()) if d != top and d not in exclude]
    close = [
        d
        for d, _ in ranked[1:]
        if top != center_id
        and d not in named
        and d != center_id
        and (strong_terms or {}).get(d, 0) >= settings["also_strong_terms"]
        and live[d] >= settings["also_ratio"] * lead_score
        and live[d] >= settings["also_min_score"]
    ]
    also = tuple(named + close)[: int(settings["also_max"])]
    triage_reason = None
    if confidence < triage_threshold:
        triage_reason = f"confidence {confidence:.2f} below the triage threshold {triage_threshold:.2f}"
    elif top == township_id and not township_name:
        triage_reason = "a township's own matter, but no township of the gazetteer is named"
    if triage_reason:
        return Outcome(center_id, (), round(confidence, 4), True, triage_reason, tuple(ranked), top)
    return Outcome(top, also, round(confidence, 4), False, None, tuple(ranked), top)
