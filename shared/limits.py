"""ASGI middleware refusing request bodies above a size limit with 413, before anything parses them. One route may
be allowed more (an upload, ``Allowance``), with a refusal of its own that names what its clients sent."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Methods whose requests carry a body.
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Allowance:
    """A larger limit for the requests of one method whose path matches ``path`` (a regular expression, matched
    whole), refused with ``refusal`` (an error body) when over it."""

    method: str
    path: str
    max_bytes: int
    refusal: dict[str, Any] = field(default_factory=dict)

    def covers(self, scope: dict) -> bool:
        return scope["method"] == self.method and re.fullmatch(self.path, scope.get("path", "")) is not None


class BodySizeLimit:
    def __init__(self, app: Any, max_bytes: int, allowances: Sequence[Allowance] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            return await self.app(scope, receive, send)
        allowance = next((a for a in self.allowances if a.covers(scope)), None)
        max_bytes = allowance.max_bytes if allowance else self.max_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            return await self._refuse(send, (allowance and allowance.refusal) or self._refusal(max_bytes))
        # Read the whole body first (it is at most max_bytes): a chunked body without a length is measured before
        # the framework parses it, which would turn an error raised mid-read into a 400.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > max_bytes:
                return await self._refuse(send, (allowance and allowance.refusal) or self._refusal(max_bytes))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return whole

        await self.app(scope, replay, send)

    @staticmethod
    def _refusal(max_bytes: int) -> dict[str, Any]:
        return {
            "error": "body_too_large",
            "message": f"The request body exceeds {max_bytes} bytes; nothing was saved.",
            "message_zh": f"请求体超过 {max_bytes} 字节，未作任何保存。",
            "errors": [{"field": "body", "code": "body_too_large",
                        "message": f"at most {max_bytes} bytes", "message_zh": f"最多 {max_bytes} 字节"}],
        }

    @staticmethod
    async def _refuse(send: Any, refusal: dict[str, Any]) -> None:
        body = json.dumps(refusal, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
