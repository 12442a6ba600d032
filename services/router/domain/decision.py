"""From department scores to a dispatch decision.

Scores become probability-like values with a temperature softmax that includes a "no owner" alternative
(``null_score``), so a complaint with little or split evidence gets a low confidence; below the triage
threshold it goes to the dispatcher's triage queue of the center instead of to a guess. The lead is the best
department not excluded (departments that returned the complaint never lead); departments with a large share
of the lead's evidence cooperate (``also``). ``financial_service`` is set when the center leads on evidence
about banks, lenders, guarantors or insurers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping


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
) -> Outcome:
    live = {d: s for d, s in scores.items() if d not in exclude and s > 0}
    ranked = probabilities(live, settings["temperature"], settings["null_score"])
    if not ranked:
        return Outcome(center_id, (), 0.0, True, "no department's duties match the complaint", (), None)
    top, confidence = ranked[0]
    lead_score = live[top]
    also = tuple(
        d
        for d, _ in ranked[1:]
        if d != top
        and live[d] >= settings["also_ratio"] * lead_score
        and live[d] >= settings["also_min_score"]
    )[: int(settings["also_max"])]
    triage_reason = None
    if confidence < triage_threshold:
        triage_reason = f"confidence {confidence:.2f} below the triage threshold {triage_threshold:.2f}"
    elif top == township_id and not township_name:
        triage_reason = "a township's own matter, but no township of the gazetteer is named"
    if triage_reason:
        return Outcome(center_id, (), round(confidence, 4), True, triage_reason, tuple(ranked), top)
    return Outcome(top, also, round(confidence, 4), False, None, tuple(ranked), top)
