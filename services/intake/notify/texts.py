"""The messages filers receive: the templates (data, ``templates.json``), their parameters and the text a filer reads.

A template's parameters are its placeholders in the order they appear (Tencent Cloud takes them by position, Alibaba
Cloud by name); the signature (签名) is the provider's to add in front, 【青山县12345】, and the local provider's.
"""

from __future__ import annotations

import json
import string
from functools import cache
from pathlib import Path

TEMPLATES_PATH = Path(__file__).with_name("templates.json")
#: Characters of one SMS segment of Chinese text (UCS-2), the signature included.
SEGMENT_CHARS = 70


@cache
def templates() -> dict[str, str]:
    """Template name → text with ``{placeholders}``."""
    data = json.loads(TEMPLATES_PATH.read_text(encoding="utf-8"))
    return {name: text for name, text in data.items() if not name.startswith("_")}


def parameters(template: str) -> list[str]:
    """The placeholders of ``template``, in order."""
    return [field for _literal, field, _spec, _conv in string.Formatter().parse(templates()[template]) if field]


def signed(sign_name: str, text: str) -> str:
    return f"【{sign_name}】{text}"


def render(template: str, params: dict[str, str], sign_name: str) -> str:
    """The whole message as the filer's phone shows it."""
    return signed(sign_name, templates()[template].format(**params))


def segments(text: str) -> int:
    """SMS segments the text takes (70 characters in one, 67 each when concatenated)."""
    return 1 if len(text) <= SEGMENT_CHARS else -(-len(text) // 67)
