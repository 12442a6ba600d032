"""A person at the workbench, over HTTP: their own cookie jar, logging in with a staff token, reading pages and
posting forms with the CSRF token and version the page carried."""

from __future__ import annotations

import re
from typing import Any

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


class Desk:
    def __init__(self, app) -> None:
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://complaints.test")
        self.csrf = ""

    async def close(self) -> None:
        await self.client.aclose()

    async def login(self, token: str) -> httpx.Response:
        form = await self.client.get("/workbench/login")
        answer = await self.client.post("/workbench/login", data={"csrf": CSRF.search(form.text).group(1),
                                                                 "token": token})
        assert answer.status_code == 303, answer.text
        queue = await self.get("/workbench", follow=True)  # an operator's is the operator's desk
        assert queue.status_code == 200, queue.text
        return queue

    async def get(self, url: str, *, follow: bool = False) -> httpx.Response:
        answer = await self.client.get(url, follow_redirects=follow)
        found = CSRF.search(answer.text)
        if found:
            self.csrf = found.group(1)
        return answer

    async def act(self, complaint_id: str, action: str, data: dict[str, Any] | None = None, *,
                  csrf: str | None = None, version: str | None = None) -> httpx.Response:
        """Post an action's form as the complaint's page offers it (its version and CSRF token unless given)."""
        page = await self.get(f"/workbench/complaints/{complaint_id}")
        shown = VERSION.search(page.text)
        form = {"csrf": self.csrf if csrf is None else csrf,
                "version": version or (shown.group(1) if shown else "1"), **(data or {})}
        if csrf == "":
            form.pop("csrf")
        return await self.client.post(f"/workbench/complaints/{complaint_id}/{action}", data=form)
