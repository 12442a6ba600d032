"""The router's explanation of a decision, kept in the few words people read: per department, its part (lead,
cooperating, candidate), its score and the terms of the complaint that pointed to it. Pure.

Intake keeps these with the decision they explain — in the history's ``routed`` and ``triage_required`` entries and
on the triage candidates — so the workbench shows a handler why a complaint came to them and a dispatcher why the
router hesitated. The terms are words of the routing lexicon found in the text, never the text itself.
"""

from __future__ import annotations

from typing import Any

#: Terms kept per department.
TERMS_KEPT = 6


def terms_of(entry: dict[str, Any]) -> list[str]:
    """The distinct terms an explanation entry names, strongest first."""
    return list(dict.fromkeys(str(t["term"]) for t in entry.get("terms") or [] if t.get("term")))[:TERMS_KEPT]


def condensed(explanation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each department of the explanation with its part, score and terms (the triage entry itself is left out)."""
    out: list[dict[str, Any]] = []
    for entry in explanation:
        department = entry.get("department")
        if not department or entry.get("role") == "triage":
            continue
        out.append({"department": department, "role": entry.get("role") or "suggested",
                    "score": entry.get("score"), "terms": terms_of(entry)})
    return out


def candidates(ranked: list[Any], explanation: list[dict[str, Any]], kept: int = 5) -> list[dict[str, Any]]:
    """The router's ranked candidates (``department``, ``score``), each with the terms that pointed to it."""
    terms: dict[str, list[str]] = {}
    for entry in explanation:
        if entry.get("department"):
            terms.setdefault(entry["department"], []).extend(terms_of(entry))
    return [{"department": r.department, "score": r.score,
             "terms": list(dict.fromkeys(terms.get(r.department, [])))[:TERMS_KEPT]} for r in ranked[:kept]]
