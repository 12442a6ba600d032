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


def problem(status: int, code: str, en: str, zh: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": en, "message_zh": zh, **extra})
