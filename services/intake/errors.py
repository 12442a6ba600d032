"""Intake's refusals of requests and lifecycle commands (404, 403, 409, 412, 422, 428, 429), each with a stable code
and text in English and Chinese, in the error shape of ``shared.problems``. Times in the text are Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.calendar import SHANGHAI
from shared.problems import problem
from shared.vocabulary import ACTION_NAMES, action_name, status_name

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

    def __init__(self, holder: str, until: datetime) -> None:
        local = until.astimezone(SHANGHAI)
        super().__init__(
            f"{holder} holds the claim until {local:%Y-%m-%d %H:%M} (Asia/Shanghai)",
            f"该诉求已由 {holder} {ACTION_NAMES['claim']}，签收有效至 {local:%Y-%m-%d %H:%M}",
            claimed_by=holder, lease_until=local.isoformat(),
        )


class LeaseRequired(Conflict):
    code = "claim_required"
    en = "Claim the complaint first (or renew your lapsed claim)"
    zh = "请先签收该诉求（签收已过期的，请重新签收）"


class TransitionRefused(Conflict):
    code = "illegal_transition"

    def __init__(self, status: str, action: str, allowed: list[str]) -> None:
        listed = ", ".join(allowed) or "none"
        listed_zh = "、".join(action_name(a) for a in allowed) or "无"
        super().__init__(
            f"'{action}' is not allowed while the complaint is {status}; allowed: {listed}",
            f"诉求当前状态为“{status_name(status)}”，不能{action_name(action)}；可执行：{listed_zh}",
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


class TooManyTries(IntakeError):
    """Tries of an access code: its client's, or its tracking number's after wrong codes (``AccessCodeLimit``)."""

    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many tries; retry in {retry_after} s", f"尝试次数过多，请 {retry_after} 秒后再试",
                         retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


async def intake_error_handler(_request: Request, exc: IntakeError) -> JSONResponse:
    return exc.response()
