"""Text normalisation and the precompiled phrase scan over complaint text.

An Aho–Corasick automaton of every lexicon term (ahocorasick-rs, the Rust aho-corasick crate: one pass over the
text whatever the size of the lexicon, where a trie walked in Python cost most of a classification of a long
message) finds every occurrence of every term, overlapping ones included; the longest term starting at each
position is a candidate, and overlapping candidates are then resolved longest-first, so a phrase such as 电子税务局
or 贷款贴息 overrides the shorter 用电 or 贷款 inside it. Terms that fall inside a company's name (…有限公司) are
dropped unless their group says names count (banks, utilities), because a firm called 某某电力设备有限公司 is not
complaining about electricity.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ahocorasick_rs

_SPACE = re.compile(r"\s+")
_COMPANY_SUFFIX = re.compile(r"有限责任公司|股份有限公司|有限公司|集团|公司|厂|合作社")
# characters that end a company name when reading backwards from its suffix
_NAME_STOP = set("，。、；：！？,.;:!?()（）“”\"'《》【】[] \t\n在与和向的是家被给对从县市省区我该及即到由把将为同跟这那其某")


# full-width ASCII forms and the ideographic space, as NFKC maps them (the bulk of what Chinese text needs)
_FULL_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, no whitespace."""
    text = (text or "").translate(_FULL_WIDTH)
    if not unicodedata.is_normalized("NFKC", text):  # the check is cheap, the conversion of a long text is not
        text = unicodedata.normalize("NFKC", text)
    return _SPACE.sub("", text).lower()


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    term: str


class PhraseMatcher:
    """Longest-match scan of a fixed vocabulary; built once, used for every complaint."""

    def __init__(self, terms: set[str] | frozenset[str]):
        self._terms = sorted(t for t in terms if t)
        self._automaton = ahocorasick_rs.AhoCorasick(self._terms) if self._terms else None

    def scan(self, text: str) -> list[Match]:
        """Non-overlapping matches, longer terms first, then earlier ones; returned in text order."""
        if self._automaton is None or not text:
            return []
        longest: dict[int, str] = {}
        terms = self._terms
        for index, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            if end - start > len(longest.get(start, "")):
                longest[start] = terms[index]
        if not longest:
            return []
        candidates = sorted(longest.items(), key=lambda c: (-len(c[1]), c[0]))
        taken = bytearray(len(text))
        chosen: list[Match] = []
        for start, term in candidates:
            end = start + len(term)
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append(Match(start, end, term))
        chosen.sort(key=lambda m: m.start)
        return chosen


class Occurrences:
    """Every occurrence of a fixed set of words, overlapping ones included (cue words, the words of word pairs)."""

    def __init__(self, words: set[str] | frozenset[str]):
        self._words = sorted(w for w in words if w)
        self._automaton = ahocorasick_rs.AhoCorasick(self._words) if self._words else None

    def find(self, text: str) -> list[Match]:
        if self._automaton is None or not text:
            return []
        words = self._words
        return [Match(s, e, words[i]) for i, s, e in self._automaton.find_matches_as_indexes(text, overlapping=True)]


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
