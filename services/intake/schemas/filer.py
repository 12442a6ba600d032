"""Who files a complaint, and how their data is checked and shown.

A filer is an enterprise (``kind`` ``enterprise``, the default: the fields filings have always had), an individual
citizen (``individual``: 姓名, mobile and optionally the 居民身份证号) or, for a hotline operator only, an anonymous (匿名)
caller (``anonymous``: no contact data at all). The credit code is checked by ``stdnum.cn.uscc`` (GB 32100, with its
check character), the identity number by ``stdnum.cn.ric`` (GB 11643, birth date and check character) and the number by
``phonenumbers`` (a mobile, or for a hotline filing a landline with its area code). Names, numbers and identity
numbers are contact data: views show them masked (:func:`mask_mobile`, :func:`mask_id_number`), only the audited
contact read shows them whole.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal

import phonenumbers
from pydantic import Field, ValidationInfo, field_validator
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from services.intake.schemas.base import RequestBody, not_blank
from shared.problems import field_error
from shared.vocabulary import FILER_KINDS


class FilerKind(str, Enum):
    enterprise = "enterprise"
    individual = "individual"
    anonymous = "anonymous"


#: What people read for each kind of filer (one vocabulary with the dashboard's split).
FILER_KIND_ZH = FILER_KINDS

_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
#: What a caller on the hotline may leave: a mobile, or a landline with its area code (an operator calls back).
_HOTLINE_TYPES = _MOBILE_TYPES | {phonenumbers.PhoneNumberType.FIXED_LINE}
#: The filer's validation context: whether the filing is the hotline's (``ComplaintCreate`` sets it).
HOTLINE = "hotline"

#: The shapes the server accepts, published in the OpenAPI document (the server checks more: the credit code's and
#: identity number's check characters, the number's numbering plan).
CREDIT_CODE_PATTERN = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
PHONE_PATTERN = r"^(\+?86[ -]?)?(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
ID_NUMBER_PATTERN = "^[0-9]{17}[0-9Xx]$"


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


def check_phone(v: str, info: ValidationInfo) -> str:
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


def _phone_field() -> object:
    return Field(min_length=1, max_length=30, description="手机号（热线登记时也可为带区号的固定电话，如 0571-88888888）",
                 json_schema_extra={"pattern": PHONE_PATTERN})


class FilerIn(RequestBody):
    """An enterprise filing (企业)."""

    kind: Literal["enterprise"] = Field(default="enterprise", description="诉求人类型：企业（默认）")
    enterprise_name: str = Field(min_length=1, max_length=200, description="企业名称")
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100，含校验码)",
                             json_schema_extra={"pattern": CREDIT_CODE_PATTERN})
    contact_name: str = Field(min_length=1, max_length=60, description="联系人")
    #: Named ``mobile`` for compatibility: for a hotline filing it may be a landline with its area code.
    mobile: str = _phone_field()

    @field_validator("enterprise_name")
    @classmethod
    def _enterprise(cls, v: str) -> str:
        return not_blank(v, "Enterprise name", "企业名称")

    @field_validator("contact_name")
    @classmethod
    def _contact(cls, v: str) -> str:
        return not_blank(v, "Contact name", "联系人")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str) -> str:
        return check_credit_code(v)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str, info: ValidationInfo) -> str:
        return check_phone(v, info)


class CitizenFilerIn(RequestBody):
    """An individual citizen filing for themselves (个人)."""

    kind: Literal["individual"] = Field(description="诉求人类型：个人")
    name: str = Field(min_length=1, max_length=60, description="姓名")
    mobile: str = _phone_field()
    id_number: str | None = Field(default=None, max_length=18, description="居民身份证号（可选，GB 11643，含校验码）",
                                  json_schema_extra={"pattern": ID_NUMBER_PATTERN})

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return not_blank(v, "Name", "姓名")

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str, info: ValidationInfo) -> str:
        return check_phone(v, info)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        try:
            return ric.validate(v.strip()).upper()
        except InvalidChecksum:
            raise field_error("id_number_check_character", "The identity card number's check character is wrong "
                              "(GB 11643)", "居民身份证号校验码错误（GB 11643）") from None
        except InvalidLength:
            raise field_error("id_number_length", "The identity card number must have 18 characters",
                              "居民身份证号应为 18 位") from None
        except (InvalidFormat, InvalidComponent, ValidationError):
            raise field_error("id_number_format", "The identity card number is not well formed (GB 11643: "
                              "region, birth date, sequence, check character)",
                              "居民身份证号格式不正确（GB 11643：地区码、出生日期、顺序码、校验码）") from None


class AnonymousFilerIn(RequestBody):
    """An anonymous (匿名) caller on the hotline: no contact data; the caller is told the tracking number and token."""

    kind: Literal["anonymous"] = Field(description="诉求人类型：匿名（仅限话务员热线登记）")


Filer = FilerIn | CitizenFilerIn | AnonymousFilerIn
FILER_MODELS: dict[str, type[RequestBody]] = {
    FilerKind.enterprise.value: FilerIn, FilerKind.individual.value: CitizenFilerIn,
    FilerKind.anonymous.value: AnonymousFilerIn,
}


def filer_contact(filer: Filer) -> tuple[str, str, str | None] | None:
    """The contact data a filing stores apart from the complaint: name, number (E.164), identity number."""
    if isinstance(filer, FilerIn):
        return filer.contact_name, filer.mobile, None
    if isinstance(filer, CitizenFilerIn):
        return filer.name, filer.mobile, filer.id_number
    return None


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


def mask_id_number(id_number: str) -> str:
    """An identity number as views show it: the first and the last character, 1****************X (region, birth
    date and sequence hidden)."""
    return id_number[0] + "*" * (len(id_number) - 2) + id_number[-1] if len(id_number) > 2 else "*" * len(id_number)


def show_mobile(e164: str) -> str:
    """The filer's number whole, as a person dials it: phonenumbers' national format for a Chinese number
    (138 1234 5678, 0571 8888 8888), the international one for a number abroad."""
    number = phonenumbers.parse(e164)
    shape = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 86 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, shape)
