"""The bodies of the lifecycle actions (``POST /v1/complaints/{id}/<action>``): contact, question, supplement and
answer texts, returns, cooperating departments, dispatch and the filer's rating."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from services.intake.schemas.base import RequestBody, check_department, check_township, not_blank
from services.intake.schemas.filing import TEXT_MAX
from shared.catalog import TOWNSHIP_ID
from shared.problems import field_error


NOTE_MAX = 5_000


def _text(value: str, en: str, zh: str) -> str:
    return not_blank(value, en, zh)


class ContactBody(RequestBody):
    multiline = frozenset({"note"})
    note: str | None = Field(default=None, max_length=NOTE_MAX, description="通话情况（可选）")


class QuestionBody(RequestBody):
    multiline = frozenset({"question"})
    question: str = Field(min_length=1, max_length=NOTE_MAX, description="请诉求人补充的问题")

    @field_validator("question")
    @classmethod
    def _q(cls, v: str) -> str:
        return _text(v, "Question", "问题")


class TextBody(RequestBody):
    multiline = frozenset({"text"})
    text: str = Field(min_length=1, max_length=TEXT_MAX, description="内容")

    @field_validator("text")
    @classmethod
    def _t(cls, v: str) -> str:
        return _text(v, "Text", "内容")


class ReturnBody(RequestBody):
    multiline = frozenset({"reason"})
    reason: str = Field(min_length=1, max_length=NOTE_MAX, description="退回理由")
    suggested_department: str | None = Field(default=None, description="建议承办部门（目录中的部门编号，可选）")

    @field_validator("reason")
    @classmethod
    def _r(cls, v: str) -> str:
        return _text(v, "Reason", "退回理由")

    @field_validator("suggested_department")
    @classmethod
    def _d(cls, v: str | None) -> str | None:
        return check_department(v) if v else None


class CooperatingBody(RequestBody):
    department: str = Field(description="协办部门（目录中的部门编号）")

    @field_validator("department")
    @classmethod
    def _d(cls, v: str) -> str:
        return check_department(v)


class DispatchBody(RequestBody):
    department: str = Field(description="承办部门（目录中的部门编号）")
    also: list[str] = Field(default_factory=list, max_length=5, description="协办部门")
    financial_service: bool | None = Field(default=None, description="是否金融服务类（默认沿用分派结果）")
    township: str | None = Field(default=None, max_length=60, validate_default=True,
                                 description="乡镇/街道（本县名录中的名称；分派给乡镇/街道时必填）")

    @field_validator("department")
    @classmethod
    def _d(cls, v: str) -> str:
        return check_department(v)

    @field_validator("also")
    @classmethod
    def _also(cls, v: list[str]) -> list[str]:
        return [check_department(d) for d in v]

    @field_validator("township")
    @classmethod
    def _township(cls, v: str | None, info: ValidationInfo) -> str | None:
        """A dispatch to the township department names the township whose queue it goes to."""
        township = check_township(v)
        if township is None and info.data.get("department") == TOWNSHIP_ID:
            raise field_error("township_required", "Name the township (乡镇/街道) of the gazetteer it goes to",
                              "分派给乡镇/街道时，请选择本县名录中的乡镇/街道")
        return township


class Rating(str, Enum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


_RATING_ZH = {"满意": "satisfied", "基本满意": "basically_satisfied", "不满意": "dissatisfied"}


class RatingBody(RequestBody):
    multiline = frozenset({"reason"})
    rating: Rating = Field(description="满意 / 基本满意 / 不满意 (or satisfied / basically_satisfied / dissatisfied)")
    reason: str | None = Field(default=None, max_length=NOTE_MAX, description="不满意的理由（不满意时必填）")

    @field_validator("rating", mode="before")
    @classmethod
    def _zh(cls, v: Any) -> Any:
        return _RATING_ZH.get(v, v) if isinstance(v, str) else v

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str | None) -> str | None:
        return v.strip() or None if v else None
