"""Memory of corrections: a nearest-neighbour store of complaints whose right department a person decided.

When a handler returns (退回) a complaint naming the right department, or a dispatcher places a triaged one,
the correction is learned here. Each stored complaint is a weighted set of content words (the classifier weighs
them: lexicon terms, the title and the request count more); a new complaint is compared with an inverted index
and cosine similarity, and the most similar corrections vote for their department in proportion to their
similarity. The store is plain in-memory data:
the router service keeps the corrections in its database and every replica teaches them through ``learn`` once
committed (``services.router.learning``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Remembered:
    title: str
    department: str
    financial_service: bool | None
    township: str | None
    weights: tuple[tuple[str, float], ...]
    norm: float


@dataclass(frozen=True)
class Neighbour:
    item: Remembered
    similarity: float


class CorrectionMemory:
    def __init__(self) -> None:
        self._items: list[Remembered] = []
        self._weights: list[dict[str, float]] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._by_features: dict[frozenset[str], int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(
        self,
        title: str,
        weights: dict[str, float],
        department: str,
        financial_service: bool | None,
        township: str | None,
    ) -> None:
        if not weights:
            return
        norm = math.sqrt(sum(w * w for w in weights.values()))
        item = Remembered(title, department, financial_service, township, tuple(sorted(weights.items())), norm)
        key = frozenset(weights)
        if key in self._by_features:  # the same complaint corrected again: the latest correction wins
            self._items[self._by_features[key]] = item
            self._weights[self._by_features[key]] = dict(weights)
            return
        idx = len(self._items)
        self._items.append(item)
        self._weights.append(dict(weights))
        self._by_features[key] = idx
        for feature in weights:
            self._postings[feature].append(idx)

    def nearest(self, weights: dict[str, float], k: int, min_similarity: float) -> list[Neighbour]:
        if not self._items or not weights:
            return []
        dots: dict[int, float] = defaultdict(float)
        for feature, w in weights.items():
            for idx in self._postings.get(feature, ()):
                dots[idx] += w * self._weights[idx][feature]
        if not dots:
            return []
        norm = math.sqrt(sum(w * w for w in weights.values()))
        scored = [(dot / (norm * self._items[idx].norm), idx) for idx, dot in dots.items()]
        scored.sort(reverse=True)
        return [Neighbour(self._items[idx], round(sim, 4)) for sim, idx in scored[:k] if sim >= min_similarity]


class LearnedTerms:
    """Words that people's corrections keep tying to one department (an incrementally trained term model).

    A word counts once it has appeared in at least ``min_count`` corrections to the same department and at
    least ``min_purity`` of the corrections that contain it went there; its vote is its purity. This carries a
    correction over to later complaints that share the telling words but not the whole text.
    """

    def __init__(self, min_count: int = 2, min_purity: float = 0.6) -> None:
        self.min_count = min_count
        self.min_purity = min_purity
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._totals: dict[str, int] = defaultdict(int)

    def add(self, features: set[str], department: str) -> None:
        for f in features:
            self._counts[f][department] += 1
            self._totals[f] += 1

    def votes(self, features: set[str]) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for f in features:
            total = self._totals.get(f)
            if not total:
                continue
            for dept, count in self._counts[f].items():
                purity = count / total
                if count >= self.min_count and purity >= self.min_purity:
                    out[dept].append((f, round(purity, 3)))
        return out
