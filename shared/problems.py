"""Error bodies in English and Chinese, the same shape in every service: ``error`` (a stable code), ``message``,
``message_zh`` and, for input errors, ``errors`` — one entry per field."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def problem(status: int, code: str, en: str, zh: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": en, "message_zh": zh, **extra},
                        headers=headers)
