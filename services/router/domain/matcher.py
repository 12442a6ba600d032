"""Text normalisation and the precompiled phrase scan over complaint text.

A character trie of every lexicon term finds, at each position, the longest term starting there; overlapping
candidates are then resolved longest-first, so a phrase such as 电子税务局 or 贷款贴息 overrides the shorter
用电 or 贷款 inside it. Terms that fall inside a company's name (…有限公司) are dropped unless their group says
names count (banks, utilities), because a firm called 某某电力设备有限公司 is not complaining about electricity.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
_COMPANY_SUFFIX = re.compile(r"有限责任公司|股份有限公司|有限公司|集团|公司|厂|合作社")
# characters that end a company name when reading backwards from its suffix
_NAME_STOP = set("，。、；：！？,.;:!?()（）“”\"'《》【】[] \t\n在与和向的是家被给对从县市省区我该及即到由把将为同跟这那其某")

_END = ""  # key marking a terminal node in the trie


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or "")).lower()


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    term: str


class PhraseMatcher:
    """Longest-match scan of a fixed vocabulary; built once, used for every complaint."""

    def __init__(self, terms: set[str] | frozenset[str]):
        root: dict = {}
        for term in terms:
            if not term:
                continue
            node = root
            for ch in term:
                node = node.setdefault(ch, {})
            node[_END] = term
        self._root = root

    def scan(self, text: str) -> list[Match]:
        """Non-overlapping matches, longer terms first, then earlier ones; returned in text order."""
        root = self._root
        candidates: list[tuple[int, int, str]] = []
        n = len(text)
        for i in range(n):
            node = root.get(text[i])
            if node is None:
                continue
            best = node.get(_END)
            best_end = i + 1
            j = i + 1
            while j < n:
                node = node.get(text[j])
                if node is None:
                    break
                j += 1
                term = node.get(_END)
                if term is not None:
                    best, best_end = term, j
            if best is not None:
                candidates.append((i, best_end, best))
        if not candidates:
            return []
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        taken = bytearray(n)
        chosen: list[Match] = []
        for start, end, term in candidates:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append(Match(start, end, term))
        chosen.sort(key=lambda m: m.start)
        return chosen


def company_name_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Spans (start, end) of probable company names, without their suffix (有限公司, 厂 …)."""
    spans: list[tuple[int, int]] = []
    for m in _COMPANY_SUFFIX.finditer(text):
        end = m.start()
        start = end
        while start > 0 and end - start < max_chars and text[start - 1] not in _NAME_STOP:
            start -= 1
        if end - start >= 2:
            spans.append((start, end))
    return spans


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)
