"""The duty scorer: lexicon evidence per department, with context rules applied.

For a title and a text it finds the lexicon terms (title terms weigh more, repeats count a little), drops
terms that sit inside a company's name, groups the evidence by term group, then applies the lexicon's context
rules (e.g. arrears between private firms move to the court; 贷款贴息 is not a financial service). The result
keeps every matched term and fired rule so a decision can explain itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .lexicon import Lexicon, Rule
from .matcher import PhraseMatcher, company_name_spans, inside, normalize
from .segment import Segmenter


@dataclass
class TermHit:
    term: str
    group: str
    weight: float
    where: str  # "title" or "text"


@dataclass
class Evidence:
    """Scores and their reasons for one complaint (mutable while rules apply; read-only afterwards)."""

    text: str  # normalised title + text
    group_scores: dict[str, float] = field(default_factory=dict)
    group_department: dict[str, str] = field(default_factory=dict)
    hits: dict[str, list[TermHit]] = field(default_factory=lambda: defaultdict(list))
    added: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    fired: list[Rule] = field(default_factory=list)
    townships: list[str] = field(default_factory=list)

    def department_scores(self) -> dict[str, float]:
        scores: dict[str, float] = defaultdict(float)
        for gid, score in self.group_scores.items():
            scores[self.group_department[gid]] += score
        for dept, extra in self.added.items():
            scores[dept] += extra
        return {d: s for d, s in scores.items() if s > 1e-9}

    def groups_of(self, department: str) -> list[str]:
        return [g for g, d in self.group_department.items() if d == department and self.group_scores.get(g, 0) > 0]


class DutyScorer:
    def __init__(self, lexicon: Lexicon, segmenter: Segmenter, township_names: tuple[str, ...] = ()):
        self.lexicon = lexicon
        self.segmenter = segmenter
        self.township_names = tuple(normalize(n) for n in township_names)
        # term -> [(group id, weight)]; blocking groups have department None
        index: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for group in lexicon.groups:
            for term, weight in group.terms.items():
                index[term].append((group.id, weight))
        for name in self.township_names:  # a township's own name never feeds the word 街道/镇 etc.
            index.setdefault(name, [])
        self._index = dict(index)
        self._matcher = PhraseMatcher(frozenset(self._index))
        s = lexicon.settings
        self._title_weight = s["title_weight"]
        self._repeat = s["repeat_weight"]
        self._name_chars = int(s["company_name_max_chars"])

    def score(self, title: str, text: str) -> Evidence:
        title_n, text_n = normalize(title), normalize(text)
        ev = Evidence(text=title_n + "。" + text_n)
        best: dict[tuple[str, str], TermHit] = {}
        counts: dict[tuple[str, str], int] = defaultdict(int)
        groups = self.lexicon.group_index
        for part, where, factor in ((title_n, "title", self._title_weight), (text_n, "text", 1.0)):
            if not part:
                continue
            matches = self._matcher.scan(part)
            if not matches:
                continue
            names = None
            edges = None
            for m in matches:
                entries = self._index[m.term]
                if not entries:
                    continue
                if len(m.term) == 1:  # one-character terms must stand as a word
                    if edges is None:
                        edges = self.segmenter.boundaries(part)
                    if m.start not in edges or m.end not in edges:
                        continue
                for gid, weight in entries:
                    group = groups[gid]
                    if group.department is None or weight <= 0:
                        continue
                    if not group.names_ok:
                        if names is None:
                            names = company_name_spans(part, self._name_chars)
                        if names and inside(names, m.start, m.end):
                            continue
                    key = (gid, m.term)
                    counts[key] += 1
                    hit = TermHit(m.term, gid, weight * factor, where)
                    if key not in best or hit.weight > best[key].weight:
                        best[key] = hit
        for key, hit in best.items():
            extra = min(counts[key] - 1, 2)
            hit.weight = round(hit.weight * (1 + self._repeat * extra), 4)
            gid = key[0]
            ev.hits[gid].append(hit)
            ev.group_scores[gid] = ev.group_scores.get(gid, 0.0) + hit.weight
            ev.group_department[gid] = groups[gid].department  # type: ignore[assignment]
        ev.townships = [n for n in self.township_names if n in ev.text]
        self._apply_rules(ev)
        return ev

    def _holds(self, cond: str, ev: Evidence) -> bool:
        kind, _, name = cond.partition(":")
        if kind == "group":
            return ev.group_scores.get(name, 0.0) > 0
        if kind == "cue":
            text = ev.text
            return any(term in text for term in self.lexicon.cues[name])
        if kind == "dept":
            return ev.department_scores().get(name, 0.0) > 0
        return bool(ev.townships)  # "township"

    def _apply_rules(self, ev: Evidence) -> None:
        for rule in self.lexicon.rules:
            if not all(self._holds(c, ev) for c in rule.if_all):
                continue
            if rule.if_any and not any(self._holds(c, ev) for c in rule.if_any):
                continue
            if any(self._holds(c, ev) for c in rule.unless):
                continue
            changed = False
            for gid, factor in rule.scale_group.items():
                if ev.group_scores.get(gid, 0.0) > 0:
                    ev.group_scores[gid] *= factor
                    changed = True
            for gid, dept in rule.move_group.items():
                if ev.group_scores.get(gid, 0.0) > 0:
                    ev.group_department[gid] = dept
                    changed = True
            for dept, extra in rule.add.items():
                ev.added[dept] += extra
                changed = True
            if changed:
                ev.fired.append(rule)
