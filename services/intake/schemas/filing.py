"""The filing's request and answer: ``POST /v1/complaints`` (and the public ``/file`` page, which files through it).

The filer is one of the kinds of ``filer.py``, picked by ``filer.kind`` (absent: an enterprise, as filings have always
been); an anonymous filer is for the hotline only. The ``Idempotency-Key`` header is checked as a field too.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from services.intake.schemas.base import RequestBody, check_township, not_blank
from services.intake.schemas.filer import FILER_MODELS, HOTLINE, Filer, FilerKind
from shared.problems import field_error

TITLE_MAX = 200
TEXT_MAX = 10_000


class Channel(str, Enum):
    api = "api"
    web = "web"
    app = "app"
    hotline = "hotline"


class ComplaintCreate(RequestBody):
    multiline = frozenset({"text"})

    title: str = Field(min_length=1, max_length=TITLE_MAX, description="诉求标题")
    text: str = Field(min_length=1, max_length=TEXT_MAX, description="诉求内容")
    channel: Channel = Channel.api
    filer: Filer = Field(description="诉求人：企业（kind 省略或 enterprise）、个人（individual）或匿名（anonymous，仅限热线）")
    township: str | None = Field(default=None, max_length=60, description="乡镇/街道（可选，须为本县名录中的名称）")
    address: str | None = Field(default=None, max_length=300, description="地址（可选）")

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return not_blank(v, "Title", "标题")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return not_blank(v, "Text", "诉求内容")

    @field_validator("township")
    @classmethod
    def _township(cls, v: str | None) -> str | None:
        return check_township(v)

    @field_validator("filer", mode="before")
    @classmethod
    def _filer(cls, v: Any, info: ValidationInfo) -> Any:
        """The filer's kind picks its fields, and its number depends on the channel (validated before it): the
        filer is validated knowing both."""
        if not isinstance(v, dict):
            return v
        kind = v.get("kind", FilerKind.enterprise.value)
        model = FILER_MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            raise field_error("filer_kind", "filer.kind is one of enterprise, individual, anonymous",
                              "诉求人类型应为 enterprise（企业）、individual（个人）或 anonymous（匿名）")
        hotline = info.data.get("channel") is Channel.hotline
        if kind == FilerKind.anonymous.value and not hotline:
            raise field_error("anonymous_requires_hotline", "Only a hotline operator files an anonymous complaint "
                              "(channel 'hotline')", "匿名诉求仅限话务员按热线渠道登记")
        return model.model_validate(v, context={HOTLINE: hotline})


IDEMPOTENCY_KEY_MAX = 128


def check_idempotency_key(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header: 1 to 128 printable ASCII characters (a UUID, say), or none at all."""
    if value is None:
        return None
    if not value.strip():
        raise field_error("blank", "An Idempotency-Key must not be empty; send none to file without one",
                          "幂等键不能为空；不需要时请不要发送该请求头")
    if len(value) > IDEMPOTENCY_KEY_MAX:
        raise field_error("string_too_long", f"An Idempotency-Key has at most {IDEMPOTENCY_KEY_MAX} characters",
                          f"幂等键最多 {IDEMPOTENCY_KEY_MAX} 个字符")
    if not (value.isascii() and value.isprintable()):
        raise field_error("idempotency_key_characters",
                          "An Idempotency-Key is made of printable ASCII characters (letters, digits, punctuation)",
                          "幂等键只能由可打印的 ASCII 字符（字母、数字、标点）组成")
    return value


class ComplaintCreated(BaseModel):
    id: str
    tracking_number: str
    status: str
    received_at: datetime
    #: Bearer token to follow this complaint (status, history, supplement, rating) — also for anonymous callers.
    access_token: str
    #: The 6-digit code that, with the tracking number, opens the complaint by phone or on /track (shown this once;
    #: a replayed filing answers with a new one).
    access_code: str | None = None
    #: Set when this is a repeat (重复件) of an earlier open complaint by the same filer.
    duplicate_of: str | None = None
