"""Duplicate complaints (重复件): the same filer (an enterprise, or a citizen by their number) filing nearly the same
text again (pure similarity rule), and whose complaints a filing is compared with (:func:`filer_key`).

Similarity is the Jaccard index of the character bigrams of title + text, after dropping whitespace and punctuation;
at or above the threshold (0.8 by default) the new complaint is a repeat of the earlier one.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata


def _bigrams(text: str) -> frozenset[str]:
    kept = "".join(ch for ch in text.lower() if not (ch.isspace() or unicodedata.category(ch).startswith("P")))
    if len(kept) < 2:
        return frozenset({kept}) if kept else frozenset()
    return frozenset(kept[i:i + 2] for i in range(len(kept) - 1))


def similarity(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def find_original(title: str, text: str, earlier: list[tuple[str, str, str]], threshold: float) -> str | None:
    """The id of the first of ``earlier`` (id, title, text — oldest first) that the new complaint repeats."""
    candidate = f"{title}\n{text}"
    for complaint_id, other_title, other_text in earlier:
        if similarity(candidate, f"{other_title}\n{other_text}") >= threshold:
            return complaint_id
    return None


def filer_key(filer: object, secret: str) -> str | None:
    """Whose complaints a new one may repeat: an enterprise's credit code; for a citizen a digest of their number,
    keyed with the signing secret (a number is too short a secret to hash alone, and it stays out of the complaint
    row); an anonymous caller's complaints repeat nothing."""
    code = getattr(filer, "credit_code", None)
    if code:
        return code
    mobile = getattr(filer, "mobile", None)
    if not mobile:
        return None
    return "p:" + hmac.new(secret.encode(), b"filer\0" + mobile.encode(), hashlib.sha256).hexdigest()[:40]
