"""The complaint router's classifier: duty scorer + correction memory + decision, behind one small API.

``Classifier.load()`` reads the catalog, the gazetteer and the lexicon (all data files) and precompiles the
matchers; ``classify()`` returns a :class:`Decision` with ranked departments, the lead and cooperating
departments, a calibrated confidence, the financial-service flag, triage, the township and an explanation;
``learn()`` stores a person's correction so later similar complaints are placed the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from shared.catalog import CATALOG_PATH, CENTER_ID, TOWNSHIP_ID, Catalog, Township, load_catalog, load_gazetteer

from .decision import decide
from .lexicon import Lexicon, load_lexicon
from .matcher import normalize
from .memory import CorrectionMemory, LearnedTerms, Neighbour
from .scorer import DutyScorer, Evidence
from .segment import Segmenter


@dataclass(frozen=True)
class RankedDepartment:
    department: str  # catalog id
    score: float  # 0..1, normalised probability-like


@dataclass(frozen=True)
class Decision:
    department: str  # lead department id; "center" when triage
    also: tuple[str, ...]  # cooperating department ids (never contains department)
    confidence: float  # calibrated 0..1
    financial_service: bool
    triage: bool  # True -> goes to the dispatcher's triage queue of center
    township: str | None  # township NAME when department == "township"
    ranked: tuple[RankedDepartment, ...]  # all departments with non-zero score, best first
    explanation: tuple[dict, ...]  # JSON-able: per driving department, the matched terms/rules and duty text

    def to_dict(self) -> dict:
        return {
            "department": self.department,
            "also": list(self.also),
            "confidence": self.confidence,
            "financial_service": self.financial_service,
            "triage": self.triage,
            "township": self.township,
            "ranked": [asdict(r) for r in self.ranked],
            "explanation": [dict(e) for e in self.explanation],
        }


@dataclass(frozen=True)
class Correction:
    title: str
    text: str
    department: str
    financial_service: bool | None = None
    township: str | None = None


class Classifier:
    def __init__(self, catalog: Catalog, lexicon: Lexicon, townships: tuple[Township, ...], triage_threshold: float):
        self.catalog = catalog
        self.lexicon = lexicon
        self.township_names = tuple(t.name for t in townships)
        self.triage_threshold = triage_threshold
        self._terms = {t for g in lexicon.groups if g.department for t in g.terms}
        place_words = {normalize(w) for t in townships for w in (t.name, *t.aliases)}
        self.segmenter = Segmenter(sorted(self._terms | place_words))
        self.scorer = DutyScorer(lexicon, self.segmenter, townships)
        self.memory = CorrectionMemory()
        self.learned_terms = LearnedTerms()
        self._learned: dict[str, list[tuple[str, float]]] = {}
        self._duties = {d.id: d.duties for d in catalog.departments}
        self._names = {d.id: d.name for d in catalog.departments}

    @classmethod
    def load(
        cls,
        *,
        catalog_path: str | Path | None = None,
        lexicon_path: str | Path | None = None,
        gazetteer_path: str | Path | None = None,
        triage_threshold: float | None = None,
    ) -> "Classifier":
        catalog = load_catalog(Path(catalog_path) if catalog_path else CATALOG_PATH)
        gazetteer = load_gazetteer(gazetteer_path)
        lexicon = load_lexicon(lexicon_path, frozenset(catalog.ids))
        for required in (CENTER_ID, TOWNSHIP_ID):
            if required not in catalog:
                raise ValueError(f"the catalog must contain {required!r}")
        threshold = lexicon.settings["triage_threshold"] if triage_threshold is None else float(triage_threshold)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("triage_threshold must be within 0..1")
        return cls(catalog, lexicon, gazetteer.townships, threshold)

    def department_name(self, department_id: str) -> str:
        return self._names.get(department_id, department_id)

    # ------------------------------------------------------------------ classification
    def classify(self, title: str, text: str, *, exclude: frozenset[str] = frozenset(),
                 suggested: str | None = None) -> Decision:
        """Place a complaint. ``suggested`` is the department a handler named when returning this very complaint:
        it weighs as a fully similar correction would (it outweighs the lexicon's evidence), for this decision only —
        the model learns the correction once it is committed, not here."""
        settings = self.lexicon.settings
        evidence = self.scorer.score(title or "", text or "")
        scores = evidence.department_scores()
        neighbours = self._recall(evidence, scores)
        if suggested and suggested not in exclude:
            scores[suggested] = scores.get(suggested, 0.0) + settings["memory_weight"] + max(scores.values(),
                                                                                             default=0.0)
        township_name = self._township_name(evidence, neighbours)
        if township_name and scores.get(TOWNSHIP_ID, 0.0) > 0:
            scores[TOWNSHIP_ID] += settings["township_named_bonus"]
        outcome = decide(
            scores,
            settings,
            exclude=frozenset(exclude),
            center_id=CENTER_ID,
            township_id=TOWNSHIP_ID,
            township_name=township_name,
            triage_threshold=self.triage_threshold,
            cooperating=evidence.cooperating,
            strong_terms=evidence.strong_terms(settings["also_strong_weight"]),
        )
        fs = self._financial_service(evidence, scores, outcome.top, neighbours)
        department = outcome.department
        township = township_name if department == TOWNSHIP_ID else None
        # Shown to four places: a department whose share rounds to nothing is not a candidate.
        ranked = tuple(RankedDepartment(d, round(p, 4)) for d, p in outcome.probabilities if round(p, 4) > 0)
        explanation = self._explain(evidence, scores, outcome, neighbours, township, fs, exclude)
        if suggested and suggested not in exclude:
            explanation = (*explanation, {"department": suggested, "suggested_by": "returning department"})
        return Decision(
            department=department,
            also=tuple(a for a in outcome.also if a != department),
            confidence=outcome.confidence,
            financial_service=fs,
            triage=outcome.triage,
            township=township,
            ranked=ranked,
            explanation=explanation,
        )

    def _recall(self, evidence: Evidence, scores: dict[str, float]) -> list[Neighbour]:
        self._learned = {}
        if not len(self.memory):
            return []
        s = self.lexicon.settings
        title_chars = evidence.title_chars
        weights = self._features(evidence.text[:title_chars], evidence.text[title_chars + 1:])
        peak = max(scores.values(), default=0.0)
        votes = self.learned_terms.votes(set(weights))
        for dept, words in votes.items():
            scores[dept] = scores.get(dept, 0.0) + min(
                s["learned_term_weight"] * sum(p for _, p in words), s["learned_term_cap"]
            )
        self._learned = votes
        neighbours = self.memory.nearest(weights, int(s["memory_neighbours"]), s["memory_min_similarity"])
        if neighbours:
            for n in neighbours:
                # a fully similar correction outweighs any lexicon evidence; a half-similar one brings its
                # department to about half the current leader
                scores[n.item.department] = scores.get(n.item.department, 0.0) + n.similarity * (
                    s["memory_weight"] + peak
                )
        return neighbours

    def _features(self, title: str, text: str) -> dict[str, float]:
        """Content words of a normalised complaint, weighted for the correction memory.

        Lexicon terms count double; words of the title and of the request count more than the story's, and the
        salutation and thanks not at all — in a long message the story would otherwise make two complaints
        about the same matter look different, and two about different matters alike.
        """
        s = self.lexicon.settings
        weights: dict[str, float] = {}

        def put(words: set[str], factor: float) -> None:
            for w in words:
                weight = factor * (2.0 if w in self._terms else 1.0)
                if weight > weights.get(w, 0.0):
                    weights[w] = weight

        put(self.segmenter.features(title), s["memory_title_weight"])
        for sentence in self.scorer.substance.sentences(text):
            if sentence.role in ("address", "courtesy"):
                continue
            factor = s["memory_request_weight"] if sentence.role == "request" else 1.0
            put(self.segmenter.features(text[sentence.start:sentence.end]), factor)
        return weights

    def _township_name(self, evidence: Evidence, neighbours: list[Neighbour]) -> str | None:
        if evidence.townships:
            return evidence.townships[0]  # the first named in the text
        for n in neighbours:
            if n.item.department == TOWNSHIP_ID and n.item.township and n.similarity >= 0.8:
                return n.item.township
        return None

    def _financial_service(
        self, evidence: Evidence, scores: dict[str, float], top: str | None, neighbours: list[Neighbour]
    ) -> bool:
        if top != CENTER_ID:
            return False
        for n in neighbours:
            if n.item.department == CENTER_ID and n.item.financial_service is not None and n.similarity >= 0.6:
                return n.item.financial_service
        s = self.lexicon.settings
        fs_score = sum(
            score
            for gid, score in evidence.group_scores.items()
            if evidence.group_department[gid] == CENTER_ID and self.lexicon.group(gid).financial_service
        )
        fs_matters = {g.matter for g in self.lexicon.groups if g.financial_service}
        other_matters = [v for m, v in evidence.matter_scores().get(CENTER_ID, {}).items() if m and m not in fs_matters]
        # the center leads on the firm's bank or insurer, not on a school or a bus that a bank loan is mentioned with
        return (
            fs_score >= s["fs_min_score"]
            and fs_score >= s["fs_share"] * scores.get(CENTER_ID, 0.0)
            and fs_score >= max(other_matters, default=0.0)
        )

    # ------------------------------------------------------------------ explanation
    def _explain(self, evidence, scores, outcome, neighbours, township, fs, exclude) -> tuple[dict, ...]:
        probs = dict(outcome.probabilities)
        shown: list[tuple[str, str]] = []
        if outcome.triage:
            shown.append((CENTER_ID, "triage"))
            shown += [(d, "candidate") for d, _ in outcome.probabilities[:3] if d != CENTER_ID or True][:3]
        else:
            shown.append((outcome.department, "lead"))
            shown += [(d, "also") for d in outcome.also]
        seen: set[str] = set()
        out: list[dict] = []
        for dept, role in shown:
            key = f"{dept}:{role}"
            if key in seen:
                continue
            seen.add(key)
            entry: dict = {
                "department": dept,
                "name": self.department_name(dept),
                "role": role,
                "score": round(probs.get(dept, 0.0), 4),
                "evidence": round(scores.get(dept, 0.0), 3),
                "duties": self._duties.get(dept, ""),
            }
            if role == "triage":
                entry["reason"] = outcome.triage_reason
                entry["score"] = outcome.confidence
                if fs:
                    entry["financial_service"] = True
                out.append(entry)
                continue
            terms = []
            groups = []
            for gid in evidence.groups_of(dept):
                group = self.lexicon.group(gid)
                groups.append({"id": gid, "reason": group.reason})
                terms += [
                    {"term": h.term, "weight": round(h.weight, 3), "in": h.where, "group": gid}
                    for h in sorted(evidence.hits[gid], key=lambda h: -h.weight)
                ]
            entry["terms"] = terms[:12]
            entry["groups"] = groups
            rules = [
                {"id": r.id, "reason": r.reason}
                for r in evidence.fired
                if dept in r.add
                or dept in r.move_group.values()
                or any(dept in cooperating for cooperating in r.also.values())
                or any(evidence.group_department.get(g) == dept for g in list(r.scale_group) + list(r.move_group))
            ]
            if rules:
                entry["rules"] = rules
            mem = [
                {"similar_correction": n.item.title, "similarity": n.similarity}
                for n in neighbours
                if n.item.department == dept
            ]
            if mem:
                entry["memory"] = mem
            if self._learned.get(dept):
                entry["learned_terms"] = [{"term": t, "purity": p} for t, p in self._learned[dept][:10]]
            if dept == TOWNSHIP_ID and township:
                entry["township"] = township
            matters = {m: round(v, 3) for m, v in evidence.matter_scores().get(dept, {}).items() if m}
            if matters:  # which of the center's matters it is (education, transport, financial_service …)
                entry["matters"] = dict(sorted(matters.items(), key=lambda kv: -kv[1]))
            if dept == CENTER_ID and fs and role == "lead":
                entry["financial_service"] = True
            out.append(entry)
        if exclude:
            out.append({"excluded": sorted(exclude), "reason": "these departments returned the complaint"})
        return tuple(out)

    # ------------------------------------------------------------------ learning
    def similar_corrections(self, title: str, text: str) -> list[Neighbour]:
        """The stored corrections similar enough to this complaint to vote on its department."""
        if not len(self.memory):
            return []
        s = self.lexicon.settings
        features = self._features(normalize(title), normalize(text))
        return self.memory.nearest(features, int(s["memory_neighbours"]), s["memory_min_similarity"])

    def learn(self, correction: Correction) -> None:
        if correction.department not in self.catalog:
            raise ValueError(f"unknown department {correction.department!r}")
        features = self._features(normalize(correction.title), normalize(correction.text))
        self.learned_terms.add(set(features), correction.department)
        self.memory.add(
            correction.title,
            features,
            correction.department,
            correction.financial_service,
            correction.township,
        )
