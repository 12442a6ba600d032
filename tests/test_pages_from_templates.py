"""Pages are rendered from the Jinja2 templates only: no string in the product's Python code (docstrings aside) holds
an HTML tag, and nothing builds markup by hand (``Markup``, ``html.escape``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("services", "shared")

TAG = re.compile(
    r"</?(?:html|head|body|div|span|p|a|b|i|em|strong|small|br|hr|img|link|meta|script|style|table|thead|tbody|tr|th"
    r"|td|ul|ol|li|dl|dt|dd|h[1-6]|form|input|select|option|textarea|button|label|section|main|header|footer|nav"
    r"|details|summary|time|code|pre|title)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
HAND_MADE = re.compile(r"\bMarkup\s*\(|\bhtml\.escape\s*\(|\bmarkupsafe\b")


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def html_in(source: str) -> list[str]:
    """The string literals (f-strings' parts too) of ``source`` that hold an HTML tag, docstrings aside."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and TAG.search(node.value)]


def product_modules() -> list[Path]:
    return sorted(path for top in PRODUCT for path in (ROOT / top).rglob("*.py") if "migrations" not in path.parts)


def test_the_scan_finds_html_built_in_python():
    assert html_in('def page(name):\n    return f"<p class=\\"x\\">{name}</p>"\n')
    assert html_in('ROW = "<tr><td>" + "x"\n')
    assert not html_in('def f():\n    """Emits <script> safely."""\n    return "partner:<name>"\n')
    assert HAND_MADE.search("body = Markup(text)") and HAND_MADE.search("html.escape(value)")


def test_no_product_module_builds_html():
    offenders = {}
    for path in product_modules():
        source = path.read_text(encoding="utf-8")
        found = html_in(source) + HAND_MADE.findall(source)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert product_modules() and offenders == {}
