"""Where the request is in a message: the role of each sentence and the weight its words carry.

People write to the county the way they write a letter: a salutation to an official (尊敬的书记：), the story of
what happened, anger or praise, and somewhere the request (希望…, 请问…, 为什么…). The department that owns the
request should decide, not the official addressed nor the words of the story around it. This module splits a
text into sentences and gives each a role from the lexicon's discourse cues:

* ``address`` — a salutation or the official addressed (尊敬的…, …您好): its words do not count;
* ``courtesy`` — thanks and closing formulas (此致敬礼, 谢谢): do not count;
* ``emotion`` — anger, pleading, rhetoric (天理何在, 救救…): count little;
* ``request`` — what the writer asks for or asks about: counts fully, and more in a long message;
* ``story`` — everything else: counts fully in a short complaint, less in a long message, where the story
  mentions many things the request is not about.

The weights are lexicon settings; the explanation shows each term's sentence role.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Mapping

_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|…{2,}|\.{3,}")
_COLON = re.compile(r"[：:]")

@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    role: str
    weight: float


class SubstanceWeigher:
    """Sentence roles from cue lists (lexicon ``cues``: discourse.*) and their weights (lexicon ``settings``)."""

    def __init__(self, cues: Mapping[str, tuple[str, ...]], settings: Mapping[str, float]):
        self._openers = cues.get("discourse.address_opening", ())
        self._greeting = any_of(tuple(w for w in self._openers if w.endswith("好")))  # 县长您好！
        self._officials = any_of(cues.get("discourse.address_official", ()))
        self._courtesy = any_of(cues.get("discourse.courtesy", ()))
        self._emotion = any_of(cues.get("discourse.emotion", ()))
        self._request = any_of(cues.get("discourse.request", ()))
        self._long = int(settings["long_text_chars"])
        self._weights = {
            "address": settings["address_weight"],
            "courtesy": settings["courtesy_weight"],
            "emotion": settings["emotion_weight"],
        }
        self._request_long = settings["request_weight_long"]
        self._story_long = settings["story_weight_long"]

    def sentences(self, text: str) -> list[Sentence]:
        """The sentences of a normalised text with their role and weight, in text order, covering all of it."""
        long = len(text) >= self._long
        out: list[Sentence] = []
        start = 0
        for m in _SENTENCE_END.finditer(text):
            self._add(out, text, start, m.end(), long)
            start = m.end()
        if start < len(text):
            self._add(out, text, start, len(text), long)
        return out

    def _add(self, out: list[Sentence], text: str, start: int, end: int, long: bool) -> None:
        colon = _COLON.search(text, start, end)
        if colon and colon.start() - start <= 20 and self._is_address(text[start:colon.start()]):
            out.append(Sentence(start, colon.end(), "address", self._weights["address"]))
            start = colon.end()
            if start >= end:
                return
        role = self._role(text[start:end])
        if role in self._weights:
            weight = self._weights[role]
        elif role == "request":
            weight = self._request_long if long else 1.0
        else:
            weight = self._story_long if long else 1.0
        out.append(Sentence(start, end, role, weight))

    def _is_address(self, head: str) -> bool:
        return head.startswith(self._openers) or bool(self._officials.search(head))

    def _role(self, sentence: str) -> str:
        if len(sentence) <= 30 and (sentence.startswith(self._openers) or self._greeting.search(sentence)):
            return "address"
        if len(sentence) <= 30 and self._courtesy.search(sentence):
            return "courtesy"
        if self._request.search(sentence):
            return "request"
        if self._emotion.search(sentence):
            return "emotion"
        return "story"


def any_of(words: tuple[str, ...]) -> re.Pattern:
    """One compiled search for any of the words (never matches when there are none)."""
    if not words:
        return re.compile(r"(?!)")
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def sentence_at(sentences: list[Sentence], starts: list[int], position: int) -> Sentence:
    """The sentence that contains ``position`` (``starts``: the sentences' start offsets)."""
    return sentences[max(bisect_right(starts, position) - 1, 0)]
