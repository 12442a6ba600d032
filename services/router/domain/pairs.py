"""Word pairs: two words that make a term when they stand close together in one sentence, in either order.

People do not write the lexicon's phrases; they write 拖欠了我们十几个人八个月的工资 where the lexicon has 拖欠工资,
and 公司一直没给我们交养老保险 where it has 未缴社保. A pair of the lexicon (a group's ``near``) counts once for each
place where a word of its first list and a word of its second list stand at most ``window`` characters apart
without the end of a sentence between them; the hit is named after its two words (拖欠…工资). A pair whose first
word is negated (从没拖欠过工资, 没有拖欠) does not count.
"""

from __future__ import annotations

import re
from typing import Iterable

from .lexicon import NearPair
from .matcher import Match, Occurrences

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_NEGATION = ("没", "没有", "从没", "从未", "未曾", "并未", "不曾", "从不", "不")


class PairFinder:
    def __init__(self, pairs: Iterable[tuple[str, NearPair]]):
        self._pairs = list(pairs)  # (group id, pair)
        self._words = Occurrences(frozenset(w for _, p in self._pairs for w in p.first + p.second))

    def find(self, text: str) -> list[tuple[Match, str, float]]:
        """(the span and its name, group id, weight) for every pair found, non-overlapping per pair, in text order."""
        if not self._pairs:
            return []
        found = self._words.find(text)
        if not found:
            return []
        out = []
        for gid, pair in self._pairs:
            firsts = sorted((m for m in found if m.term in pair.first), key=lambda m: (m.start, -m.end))
            seconds = [m for m in found if m.term in pair.second]
            last_end = -1
            for a in firsts:
                if a.start < last_end:
                    continue
                if text[max(a.start - 2, 0):a.start].endswith(_NEGATION):
                    last_end = a.end  # nor does a shorter word inside it (欠 in 没拖欠)
                    continue
                b = self._partner(text, a, seconds, pair.window)
                if b is None:
                    continue
                left, right = (a, b) if a.start < b.start else (b, a)
                out.append((Match(left.start, right.end, f"{left.term}…{right.term}"), gid, pair.weight))
                last_end = right.end
        return out

    @staticmethod
    def _partner(text: str, a: Match, seconds: list[Match], window: int) -> Match | None:
        best, gap = None, window + 1
        for b in seconds:
            lo, hi = (a.end, b.start) if b.start >= a.end else (b.end, a.start) if b.end <= a.start else (0, -1)
            if hi < lo or hi - lo >= gap or _SENTENCE_END.search(text, lo, hi):
                continue
            best, gap = b, hi - lo
        return best
