"""Load and validate the routing lexicon (``shared/data/routing_lexicon.json``).

The lexicon is data a reviewer can read: term groups that point to a catalog department (with a reason and
weighted terms, and word pairs that count when they stand close in one sentence, e.g. 拖欠 … 工资 in 拖欠了三个月的
工资), cue lists used by context rules and by the sentence roles of ``substance``, the context rules themselves,
and the decision settings.
This module turns the JSON into immutable objects and refuses a file that names unknown departments, groups
or cues, so a typo never silently changes routing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

DEFAULT_LEXICON_PATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "routing_lexicon.json"

DEFAULT_SETTINGS: dict[str, float] = {
    "title_weight": 1.4,
    "repeat_weight": 0.35,
    "temperature": 1.5,
    "null_score": 2.5,
    "triage_threshold": 0.4,
    "also_ratio": 0.5,
    "also_min_score": 2.0,
    "also_max": 2,
    "also_strong_terms": 2,
    "also_strong_weight": 5.0,
    "fs_min_score": 2.0,
    "fs_share": 0.4,
    "township_named_bonus": 1.0,
    "memory_weight": 6.0,
    "memory_min_similarity": 0.35,
    "memory_neighbours": 3,
    "memory_title_weight": 2.0,
    "memory_request_weight": 1.5,
    "learned_term_weight": 1.5,
    "learned_term_cap": 9.0,
    "company_name_max_chars": 10,
    "long_text_chars": 200,
    "title_weight_long": 2.0,
    "other_matters_share": 0.3,
    "address_weight": 0.0,
    "courtesy_weight": 0.0,
    "emotion_weight": 0.3,
    "request_weight_long": 1.3,
    "story_weight_long": 0.7,
}

EFFECTS = ("add", "scale_group", "move_group", "also")


class LexiconError(ValueError):
    """The lexicon file is malformed or refers to something that does not exist."""


@dataclass(frozen=True)
class NearPair:
    """A word of ``first`` and a word of ``second`` within ``window`` characters of one sentence, either order."""

    first: tuple[str, ...]
    second: tuple[str, ...]
    window: int
    weight: float


@dataclass(frozen=True)
class TermGroup:
    id: str
    department: str | None  # None: a blocking group (matches only to stop shorter terms)
    reason: str
    terms: Mapping[str, float]  # term -> weight
    financial_service: bool = False
    names_ok: bool = False  # terms still count inside a company name (banks, utilities, debtors)
    near: tuple[NearPair, ...] = ()
    matter: str = ""  # one of the department's unrelated matters (the center's sectors); "" = the department's one


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    if_all: tuple[str, ...]
    if_any: tuple[str, ...]
    unless: tuple[str, ...]
    add: Mapping[str, float]
    scale_group: Mapping[str, float]
    move_group: Mapping[str, str]
    also: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lead department -> cooperating ones


@dataclass(frozen=True)
class Lexicon:
    groups: tuple[TermGroup, ...]
    cues: Mapping[str, tuple[str, ...]]
    cue_reasons: Mapping[str, str]
    rules: tuple[Rule, ...]
    settings: Mapping[str, float]
    version: int = 1
    group_index: Mapping[str, TermGroup] = field(default_factory=dict)

    def group(self, group_id: str) -> TermGroup:
        return self.group_index[group_id]

    @property
    def departments(self) -> frozenset[str]:
        return frozenset(g.department for g in self.groups if g.department)


def _terms(group_id: str, raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise LexiconError(f"group {group_id}: 'terms' must be a non-empty object of weight -> list")
    out: dict[str, float] = {}
    for weight_text, terms in raw.items():
        try:
            weight = float(weight_text)
        except ValueError as exc:
            raise LexiconError(f"group {group_id}: weight {weight_text!r} is not a number") from exc
        if weight < 0 or weight > 20:
            raise LexiconError(f"group {group_id}: weight {weight} out of range 0..20")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise LexiconError(f"group {group_id}: terms under {weight_text!r} must be non-empty strings")
        for term in terms:
            key = normalize_term(term)
            if key in out and out[key] != weight:
                raise LexiconError(f"group {group_id}: term {term!r} listed twice with different weights")
            out[key] = weight
    return out


def _near(group_id: str, raw: Any) -> tuple[NearPair, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise LexiconError(f"group {group_id}: 'near' must be a list of word pairs")
    out = []
    for pair in raw:
        words = [pair.get(k) if isinstance(pair, dict) else None for k in ("first", "second")]
        if not all(isinstance(w, list) and w and all(isinstance(t, str) and t.strip() for t in w) for w in words):
            raise LexiconError(f"group {group_id}: each 'near' pair needs non-empty 'first' and 'second' word lists")
        window, weight = pair.get("window", 6), pair.get("weight")
        if not isinstance(window, int) or not 0 <= window <= 20:
            raise LexiconError(f"group {group_id}: a 'near' window must be 0..20 characters")
        if not isinstance(weight, (int, float)) or not 0 < weight <= 20:
            raise LexiconError(f"group {group_id}: a 'near' pair needs a weight within 0..20")
        first, second = (tuple(normalize_term(t) for t in w) for w in words)
        out.append(NearPair(first, second, window, float(weight)))
    return tuple(out)


def normalize_term(term: str) -> str:
    from .matcher import normalize

    return normalize(term)


def parse_lexicon(raw: Mapping[str, Any], department_ids: frozenset[str] | set[str]) -> Lexicon:
    """Build a validated :class:`Lexicon` from the parsed JSON object."""
    if not isinstance(raw, Mapping) or "groups" not in raw:
        raise LexiconError("lexicon must be an object with 'groups'")
    groups: list[TermGroup] = []
    seen: set[str] = set()
    for g in raw["groups"]:
        gid = g.get("id")
        if not gid or gid in seen:
            raise LexiconError(f"group id missing or duplicated: {gid!r}")
        seen.add(gid)
        dept = g.get("department")
        if dept is not None and dept not in department_ids:
            raise LexiconError(f"group {gid}: unknown department {dept!r}")
        if not str(g.get("reason", "")).strip():
            raise LexiconError(f"group {gid}: every group needs a 'reason' a reviewer can check")
        near = _near(gid, g.get("near"))
        groups.append(
            TermGroup(
                id=gid,
                department=dept,
                reason=g["reason"],
                terms=MappingProxyType(_terms(gid, g.get("terms")) if g.get("terms") or not near else {}),
                financial_service=bool(g.get("financial_service", False)),
                names_ok=bool(g.get("names_ok", False)),
                near=near,
                matter=str(g.get("matter") or ""),
            )
        )
    index = {g.id: g for g in groups}

    cues: dict[str, tuple[str, ...]] = {}
    cue_reasons: dict[str, str] = {}
    for name, cue in (raw.get("cues") or {}).items():
        terms = cue.get("terms") if isinstance(cue, Mapping) else cue
        if not terms or not all(isinstance(t, str) and t for t in terms):
            raise LexiconError(f"cue {name}: needs a non-empty list of strings")
        cues[name] = tuple(normalize_term(t) for t in terms)
        cue_reasons[name] = cue.get("reason", "") if isinstance(cue, Mapping) else ""

    def check_condition(rule_id: str, cond: str) -> None:
        kind, _, name = cond.partition(":")
        if kind == "group" and name in index:
            return
        if kind == "cue" and name in cues:
            return
        if kind == "dept" and name in department_ids:
            return
        if cond == "township":
            return
        raise LexiconError(f"rule {rule_id}: unknown condition {cond!r}")

    rules: list[Rule] = []
    rule_ids: set[str] = set()
    for r in raw.get("rules") or []:
        rid = r.get("id")
        if not rid or rid in rule_ids:
            raise LexiconError(f"rule id missing or duplicated: {rid!r}")
        rule_ids.add(rid)
        if not str(r.get("reason", "")).strip():
            raise LexiconError(f"rule {rid}: needs a 'reason'")
        conds = {k: tuple(r.get(k) or ()) for k in ("if_all", "if_any", "unless")}
        if not conds["if_all"] and not conds["if_any"]:
            raise LexiconError(f"rule {rid}: needs if_all or if_any")
        for cond in (c for v in conds.values() for c in v):
            check_condition(rid, cond)
        then = r.get("then") or {}
        unknown = set(then) - set(EFFECTS)
        if unknown or not then:
            raise LexiconError(f"rule {rid}: effects must be among {EFFECTS}, got {sorted(then)}")
        for dept in (then.get("add") or {}):
            if dept not in department_ids:
                raise LexiconError(f"rule {rid}: add to unknown department {dept!r}")
        for gid in (then.get("scale_group") or {}):
            if gid not in index:
                raise LexiconError(f"rule {rid}: scale of unknown group {gid!r}")
        for gid, dept in (then.get("move_group") or {}).items():
            if gid not in index or dept not in department_ids:
                raise LexiconError(f"rule {rid}: move {gid!r} -> {dept!r} names an unknown group or department")
        for lead, cooperating in (then.get("also") or {}).items():
            if lead not in department_ids or not cooperating or set(cooperating) - set(department_ids):
                raise LexiconError(f"rule {rid}: also {lead!r} -> {cooperating!r} names an unknown department")
        rules.append(
            Rule(
                id=rid,
                reason=r["reason"],
                add=MappingProxyType({k: float(v) for k, v in (then.get("add") or {}).items()}),
                scale_group=MappingProxyType({k: float(v) for k, v in (then.get("scale_group") or {}).items()}),
                move_group=MappingProxyType(dict(then.get("move_group") or {})),
                also=MappingProxyType({k: tuple(v) for k, v in (then.get("also") or {}).items()}),
                **conds,
            )
        )

    settings = dict(DEFAULT_SETTINGS)
    for key, value in (raw.get("settings") or {}).items():
        if key not in DEFAULT_SETTINGS:
            raise LexiconError(f"unknown setting {key!r}")
        settings[key] = float(value)
    return Lexicon(
        groups=tuple(groups),
        cues=MappingProxyType(cues),
        cue_reasons=MappingProxyType(cue_reasons),
        rules=tuple(rules),
        settings=MappingProxyType(settings),
        version=int(raw.get("version", 1)),
        group_index=MappingProxyType(index),
    )


def load_lexicon(path: str | Path | None, department_ids: frozenset[str] | set[str]) -> Lexicon:
    """Read and validate the lexicon file (default: ``shared/data/routing_lexicon.json``)."""
    p = Path(path) if path else DEFAULT_LEXICON_PATH
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LexiconError(f"{p}: not valid JSON: {exc}") from exc
    return parse_lexicon(raw, frozenset(department_ids))
