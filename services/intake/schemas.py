"""Request and response bodies of the intake API, with the validation rules for each field.

Every text of every request body is text a person can read (``RequestBody``: no control or invisible characters, one
line unless the field holds several). The enterprise credit code is checked by ``stdnum.cn.uscc`` (GB 32100,
including its check character) and the contact number by ``phonenumbers`` (a mobile, or for a hotline filing a landline
with its area code); responses never include the filer's contact data unmasked.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from shared.problems import field_error
from shared.catalog import TOWNSHIP_ID, load_catalog, load_gazetteer
from shared.text import code_points, one_newline, unreadable, without

TITLE_MAX = 200
TEXT_MAX = 10_000


class Channel(str, Enum):
    api = "api"
    web = "web"
    app = "app"
    hotline = "hotline"


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


def _not_blank(value: str, what_en: str, what_zh: str) -> str:
    value = value.strip()
    if not value:
        raise field_error("blank", f"{what_en} must not be blank", f"{what_zh}不能为空")
    return value


_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
#: What a caller on the hotline may leave: a mobile, or a landline with its area code (an operator calls back).
_HOTLINE_TYPES = _MOBILE_TYPES | {phonenumbers.PhoneNumberType.FIXED_LINE}
#: ``FilerIn``'s validation context: whether the filing is the hotline's (``ComplaintCreate`` sets it).
HOTLINE = "hotline"


#: The shapes the server accepts, published in the OpenAPI document (the server checks more: the credit code's check
#: character, the number's numbering plan).
CREDIT_CODE_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
PHONE_PATTERN = r"^(\+?86[ -]?)?(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"


def check_credit_code(v: str) -> str:
    """The 统一社会信用代码 as stored (GB 32100, its check character verified), or a field error saying what is wrong."""
    try:
        return uscc.validate(v)
    except InvalidChecksum:
        raise field_error(
            "credit_code_check_character",
            "The unified social credit code's check character is wrong (GB 32100)",
            "统一社会信用代码校验码错误（GB 32100）",
        ) from None
    except InvalidLength:
        raise field_error(
            "credit_code_length", "The unified social credit code must have 18 characters",
            "统一社会信用代码应为 18 位",
        ) from None
    except (InvalidFormat, InvalidComponent, ValidationError):
        raise field_error(
            "credit_code_format", "The unified social credit code is not well formed (GB 32100)",
            "统一社会信用代码格式不正确（GB 32100）",
        ) from None


class FilerIn(RequestBody):
    enterprise_name: str = Field(min_length=1, max_length=200, description="企业名称")
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100，含校验码)",
                             json_schema_extra={"pattern": CREDIT_CODE_PATTERN})
    contact_name: str = Field(min_length=1, max_length=60, description="联系人")
    #: Named ``mobile`` for compatibility: for a hotline filing it may be a landline with its area code.
    mobile: str = Field(min_length=1, max_length=30,
                        description="联系人手机号（热线登记时也可为带区号的固定电话，如 0571-88888888）",
                        json_schema_extra={"pattern": PHONE_PATTERN})

    @field_validator("enterprise_name")
    @classmethod
    def _enterprise(cls, v: str) -> str:
        return _not_blank(v, "Enterprise name", "企业名称")

    @field_validator("contact_name")
    @classmethod
    def _contact(cls, v: str) -> str:
        return _not_blank(v, "Contact name", "联系人")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str) -> str:
        return check_credit_code(v)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str, info: ValidationInfo) -> str:
        """A mobile (the filer is told by SMS) — or, on the hotline, a landline with its area code; stored as E.164."""
        try:
            number = phonenumbers.parse(v, "CN")
        except phonenumbers.NumberParseException:
            number = None
        # A number of one of these types is valid too (an invalid one has type UNKNOWN): one look-up, not two.
        kind = phonenumbers.number_type(number) if number is not None else None
        hotline = bool(info.context and info.context.get(HOTLINE))
        if kind in (_HOTLINE_TYPES if hotline else _MOBILE_TYPES):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if hotline:
            raise field_error("mobile_invalid", "Not a valid phone number: give a mobile, or a landline with its area "
                              "code (0571-88888888)", "电话号码无效：请填写手机号码，或带区号的固定电话（如 0571-88888888）")
        if kind is phonenumbers.PhoneNumberType.FIXED_LINE:
            raise field_error("mobile_invalid", "Give a mobile number: the filer is told by SMS (a landline is taken "
                              "only for hotline filings)", "请填写手机号码，以便短信通知（固定电话仅限热线登记）")
        raise field_error("mobile_invalid", "Not a valid mobile phone number", "手机号码无效")


class ComplaintCreate(RequestBody):
    multiline = frozenset({"text"})

    title: str = Field(min_length=1, max_length=TITLE_MAX, description="诉求标题")
    text: str = Field(min_length=1, max_length=TEXT_MAX, description="诉求内容")
    channel: Channel = Channel.api
    filer: FilerIn
    township: str | None = Field(default=None, max_length=60, description="乡镇/街道（可选，须为本县名录中的名称）")
    address: str | None = Field(default=None, max_length=300, description="地址（可选）")

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _not_blank(v, "Title", "标题")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return _not_blank(v, "Text", "诉求内容")

    @field_validator("township")
    @classmethod
    def _township(cls, v: str | None) -> str | None:
        return _check_township(v)

    @field_validator("filer", mode="before")
    @classmethod
    def _filer(cls, v: Any, info: ValidationInfo) -> Any:
        """The filer's number depends on the channel (validated before it): the filer is validated knowing it."""
        if not isinstance(v, dict):
            return v
        return FilerIn.model_validate(v, context={HOTLINE: info.data.get("channel") is Channel.hotline})


def _check_township(v: str | None) -> str | None:
    if v is None or not v.strip():
        return None
    gazetteer = load_gazetteer()
    if gazetteer.by_name(v.strip()) is None:
        names = "、".join(t.name for t in gazetteer.townships)
        raise field_error(
            "township_unknown", f"Unknown township; one of: {names}", f"乡镇/街道不在本县名录中，可选：{names}"
        )
    return v.strip()


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


#: A Chinese mobile number after +86; any other number there is a landline (a hotline caller's).
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")


def is_cn_mobile(e164: str | None) -> bool:
    """Whether a stored number (E.164) is a Chinese mobile, one an SMS reaches."""
    return bool(e164) and e164.startswith("+86") and _CN_MOBILE.fullmatch(e164[3:]) is not None


def mask_mobile(e164: str) -> str:
    """The filer's number as views and lists show it: +8613812345678 → 138****5678; a landline keeps its area code,
    +8657188888888 → 0571-8888****. A mobile, nearly every row, is masked without parsing it."""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if e164.startswith("+86") and not _CN_MOBILE.fullmatch(digits):
        area = phonenumbers.length_of_geographical_area_code(phonenumbers.parse(e164))
        if area and len(digits) > area + 4:
            return f"0{digits[:area]}-{digits[area:-4]}****"
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def show_mobile(e164: str) -> str:
    """The filer's number whole, as a person dials it: phonenumbers' national format for a Chinese number
    (138 1234 5678, 0571 8888 8888), the international one for a number abroad."""
    number = phonenumbers.parse(e164)
    shape = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 86 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, shape)


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
    #: Set when this is a repeat (重复件) of an earlier open complaint by the same enterprise.
    duplicate_of: str | None = None


class ComplaintView(BaseModel):
    id: str
    tracking_number: str
    title: str
    #: What the filer wrote, whole, and the address given (shown to whoever may see the complaint).
    text: str
    address: str | None = None
    channel: str
    status: str
    status_zh: str
    department: str | None
    department_name: str | None
    also: list[str]
    township: str | None
    financial_service: bool | None
    sla_policy: str | None
    due_at: datetime | None
    #: The deadline as people read it: 12月16日（周三）24:00 前 (``due_at`` is that instant, 00:00 of the 17th).
    due_text: str | None = None
    overdue: bool
    received_at: datetime
    updated_at: datetime
    version: int
    filer: dict[str, Any]
    #: How the caller relates to it: lead, cooperating (read-only), oversight, filer, operator.
    role: str | None = None
    claimed_by: str | None = None
    lease_until: datetime | None = None
    answered_at: datetime | None = None
    closed_at: datetime | None = None
    rating: str | None = None
    reopen_count: int = 0
    duplicate_of: str | None = None
    cooperating: list[str] = Field(default_factory=list)
    candidates: list[dict[str, Any]] | None = None
    #: What this caller may do next (API action names), by status, role and claim lease.
    next_actions: list[str] = Field(default_factory=list)


class HistoryItem(BaseModel):
    at: datetime
    actor: str
    action: str
    summary: str
    detail: dict[str, Any]


class MessageItem(BaseModel):
    at: datetime
    actor: str
    department: str | None
    kind: str
    text: str


class ContactView(BaseModel):
    contact_name: str
    mobile: str


class QueueItem(BaseModel):
    id: str
    tracking_number: str
    title: str
    #: The start of the complaint's text (the whole text is in the complaint's view).
    excerpt: str
    status: str
    status_zh: str
    department: str | None
    #: lead (the department handles it) or cooperating (read-only, it may add its part)
    role: str
    enterprise_name: str
    mobile: str | None
    due_at: datetime | None
    #: The deadline as people read it (12月16日（周三）24:00 前).
    due_text: str | None = None
    overdue: bool
    claimed_by: str | None
    lease_until: datetime | None
    lease_active: bool
    duplicate_of: str | None
    received_at: datetime
    version: int
    candidates: list[dict[str, Any]] | None = None


class QueuePage(BaseModel):
    items: list[QueueItem]
    #: Pass as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None


# --- action bodies --------------------------------------------------------------------------------------------------

NOTE_MAX = 5_000


def _text(value: str, en: str, zh: str) -> str:
    return _not_blank(value, en, zh)


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
        return _department(v) if v else None


class CooperatingBody(RequestBody):
    department: str = Field(description="协办部门（目录中的部门编号）")

    @field_validator("department")
    @classmethod
    def _d(cls, v: str) -> str:
        return _department(v)


class DispatchBody(RequestBody):
    department: str = Field(description="承办部门（目录中的部门编号）")
    also: list[str] = Field(default_factory=list, max_length=5, description="协办部门")
    financial_service: bool | None = Field(default=None, description="是否金融服务类（默认沿用分派结果）")
    township: str | None = Field(default=None, max_length=60, validate_default=True,
                                 description="乡镇/街道（本县名录中的名称；分派给乡镇/街道时必填）")

    @field_validator("department")
    @classmethod
    def _d(cls, v: str) -> str:
        return _department(v)

    @field_validator("also")
    @classmethod
    def _also(cls, v: list[str]) -> list[str]:
        return [_department(d) for d in v]

    @field_validator("township")
    @classmethod
    def _township(cls, v: str | None, info: ValidationInfo) -> str | None:
        """A dispatch to the township department names the township whose queue it goes to."""
        township = _check_township(v)
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


def _department(value: str) -> str:
    catalog = load_catalog()
    value = value.strip()
    if value not in catalog:
        raise field_error(
            "department_unknown", f"Unknown department; one of: {', '.join(catalog.ids)}",
            f"部门编号不在目录中，可选：{'、'.join(catalog.ids)}",
        )
    return value
