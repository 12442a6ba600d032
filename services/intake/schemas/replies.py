"""Request and response bodies of reply templates (答复模板), of answering with one, and of following a complaint up by
phone with its tracking number and short access code.

A template's text follows the text rules of every other field (``schemas.RequestBody``: several lines, no control or
invisible characters) and may hold placeholders, written ``{name}``, of a fixed set (``PLACEHOLDERS``): any other
name, or a brace that opens or closes no placeholder, is a field error on ``text``.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from services.intake.schemas import RequestBody, TextBody, not_blank
from shared.problems import field_error

NAME_MAX = 60
TEMPLATE_TEXT_MAX = 5_000
#: Placeholders one template may hold: with each filled (at most 200 characters) the answer stays within its bound.
PLACEHOLDERS_MAX = 20
#: The placeholders a template may hold, and what each is filled with (``replies.fill``).
PLACEHOLDERS = {
    "filer_name": "诉求人称呼：登记的企业名称（不读取联系人信息）",
    "tracking_number": "诉求编号（TS…）",
    "department": "承办部门名称",
}
_BRACES = re.compile(r"\{([^{}]*)\}")
#: A tracking number as people read it out (``TS20261123-7K3M9P``), and a short access code.
TRACKING_NUMBER_PATTERN = "^[Tt][Ss][0-9]{8}-?[0-9A-Za-z]{6}$"
ACCESS_CODE_PATTERN = "^[0-9]{6}$"


def placeholders(text: str) -> list[str]:
    """The placeholders of a template's text, in order; a field error when one is unknown, malformed or too many."""
    names = _BRACES.findall(text)
    unknown = [n for n in dict.fromkeys(names) if n not in PLACEHOLDERS]
    listed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        raise field_error("placeholder_unknown", f"Unknown placeholders {shown}; one of: {listed}",
                          f"未知的占位符 {shown}，可用：{listed}")
    if "{" in _BRACES.sub("", text) or "}" in _BRACES.sub("", text):
        raise field_error("placeholder_malformed", f"A brace opens or closes no placeholder; placeholders: {listed}",
                          f"花括号只能用于占位符，可用：{listed}")
    if len(names) > PLACEHOLDERS_MAX:
        raise field_error("placeholders_too_many", f"At most {PLACEHOLDERS_MAX} placeholders",
                          f"占位符最多 {PLACEHOLDERS_MAX} 个")
    return names


class _TemplateBody(RequestBody):
    """A template's fields as a request gives them (every one optional in a change)."""

    multiline = frozenset({"text"})

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else not_blank(v, "Name", "模板名称")

    @field_validator("text", check_fields=False)
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is None:
            return None
        placeholders(not_blank(v, "Text", "模板内容"))
        return v.strip()


class TemplateCreate(_TemplateBody):
    name: str = Field(min_length=1, max_length=NAME_MAX, description="模板名称（一行）")
    text: str = Field(min_length=1, max_length=TEMPLATE_TEXT_MAX,
                      description="模板内容；占位符：" + "、".join("{" + p + "}" for p in PLACEHOLDERS))


class TemplateUpdate(_TemplateBody):
    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX, description="新名称（可选）")
    text: str | None = Field(default=None, min_length=1, max_length=TEMPLATE_TEXT_MAX, description="新内容（可选）")


class TemplateView(BaseModel):
    id: str
    department: str
    name: str
    text: str
    #: The placeholders the text holds (each once).
    placeholders: list[str]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    retired_at: datetime | None = None


class RenderedReply(BaseModel):
    """A template filled for one complaint: the draft a handler edits and sends as ``answer`` with ``template_id``."""

    template_id: str
    name: str
    text: str


class AnswerBody(TextBody):
    """The answer the handler confirmed; ``template_id`` names the template it came from (the history records it)."""

    template_id: str | None = Field(default=None, max_length=36, description="所用答复模板的编号（可选）")


class TrackRequest(RequestBody):
    tracking_number: str = Field(description="诉求编号，如 TS20261123-7K3M9P",
                                 json_schema_extra={"pattern": TRACKING_NUMBER_PATTERN})
    access_code: str = Field(description="登记时告知的 6 位查询码", json_schema_extra={"pattern": ACCESS_CODE_PATTERN})

    @field_validator("tracking_number")
    @classmethod
    def _number(cls, v: str) -> str:
        v = v.strip().upper()
        if not re.fullmatch(TRACKING_NUMBER_PATTERN, v):
            raise field_error("tracking_number_format", "A tracking number reads TS, 8 digits and 6 characters",
                              "诉求编号格式应为 TS + 8 位日期 + 6 位字符，如 TS20261123-7K3M9P")
        return v if "-" in v else f"{v[:10]}-{v[10:]}"

    @field_validator("access_code")
    @classmethod
    def _code(cls, v: str) -> str:
        v = v.strip()
        if not re.fullmatch(ACCESS_CODE_PATTERN, v):
            raise field_error("access_code_format", "The access code is 6 digits", "查询码应为 6 位数字")
        return v


class TrackAccess(BaseModel):
    """What the tracking number and its code open: the filer's access to the complaint."""

    id: str
    tracking_number: str
    status: str
    status_zh: str
    #: The filer's bearer token for this complaint (as ``access_token`` at filing).
    access_token: str
