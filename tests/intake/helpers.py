"""Helpers for tests that act on complaints: staff tokens, a client that follows complaints with their filer
tokens, and acting with If-Match."""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import issue_token
from tests.support import AUTH_SECRET


def staff_token(role: str, name: str, department: str | None = None, secret: str | None = None,
                township: str | None = None) -> str:
    return issue_token(secret or AUTH_SECRET, role=role, name=name, department=department, township=township)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class FilerClient:
    """Wraps an HTTP client: remembers the ``access_token`` of each complaint it files and sends it when reading that
    complaint (``/v1/complaints/{id}…``), as the filer would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.post(url, **self._auth(url, kwargs))
        if url == "/v1/complaints" and response.status_code == 201:
            self.tokens[response.json()["id"]] = response.json()["access_token"]
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, **self._auth(url, kwargs))

    def _auth(self, url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        parts = url.split("?")[0].split("/")
        if len(parts) > 3 and parts[1:3] == ["v1", "complaints"] and parts[3] in self.tokens:
            kwargs["headers"] = {**bearer(self.tokens[parts[3]]), **(kwargs.get("headers") or {})}
        return kwargs

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class Actor:
    """Someone acting on complaints through the API with a token; ``act`` reads the ETag first unless given."""

    def __init__(self, client: httpx.AsyncClient | FilerClient, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    async def version(self, complaint_id: str) -> str:
        response = await self.get(f"/v1/complaints/{complaint_id}")
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    async def act(self, complaint_id: str, action: str, body: dict | None = None, *, etag: str | None = None,
                  expect: int | None = 200) -> httpx.Response:
        etag = etag or await self.version(complaint_id)
        response = await self.client.post(
            f"/v1/complaints/{complaint_id}/{action}", json=body,
            headers={**self.headers, "If-Match": etag},
        )
        if expect is not None:
            assert response.status_code == expect, f"{action}: {response.status_code} {response.text}"
        return response
