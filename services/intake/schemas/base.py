"""What every request body of the intake API shares: the one rule for text people type (``shared.text``), refusal of
unknown fields, blank checks and the county's gazetteer and catalog as the choices of township and department."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from shared.catalog import load_catalog, load_gazetteer
from shared.problems import field_error
from shared.text import code_points, one_newline, unreadable, without


def readable(value: str, *, multiline: bool = False) -> str:
    """The one rule for text people type (``shared.text``): control and invisible characters are refused, and so are
    line breaks in a text of one line; a text of several lines keeps newlines and tabs, its line ends as ``\\n``. A
    text of nothing but such characters (and spaces) is blank."""
    if multiline:
        value = one_newline(value)
    refused = unreadable(value, multiline=multiline)
    if not refused:
        return value
    if not without(value, refused).strip():
        raise field_error("blank", "Must not be blank: it holds only invisible or control characters",
                          "不能为空：内容只有不可见字符或控制字符")
    listed = code_points(refused)
    if multiline:
        raise field_error("control_characters", f"Remove the control or invisible characters ({listed})",
                          f"请删除其中的控制字符或不可见字符（{listed}）")
    raise field_error("control_characters",
                      f"Remove the control or invisible characters and line breaks ({listed}): this field is one line",
                      f"请删除其中的控制字符、不可见字符或换行（{listed}），此项只能填一行")


class RequestBody(BaseModel):
    """Every request body of the API: unknown fields are refused, and each text field is ``readable`` — one line,
    unless the model names it in ``multiline``."""

    model_config = ConfigDict(extra="forbid")

    #: The fields holding a text of several lines (the complaint's text, answers, notes, reasons).
    multiline: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _readable(cls, value: Any, info: ValidationInfo) -> Any:
        return readable(value, multiline=info.field_name in cls.multiline) if isinstance(value, str) else value


def not_blank(value: str, what_en: str, what_zh: str) -> str:
    value = value.strip()
    if not value:
        raise field_error("blank", f"{what_en} must not be blank", f"{what_zh}不能为空")
    return value


def check_township(v: str | None) -> str | None:
    if v is None or not v.strip():
        return None
    gazetteer = load_gazetteer()
    if gazetteer.by_name(v.strip()) is None:
        names = "、".join(t.name for t in gazetteer.townships)
        raise field_error(
            "township_unknown", f"Unknown township; one of: {names}", f"乡镇/街道不在本县名录中，可选：{names}"
        )
    return v.strip()


def check_department(value: str) -> str:
    catalog = load_catalog()
    value = value.strip()
    if value not in catalog:
        raise field_error(
            "department_unknown", f"Unknown department; one of: {', '.join(catalog.ids)}",
            f"部门编号不在目录中，可选：{'、'.join(catalog.ids)}",
        )
    return value
