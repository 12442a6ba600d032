"""Open311 answers in the two formats of the standard: JSON, and XML built with ElementTree (element names and
nesting as GeoReport v2 gives them), and the standard's error answer — a list of ``{code, description}`` — with the
product's field messages (Chinese and English) in each description.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from fastapi.responses import Response

FORMATS = ("json", "xml")
#: The element of each item of a list, by the list's element (``<attributes><attribute>…``).
ITEM_ELEMENTS = {"services": "service", "service_requests": "request", "attributes": "attribute",
                 "values": "value", "errors": "error"}
#: The standard's HTTP statuses for refusals.
BAD_REQUEST, FORBIDDEN, NOT_FOUND, TOO_MANY = 400, 403, 404, 429


class Open311Error(Exception):
    """A refusal in the standard's error format: ``problems`` are the product's field entries (``field``, ``code``,
    ``message``, ``message_zh``) or plain descriptions."""

    def __init__(self, status: int, problems: list[dict[str, Any] | str], headers: dict[str, str] | None = None
                 ) -> None:
        super().__init__(status)
        self.status, self.problems, self.headers = status, problems, headers or {}


def description(problem: dict[str, Any] | str) -> str:
    """One problem in words: ``attribute[credit_code]: 统一社会信用代码校验码错误（GB 32100） — The unified social credit
    code's check character is wrong (GB 32100) [credit_code_check_character]``."""
    if isinstance(problem, str):
        return problem
    return f"{problem['field']}: {problem['message_zh']} — {problem['message']} [{problem['code']}]"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ElementTree.Element, name: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(child, ITEM_ELEMENTS[name]), item)
    elif isinstance(value, dict):
        _fill(child, value)
    else:
        child.text = _text(value)


def _fill(element: ElementTree.Element, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        _element(element, name, value)


def xml_document(root: str, content: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """``content`` under ``root``: a list as its items (``<services><service>…``), a dict as its fields."""
    element = ElementTree.Element(root)
    if isinstance(content, list):
        for item in content:
            _fill(ElementTree.SubElement(element, ITEM_ELEMENTS[root]), item)
    else:
        _fill(element, content)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, content: list[dict[str, Any]] | dict[str, Any], *, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """``content`` in ``fmt``: JSON as the standard shows it (a list, or the object), XML under ``root``."""
    if fmt == "xml":
        return Response(xml_document(root, content), status_code=status, headers=headers,
                        media_type="text/xml; charset=utf-8")
    return Response(json.dumps(content, ensure_ascii=False), status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


def error_answer(fmt: str, error: Open311Error) -> Response:
    errors = [{"code": error.status, "description": description(p)} for p in error.problems]
    return answer(fmt if fmt in FORMATS else "json", "errors", errors, status=error.status, headers=error.headers)


def split_format(name: str) -> tuple[str, str]:
    """``power-supply.json`` → (``power-supply``, ``json``); an unknown format is the standard's 404."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in FORMATS or not stem:
        raise Open311Error(NOT_FOUND, [{"field": "format", "code": "format_unknown",
                                        "message": "Ask for .json or .xml", "message_zh": "格式应为 .json 或 .xml"}])
    return stem, fmt
