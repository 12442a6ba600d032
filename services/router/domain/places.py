"""Township names as people write them: 白沙 for 白沙镇, 城关 for 城关镇.

The gazetteer lists each 乡镇/街道 with its official name and, as data, the short names people use (``aliases``).
An official name counts wherever it appears. A short name counts only as a word of its own (the segmenter, which
knows the names, puts a boundary on both sides: 龙泉驿 is not 龙泉) and not when it is followed by 县/市/区/省 —
白沙县 is another county, not 白沙镇. Short names that are also ordinary words (石桥 a stone bridge, 清水 clear
water, 新兴 emerging) are left out of the gazetteer's aliases for that reason.
"""

from __future__ import annotations

from typing import Iterable, Protocol

from .matcher import PhraseMatcher, normalize
from .segment import Segmenter

#: a short name followed by one of these names another place
_OTHER_PLACE = frozenset("县市区省州盟旗")


class NamedPlace(Protocol):
    name: str
    aliases: tuple[str, ...]


class TownshipFinder:
    def __init__(self, townships: Iterable[NamedPlace], segmenter: Segmenter):
        self._segmenter = segmenter
        self._official: dict[str, str] = {}
        self._short: dict[str, str] = {}
        for t in townships:
            self._official[normalize(t.name)] = t.name
            for alias in getattr(t, "aliases", ()) or ():
                if normalize(alias) and normalize(alias) not in self._official:
                    self._short[normalize(alias)] = t.name
        self._matcher = PhraseMatcher(frozenset(self._official) | frozenset(self._short))

    @property
    def words(self) -> set[str]:
        """Official and short names (normalised), for the segmenter's dictionary."""
        return set(self._official) | set(self._short)

    def find(self, text: str) -> list[str]:
        """Gazetteer names of the townships a normalised text mentions, in the order of their first mention."""
        found: list[str] = []
        edges: set[int] | None = None
        for m in self._matcher.scan(text):
            name = self._official.get(m.term)
            if name is None:
                if m.end < len(text) and text[m.end] in _OTHER_PLACE:
                    continue
                if edges is None:
                    edges = self._segmenter.boundaries(text)
                if m.start not in edges or m.end not in edges:
                    continue
                name = self._short[m.term]
            if name not in found:
                found.append(name)
        return found
