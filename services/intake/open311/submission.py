"""A POSTed Open311 form as the complaint ``POST /v1/complaints`` takes (``ComplaintCreate``): the same validation,
its errors named by the Open311 field the partner sent.

The standard's fields map onto the complaint: ``description`` is its text, ``address_string`` its address, ``phone``
the contact's mobile, ``last_name`` + ``first_name`` the contact's name unless ``attribute[contact_name]`` gives it;
the enterprise, its credit code, a title and the township are attributes (``catalog.definition``). ``lat``/``long``,
``address_id``, ``email``, ``device_id``, ``account_id`` and ``media_url`` are accepted and not kept; any other field
is refused, as unknown fields are on ``/v1``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from services.intake.open311.catalog import township_keys
from services.intake.open311.formats import BAD_REQUEST, Open311Error
from services.intake.schemas import Channel, ComplaintCreate
from services.intake.views import excerpt
from shared.problems import describe

#: The standard's fields a filing uses, and those accepted but not kept.
USED = frozenset({"service_code", "description", "address_string", "phone", "first_name", "last_name",
                  "jurisdiction_id", "api_key"})
NOT_KEPT = frozenset({"lat", "long", "address_id", "email", "device_id", "account_id", "media_url"})
ATTRIBUTES = frozenset({"enterprise_name", "credit_code", "contact_name", "title", "township"})
_ATTRIBUTE = re.compile(r"attribute\[([^\]]*)\]")

#: The complaint's fields (``describe``'s dotted paths) as the Open311 fields that carried them.
FIELD_NAMES = {
    "text": "description", "address": "address_string", "title": "attribute[title]",
    "township": "attribute[township]", "filer": "attribute[enterprise_name]",
    "filer.enterprise_name": "attribute[enterprise_name]", "filer.credit_code": "attribute[credit_code]",
    "filer.contact_name": "attribute[contact_name]", "filer.mobile": "phone",
}


def _problem(field: str, code: str, en: str, zh: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": en, "message_zh": zh}


def parse_form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as its fields; malformed, non-UTF-8 or repeated fields are the
    standard's 400."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Open311Error(BAD_REQUEST, [_problem("body", "form_invalid",
                                                  "Send the fields form-encoded (UTF-8)",
                                                  "请以表单编码（UTF-8）提交各字段")]) from None
    form: dict[str, str] = {}
    repeated = sorted({k for k, _ in pairs if sum(1 for key, _v in pairs if key == k) > 1})
    if repeated:
        raise Open311Error(BAD_REQUEST, [_problem(k, "field_repeated", "Give this field once",
                                                  "此字段只能提交一次") for k in repeated])
    for key, value in pairs:
        form[key] = value
    return form


def _contact_name(form: dict[str, str], attributes: dict[str, str]) -> str | None:
    if attributes.get("contact_name"):
        return attributes["contact_name"]
    last, first = form.get("last_name", "").strip(), form.get("first_name", "").strip()
    if not (last or first):
        return None
    return f"{last}{first}" if not (last + first).isascii() else f"{first} {last}".strip()


def _unknown(form: dict[str, str]) -> tuple[dict[str, str], list[dict[str, str]]]:
    attributes, problems = {}, []
    for key, value in form.items():
        matched = _ATTRIBUTE.fullmatch(key)
        if matched and matched.group(1) in ATTRIBUTES:
            attributes[matched.group(1)] = value
        elif key not in USED | NOT_KEPT:
            problems.append(_problem(key, "extra_forbidden", "Unknown field", "不允许的字段"))
    return attributes, problems


def complaint_body(form: dict[str, str]) -> ComplaintCreate:
    """The complaint the form files — validated as ``POST /v1/complaints`` validates it — or the standard's 400
    listing every field at fault."""
    attributes, problems = _unknown(form)
    data: dict[str, Any] = {"channel": Channel.api.value, "text": form.get("description", "")}
    title = attributes.get("title") or excerpt(data["text"])
    data["title"] = title
    if form.get("address_string"):
        data["address"] = form["address_string"]
    township = attributes.get("township")
    if township:
        data["township"] = township_keys().get(township, township)
    filer = {"enterprise_name": attributes.get("enterprise_name"), "credit_code": attributes.get("credit_code"),
             "contact_name": _contact_name(form, attributes), "mobile": form.get("phone")}
    data["filer"] = {k: v for k, v in filer.items() if v is not None}
    try:
        body = ComplaintCreate.model_validate(data)
    except ValidationError as exc:
        described = describe(list(exc.errors()))
        if "title" not in attributes:  # a title taken from the description: its faults are the description's
            described = [p for p in described if p["field"] != "title" or not any(
                q["field"] == "text" for q in described)]
            for p in described:
                if p["field"] == "title":
                    p["field"] = "text"
        problems += [{**p, "field": FIELD_NAMES.get(p["field"], p["field"])} for p in described]
        body = None
    if problems or body is None:
        raise Open311Error(BAD_REQUEST, problems)
    return body
