"""The duty scorer: lexicon evidence per department, with context rules applied.

For a title and a text it finds the lexicon terms and word pairs (title terms weigh more, in a long message even
more since its title names the matter; repeats count a little), weighs each term of the text by the role of its
sentence (``substance``: a salutation or thanks does not count, the request counts most in a long message), drops
terms that sit inside a company's name, groups the evidence by term group and by the center's matters, then applies
the lexicon's context rules (e.g. arrears between private firms move to the court; 贷款贴息 is not a financial
service). The result keeps every matched term and fired rule so a decision can explain itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .lexicon import Lexicon, Rule
from .matcher import Occurrences, PhraseMatcher, company_name_spans, inside, normalize
from .pairs import PairFinder
from .places import NamedPlace, TownshipFinder
from .segment import Segmenter
from .substance import SubstanceWeigher, sentence_at


@dataclass
class TermHit:
    term: str
    group: str
    weight: float
    where: str  # "title", or the role of its sentence in the text (request, story, emotion)


@dataclass
class Evidence:
    """Scores and their reasons for one complaint (mutable while rules apply; read-only afterwards)."""

    text: str  # normalised title + "。" + text
    title_chars: int = 0  # the title's length within ``text``
    other_matters_share: float = 1.0
    group_scores: dict[str, float] = field(default_factory=dict)
    group_department: dict[str, str] = field(default_factory=dict)
    hits: dict[str, list[TermHit]] = field(default_factory=lambda: defaultdict(list))
    added: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    fired: list[Rule] = field(default_factory=list)
    townships: list[str] = field(default_factory=list)  # gazetteer names, in the order of their first mention
    group_matter: dict[str, str] = field(default_factory=dict)  # groups of one of a department's several matters
    cooperating: dict[str, list[str]] = field(default_factory=dict)  # lead -> departments a rule says cooperate

    def matter_scores(self) -> dict[str, dict[str, float]]:
        """Evidence per department and matter; "" holds the groups that name no matter."""
        matters: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for gid, score in self.group_scores.items():
            matters[self.group_department[gid]][self.group_matter.get(gid, "")] += score
        return matters

    def department_scores(self) -> dict[str, float]:
        """A department's evidence: the groups that name no matter, its strongest matter, and a share of the others.

        The center owns unrelated matters (banks, schools, buses, pollution …): a story that mentions a school and a
        bank on the way to a wage claim must not add them up against the wage claim. What the center does for any
        matter (buck-passing, an unanswered complaint) names no matter and always counts.
        """
        scores: dict[str, float] = {}
        for dept, by_matter in self.matter_scores().items():
            ranked = sorted((v for m, v in by_matter.items() if m), reverse=True)
            scores[dept] = by_matter.get("", 0.0) + (
                ranked[0] + self.other_matters_share * sum(ranked[1:]) if ranked else 0.0)
        for dept, extra in self.added.items():
            scores[dept] = scores.get(dept, 0.0) + extra
        return {d: s for d, s in scores.items() if s > 1e-9}

    def strong_terms(self, weight: float) -> dict[str, int]:
        """Per department, how many distinct terms weigh at least ``weight`` in this complaint."""
        out: dict[str, int] = defaultdict(int)
        for gid, hits in self.hits.items():
            if self.group_scores.get(gid, 0.0) > 0:
                out[self.group_department[gid]] += sum(h.weight >= weight for h in hits)
        return out

    def groups_of(self, department: str) -> list[str]:
        return [g for g, d in self.group_department.items() if d == department and self.group_scores.get(g, 0) > 0]


class DutyScorer:
    def __init__(self, lexicon: Lexicon, segmenter: Segmenter, townships: tuple[NamedPlace, ...] = ()):
        self.lexicon = lexicon
        self.segmenter = segmenter
        self.places = TownshipFinder(townships, segmenter)
        # term -> [(group id, weight)]; blocking groups have department None
        index: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for group in lexicon.groups:
            for term, weight in group.terms.items():
                index[term].append((group.id, weight))
        for name in self.places.words:  # a township's own name never feeds the word 街道/镇 etc.
            index.setdefault(name, [])
        self._index = dict(index)
        self._matcher = PhraseMatcher(frozenset(self._index))
        self._pairs = PairFinder(
            (group.id, pair) for group in lexicon.groups if group.department for pair in group.near
        )
        s = lexicon.settings
        self._title_weight = s["title_weight"]
        self._title_weight_long = s["title_weight_long"]
        self._long = int(s["long_text_chars"])
        self._other_matters = s["other_matters_share"]
        self._repeat = s["repeat_weight"]
        self._name_chars = int(s["company_name_max_chars"])
        self.substance = SubstanceWeigher(lexicon.cues, s)
        self._cue_of: dict[str, set[str]] = defaultdict(set)
        for name, terms in lexicon.cues.items():
            for term in terms:
                self._cue_of[term].add(name)
        self._cue_words = Occurrences(frozenset(self._cue_of))

    def score(self, title: str, text: str) -> Evidence:
        title_n, text_n = normalize(title), normalize(text)
        ev = Evidence(text=title_n + "。" + text_n, title_chars=len(title_n), other_matters_share=self._other_matters)
        best: dict[tuple[str, str], TermHit] = {}
        counts: dict[tuple[str, str], int] = defaultdict(int)
        groups = self.lexicon.group_index
        title_factor = self._title_weight_long if len(text_n) >= self._long else self._title_weight
        for part, where, factor in ((title_n, "title", title_factor), (text_n, "text", 1.0)):
            if not part:
                continue
            found = [(m, self._index[m.term]) for m in self._matcher.scan(part)]
            found += [(m, [(gid, weight)]) for m, gid, weight in self._pairs.find(part)]
            if not found:
                continue
            names = None
            edges = None
            sentences = self.substance.sentences(part) if where == "text" else None
            starts = [x.start for x in sentences] if sentences else None
            for m, entries in found:
                if not entries:
                    continue
                at, weigh = where, factor
                if sentences:
                    sentence = sentence_at(sentences, starts, m.start)
                    at, weigh = sentence.role, sentence.weight
                    if weigh <= 0:
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
                    hit = TermHit(m.term, gid, weight * weigh, at)
                    if key not in best or hit.weight > best[key].weight:
                        best[key] = hit
        for key, hit in best.items():
            extra = min(counts[key] - 1, 2)
            hit.weight = round(hit.weight * (1 + self._repeat * extra), 4)
            gid = key[0]
            ev.hits[gid].append(hit)
            ev.group_scores[gid] = ev.group_scores.get(gid, 0.0) + hit.weight
            ev.group_department[gid] = groups[gid].department  # type: ignore[assignment]
            if groups[gid].matter:
                ev.group_matter[gid] = groups[gid].matter
        ev.townships = self.places.find(ev.text)
        self._apply_rules(ev)
        return ev

    def _holds(self, cond: str, ev: Evidence, cues: set[str]) -> bool:
        kind, _, name = cond.partition(":")
        if kind == "group":
            return ev.group_scores.get(name, 0.0) > 0
        if kind == "cue":
            return name in cues
        if kind == "dept":
            return ev.department_scores().get(name, 0.0) > 0
        return bool(ev.townships)  # "township"

    def _apply_rules(self, ev: Evidence) -> None:
        cues = {name for m in self._cue_words.find(ev.text) for name in self._cue_of[m.term]}
        for rule in self.lexicon.rules:
            if not all(self._holds(c, ev, cues) for c in rule.if_all):
                continue
            if rule.if_any and not any(self._holds(c, ev, cues) for c in rule.if_any):
                continue
            if any(self._holds(c, ev, cues) for c in rule.unless):
                continue
            changed = False
            for gid, factor in rule.scale_group.items():
                if ev.group_scores.get(gid, 0.0) > 0:
                    ev.group_scores[gid] *= factor
                    changed = True
            for gid, dept in rule.move_group.items():
                if ev.group_scores.get(gid, 0.0) > 0:
                    ev.group_department[gid] = dept
                    ev.group_matter.pop(gid, None)
                    changed = True
            for dept, extra in rule.add.items():
                ev.added[dept] += extra
                changed = True
            for lead, cooperating in rule.also.items():
                ev.cooperating.setdefault(lead, []).extend(d for d in cooperating if d not in ev.cooperating[lead])
                changed = True
            if changed:
                ev.fired.append(rule)
