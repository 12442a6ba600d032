"""ASGI middleware refusing request bodies above a size limit with 413, before anything parses them."""

from __future__ import annotations

import json
from typing import Any

#: Methods whose requests carry a body.
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodySizeLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
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
            if received > self.max_bytes:
                return await self._refuse(send)
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

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({
            "error": "body_too_large",
            "message": f"The request body exceeds {self.max_bytes} bytes; nothing was saved.",
            "message_zh": f"请求体超过 {self.max_bytes} 字节，未作任何保存。",
            "errors": [{"field": "body", "code": "body_too_large",
                        "message": f"at most {self.max_bytes} bytes", "message_zh": f"最多 {self.max_bytes} 字节"}],
        }, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
