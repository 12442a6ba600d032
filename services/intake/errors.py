"""Field-level validation errors in English and Chinese.

Every 4xx caused by input carries ``errors``: one entry per offending field with a dotted ``field`` path, a stable
``code`` and a message in both languages. Validators raise ``field_error`` (a ``PydanticCustomError`` carrying the
Chinese text); built-in pydantic errors get their Chinese text from ``_ZH``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import PydanticCustomError

from shared.problems import problem

_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "string_too_long": "内容过长，最多 {max_length} 个字符",
    "string_too_short": "内容过短，至少 {min_length} 个字符",
    "string_type": "应为字符串",
    "json_invalid": "请求体不是有效的 JSON",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "extra_forbidden": "不允许的字段",
    "bool_type": "应为布尔值",
    "int_type": "应为整数",
    "value_error": "取值无效",
}


def field_error(code: str, en: str, zh: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(code, en, {"zh": zh, **context})


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or [parts[0]]
    return ".".join(parts) or "body"


def describe(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    described = []
    for error in errors:
        code = error["type"]
        ctx = error.get("ctx") or {}
        zh = ctx.get("zh") or _ZH.get(code, "取值无效")
        try:
            zh = zh.format(**{k: v for k, v in ctx.items() if k != "zh"})
        except (KeyError, IndexError):
            pass
        loc = tuple(error.get("loc", ()))
        if code == "json_invalid":
            loc = ("body",)
        described.append({"field": _field_path(loc), "code": code, "message": error["msg"], "message_zh": zh})
    return described


def error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "error": "validation_failed",
        "message": "The request has invalid fields; nothing was saved.",
        "message_zh": "请求中有字段不合法，未作任何保存。",
        "errors": errors,
    }


async def validation_exception_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content=error_body(describe(list(exc.errors()))))


# --- refusals of lifecycle commands ---------------------------------------------------------------------------------


class IntakeError(Exception):
    """A refusal a command raises; the API turns it into ``problem(...)`` with the status and bilingual text."""

    status = 400
    code = "bad_request"
    en = "The request was refused"
    zh = "请求被拒绝"

    def __init__(self, en: str | None = None, zh: str | None = None, **extra: Any) -> None:
        super().__init__(en or self.en)
        self.en_text = en or self.en
        self.zh_text = zh or self.zh
        self.extra = extra
        self.headers: dict[str, str] = {}

    def response(self) -> JSONResponse:
        response = problem(self.status, self.code, self.en_text, self.zh_text, **self.extra)
        response.headers.update(self.headers)
        return response


class NotFound(IntakeError):
    """No such complaint — or one the caller may not see (never 403, so its existence does not leak)."""

    status, code, en, zh = 404, "not_found", "No such complaint", "未找到该诉求"


class Forbidden(IntakeError):
    status, code, en, zh = 403, "forbidden", "You may see this complaint but not do this", "您可查看该诉求，但无权执行此操作"


class PreconditionRequired(IntakeError):
    status, code = 428, "if_match_required"
    en = 'Send If-Match with the complaint version (its ETag, e.g. If-Match: "3")'
    zh = '请在 If-Match 中提供诉求的版本号（即 ETag，例如 If-Match: "3"）'


class StaleVersion(IntakeError):
    status, code = 412, "stale_version"
    en = "The complaint changed since you read it; read it again and retry"
    zh = "诉求已被他人更新，请刷新后重试"

    def __init__(self, current: int) -> None:
        super().__init__(current_version=current)
        self.headers = {"ETag": f'"{current}"'}


class Conflict(IntakeError):
    status, code = 409, "conflict"


class LeaseHeld(Conflict):
    code = "claimed_by_another"

    def __init__(self, holder: str, until: str) -> None:
        super().__init__(
            f"{holder} holds the claim until {until}", f"该诉求已由 {holder} 签收，租约至 {until}",
            claimed_by=holder, lease_until=until,
        )


class LeaseRequired(Conflict):
    code = "claim_required"
    en = "Claim the complaint first (or renew your lapsed claim)"
    zh = "请先签收该诉求（或续签已过期的签收）"


class TransitionRefused(Conflict):
    code = "illegal_transition"

    def __init__(self, status: str, action: str, allowed: list[str]) -> None:
        listed = ", ".join(allowed) or "none"
        super().__init__(
            f"'{action}' is not allowed while the complaint is {status}; allowed: {listed}",
            f"诉求当前状态为 {status}，不能执行 {action}；可执行：{'、'.join(allowed) or '无'}",
            current_status=status, action=action, allowed=allowed,
        )


class Unprocessable(IntakeError):
    status, code = 422, "validation_failed"

    def __init__(self, field: str, code: str, en: str, zh: str) -> None:
        super().__init__(
            "The request has invalid fields; nothing was saved.", "请求中有字段不合法，未作任何保存。",
            errors=[{"field": field, "code": code, "message": en, "message_zh": zh}],
        )


class TooManyRequests(IntakeError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many filings from this client; retry in {retry_after} s",
            f"提交过于频繁，请 {retry_after} 秒后再试", retry_after=retry_after,
        )
        self.headers = {"Retry-After": str(retry_after)}


async def intake_error_handler(_request: Request, exc: IntakeError) -> JSONResponse:
    return exc.response()
