"""Error bodies in English and Chinese, one shape in every service and for every status.

Every error answer is a top-level JSON object: ``error`` (a stable code), ``message``, ``message_zh`` and, for input
errors, ``errors`` — one entry per offending field with a dotted ``field`` path, a stable ``code`` and a message in
both languages. ``install`` registers the handlers that put FastAPI's own errors (``HTTPException``, request
validation, 404/405 of the router) into this shape.

Pages are read by people, not programs: under the addresses an app declares as pages (``page_area``), an unknown
address asked for by a browser (GET or HEAD) is answered with that area's "not found" page instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

#: Chinese text of pydantic's built-in error types (validators raise ``field_error`` with their own).
_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "string_too_long": "内容过长，最多 {max_length} 个字符",
    "string_too_short": "内容过短，至少 {min_length} 个字符",
    "string_type": "应为字符串",
    "json_invalid": "请求体不是有效的 JSON",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "extra_forbidden": "不允许的字段",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值（true 或 false）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "too_long": "最多 {max_length} 项",
    "datetime_parsing": "时间格式无效，应为 ISO 8601（如 2026-12-20T18:00:00+08:00）",
    "datetime_from_date_parsing": "时间格式无效，应为 ISO 8601（如 2026-12-20T18:00:00+08:00）",
    "datetime_type": "应为时间（ISO 8601）",
    "value_error": "取值无效",
}

#: Each status's code and text when the raiser gave none (the router's 404, a 405, a bare ``HTTPException``).
_STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "The request is malformed", "请求格式不正确"),
    401: ("unauthorized", "A valid bearer token is required", "需要有效的登录令牌"),
    403: ("forbidden", "Your role may not do this", "您的角色无权执行此操作"),
    404: ("not_found", "Not found", "未找到"),
    405: ("method_not_allowed", "This method is not allowed here", "不支持该请求方法"),
    409: ("conflict", "The request conflicts with the current state", "请求与当前状态冲突"),
    412: ("stale_version", "The resource changed since it was read (If-Match)", "资源已被他人更新"),
    413: ("payload_too_large", "The request body is too large", "请求体过大"),
    428: ("if_match_required", "If-Match is required", "需要提供 If-Match"),
    422: ("validation_failed", "The request has invalid fields; nothing was saved.", "请求中有字段不合法，未作任何保存。"),
    429: ("rate_limited", "Too many requests", "请求过于频繁"),
    503: ("unavailable", "The service is unavailable, please retry", "服务暂不可用，请稍后重试"),
}


class FieldProblem(BaseModel):
    """One offending field of a request."""

    field: str
    code: str
    message: str
    message_zh: str


class Problem(BaseModel):
    """The one error body: a stable code, text in both languages, the fields at fault for input errors; some errors
    add their own facts (``allowed``, ``current_version``, ``retry_after`` …)."""

    model_config = ConfigDict(extra="allow")

    error: str
    message: str
    message_zh: str
    errors: list[FieldProblem] | None = None


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring that an operation may answer these statuses, each with the one error body."""
    return {status: {"model": Problem, "description": _STATUS_TEXT[status][1]} for status in statuses}


def problem(status: int, code: str, en: str, zh: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": en, "message_zh": zh, **extra},
                        headers=headers)


def field_error(code: str, en: str, zh: str, **context: Any) -> PydanticCustomError:
    """A validator's refusal of one field, with its Chinese text."""
    return PydanticCustomError(code, en, {"zh": zh, **context})


def _field_path(loc: tuple[Any, ...]) -> str:
    if len(loc) > 2 and loc[0] in {"query", "header"}:  # one value of a repeated parameter: the parameter
        loc = loc[:2]
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or [parts[0]]
    return ".".join(parts) or "body"


def _choices_zh(expected: str) -> str:
    """pydantic's ``'api', 'web' or 'hotline'`` as ``api、web、hotline``: no English inside a Chinese sentence."""
    quoted = re.findall(r"'([^']*)'", expected)
    return "、".join(quoted) if quoted else expected


def describe(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's errors as the field entries of an error body."""
    described = []
    for error in errors:
        code = error["type"]
        ctx = dict(error.get("ctx") or {})
        zh = ctx.pop("zh", None) or _ZH.get(code, "取值无效")
        if "expected" in ctx:
            ctx["expected"] = _choices_zh(str(ctx["expected"]))
        try:
            zh = zh.format(**ctx)
        except (KeyError, IndexError):
            pass
        loc = tuple(error.get("loc", ()))
        if code == "json_invalid":
            loc = ("body",)
        described.append({"field": _field_path(loc), "code": code, "message": error["msg"], "message_zh": zh})
    return described


def error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    code, en, zh = _STATUS_TEXT[422]
    return {"error": code, "message": en, "message_zh": zh, "errors": errors}


async def validation_exception_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content=error_body(describe(list(exc.errors()))))


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """An ``HTTPException`` (raised by a service, or by the framework for an unknown path or method) in the one shape:
    a dict detail's keys go to the top level, a string detail becomes the message. A 404 a browser meets in a page
    area is that area's page."""
    if exc.status_code == 404 and request.method in ("GET", "HEAD"):
        for prefixes, apart, not_found in getattr(request.app.state, "page_areas", ()):
            if _under(request.url.path, prefixes) and not _under(request.url.path, apart):
                return not_found(request)
    code, en, zh = _STATUS_TEXT.get(exc.status_code, ("error", "The request was refused", "请求被拒绝"))
    body: dict[str, Any] = {"error": code, "message": en, "message_zh": zh}
    detail = exc.detail
    if isinstance(detail, dict):
        body.update(detail)
    elif isinstance(detail, str) and detail and detail != _default_phrase(exc.status_code):
        body["message"] = detail
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return JSONResponse(status_code=exc.status_code, content=body, headers=headers or None)


def _default_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (the framework names only the first route's)."""
    return [method for method in _METHODS if any(
        route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.router.routes)]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def page_area(app: FastAPI, prefixes: tuple[str, ...], not_found: Callable[[Request], Response], *,
              apart: tuple[str, ...] = ()) -> None:
    """Declare the addresses under ``prefixes`` (``/workbench``: itself and what lies below it), except those under
    ``apart`` (an API inside the area, whose 404s are its answers), pages of ``app``: an unknown one there is answered
    with ``not_found``'s page (a 404) — a person following an old link or a mistyped one reads where to go, not a
    JSON error."""
    if not hasattr(app.state, "page_areas"):
        app.state.page_areas = []
    app.state.page_areas.append((prefixes, apart, not_found))


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def install(app: FastAPI) -> None:
    """Answer every framework error of ``app`` in the one shape."""
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
