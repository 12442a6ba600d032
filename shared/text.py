"""Text a person can read: which characters the product refuses in what people type (titles, names, complaint texts,
the names in bearer tokens).

Control characters (Unicode category Cc: NUL, BEL, ESC …) and invisible formatting characters (Cf: bidirectional
overrides such as U+202E, zero-width spaces, the byte-order mark) are never typed on purpose: they hide or reorder what
a reader sees, corrupt pages and terminals, and PostgreSQL refuses NUL outright. A text of one line has no line breaks
either (U+2028 and U+2029 included); a text of several lines keeps its newlines and tabs.
"""

from __future__ import annotations

import unicodedata

#: Characters nobody types on purpose.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})
#: Line and paragraph separators: refused in a text of one line.
LINE_SEPARATORS = frozenset({"Zl", "Zp"})
#: What a text of several lines keeps of the control characters (``\r`` is a newline too: see ``one_newline``).
MULTILINE_KEEPS = "\n\t\r"
#: Spaces ``str.isprintable`` flags that are fine in any text: the ideographic space (U+3000, which indents Chinese
#: paragraphs) and the no-break space.
_COMMON_SPACES = "\u3000\xa0"


def unreadable(value: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``value`` a reader could not see or that would disturb what they see, each once, in order.

    Most texts are cleared by ``str.isprintable`` (in C) once what they may hold is set aside (newlines, common
    spaces); only a text with something else it flags (a refused character, a rarer space, a private-use character)
    is looked at character by character."""
    if value.isprintable():
        return []
    plain = value
    for fine in MULTILINE_KEEPS + _COMMON_SPACES if multiline else _COMMON_SPACES:
        plain = plain.replace(fine, "")  # in C, as isprintable(); translate() would look up every character
    if plain.isprintable():
        return []
    refused = REFUSED_CATEGORIES if multiline else REFUSED_CATEGORIES | LINE_SEPARATORS
    return [ch for ch in dict.fromkeys(value)
            if not (multiline and ch in MULTILINE_KEEPS) and unicodedata.category(ch) in refused]


def code_points(characters: list[str]) -> str:
    """``U+0000, U+202E``: characters named so that a person can find them (never the text around them)."""
    return ", ".join(f"U+{ord(ch):04X}" for ch in characters)


def without(value: str, characters: list[str]) -> str:
    """``value`` with ``characters`` removed: what a reader would see of it."""
    return value.translate({ord(ch): None for ch in characters})


def one_newline(value: str) -> str:
    """Line ends as ``\\n`` (a browser's text area sends ``\\r\\n``)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value
