"""The API documentation works on a county intranet without internet: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) of
every service reference only URLs of the service itself, and it serves each of them. (What Chromium actually requests
on these pages is watched in ``tests/dashboard/test_offline_browser.py``.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from services.intake import app as intake
from services.router import app as router
from services.sla import app as sla
from services.standalone import build_app
from shared.bus import make_bus
from shared.http import create_app
from tests.conftest import embedded_settings

#: Anything that names another host: an absolute URL, or a protocol-relative one.
ELSEWHERE = re.compile(r"[a-z][a-z0-9+.-]*://|(?<![:/\w])//[\w.-]+", re.I)
#: A URL handed to a script in the page (Swagger UI's ``url: '/openapi.json'``).
SCRIPT_URL = re.compile(r"""\burl\s*:\s*['"]([^'"]+)['"]""")


class _References(HTMLParser):
    """The URLs a page has the browser load: every ``src``, ``href`` and ReDoc's ``spec-url``, and the URLs in its
    inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.urls += [value for name, value in attrs if name in {"src", "href", "spec-url"} and value]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += SCRIPT_URL.findall(data)


def _app(name: str, tmp_path) -> FastAPI:
    """An app as a process serves it: all three services in one (``python -m services``), or one alone."""
    settings = embedded_settings(tmp_path)
    if name == "all-in-one":
        return build_app(settings)
    service = {"intake": intake, "router": router, "sla": sla}[name]
    return create_app(name, make_bus(settings, client_id=name), [], service.ROUTERS)


@pytest.mark.parametrize("app_name", ["all-in-one", "intake", "router", "sla"])
@pytest.mark.parametrize("page, asset", [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
async def test_the_docs_pages_reference_only_their_own_host(tmp_path, app_name, page, asset):
    app = _app(app_name, tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intranet.test") as client:
        answer = await client.get(page)
        assert answer.status_code == 200
        html = answer.text
        assert ELSEWHERE.findall(html) == [], "the page names another host"
        parser = _References()
        parser.feed(html)
        assert any(url.endswith(asset) for url in parser.urls), parser.urls
        assert any(url.endswith("/openapi.json") for url in parser.urls), parser.urls
        for url in parser.urls:
            assert url.startswith("/") and not url.startswith("//"), url
            served = await client.get(url)
            assert served.status_code == 200, url
            assert served.content, url
