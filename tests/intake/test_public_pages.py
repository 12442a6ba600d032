"""The public pages' safety: a wrong, altered, expired or staff token, another complaint's token, no cookie and an
unknown number answer exactly like a missing complaint; forms without their CSRF token change nothing; what people
typed is escaped; no template runs inline script; the private link's token stays out of the access log."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from services.intake.pages import public_common
from shared.auth import issue_token
from tests.conftest import embedded_settings
from tests.support import AUTH_SECRET, Server

MISSING = "/track/TS20260101-ZZZZZZ"


async def file_on_the_page(client: httpx.AsyncClient, **fields: str) -> tuple[str, str]:
    """File through ``/file`` as a citizen; the tracking number and the private link's path."""
    form = await client.get("/file")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    data = {"csrf": csrf, "filer.kind": "individual", "filer.name": "李秀英", "filer.mobile": "13912345678",
            "title": "路灯坏了", "text": "小区门口的路灯坏了一个月，晚上出行不便。", **fields}
    filed = await client.post("/file", data=data)
    assert filed.status_code == 201, filed.text
    number = re.search(r'id="tracking-number"[^>]*>([^<]+)<', filed.text).group(1)
    link = re.search(r'id="track-link"[^>]*href="([^"]+)"', filed.text).group(1)
    return number, link.replace("http://complaints.test", "").replace("&amp;", "&")


def _shown(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text


async def test_every_way_that_does_not_open_a_complaint_answers_like_a_missing_one(embedded):
    _, client = embedded
    number, link = await file_on_the_page(client)
    other_number, other_link = await file_on_the_page(client, title="另一件事")
    token = link.split("?t=")[1]
    missing = _shown(await client.get(MISSING))
    assert missing[0] == 404 and "未找到该诉求" in missing[1]
    client.cookies.clear()
    expired = issue_token(AUTH_SECRET, role="filer", name=number, complaint="x", ttl=timedelta(days=1),
                          now=datetime.now(timezone.utc) - timedelta(days=2))
    wrong = [
        f"/track/{number}",  # no cookie
        f"/track/{number}?t=",
        f"/track/{number}?t=nonsense",
        f"/track/{number}?t={token[:-2]}xx",  # altered signature
        f"/track/{number}?t={expired}",
        f"/track/{number}?t={issue_token(AUTH_SECRET, role='supervisor', name='王督办')}",
        f"/track/{number}?t={other_link.split('?t=')[1]}",  # another complaint's token
        f"/track/{other_number}?t={token}",
        f"/track/{number.lower()}?t={token}",
        f"{MISSING}?t={token}",
    ]
    for url in wrong:
        assert _shown(await client.get(url)) == missing, url
        assert "set-cookie" not in (await client.get(url)).headers
    opened = await client.get(link)
    assert opened.status_code == 303 and opened.headers["location"] == f"/track/{number}"
    assert "HttpOnly" in opened.headers["set-cookie"] and f"Path=/track/{number}" in opened.headers["set-cookie"]
    assert (await client.get(f"/track/{number}")).status_code == 200
    assert _shown(await client.get(f"/track/{other_number}")) == missing  # the cookie opens its own complaint only


async def test_forms_without_their_csrf_token_change_nothing(embedded):
    _, client = embedded
    number, link = await file_on_the_page(client)
    await client.get(link)
    page = await client.get(f"/track/{number}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    for token in ("", "forged"):
        refused = await client.post(f"/track/{number}/supplement",
                                    data={"csrf": token, "version": version, "text": "跨站伪造的补充"})
        assert refused.status_code == 403
    after = (await client.get(f"/track/{number}")).text
    assert "跨站伪造的补充" not in after and 'id="messages"' not in after
    assert re.search(r'name="version" value="(\d+)"', after).group(1) == version
    client.cookies.clear()
    form = {"filer.kind": "individual", "filer.name": "李", "filer.mobile": "13912345678", "title": "t", "text": "x"}
    assert (await client.post("/file", data={**form, "csrf": "forged"})).status_code == 403


async def test_what_people_type_is_escaped_and_no_page_runs_inline_script(embedded):
    _, client = embedded
    number, link = await file_on_the_page(client, title='<script>alert(1)</script>"onload="x')
    await client.get(link)
    page = await client.get(f"/track/{number}")
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    templates = Path(public_common.__file__).parent / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "style=" not in text, template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "|safe" not in text.replace(" ", ""), template


def test_the_private_links_token_is_not_in_the_access_log(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    with Server(embedded_settings(tmp_path), log_level="info", log_config=None) as server:
        with httpx.Client(base_url=server.url, follow_redirects=False) as client:
            form = client.get("/file")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            filed = client.post("/file", data={
                "csrf": csrf, "filer.kind": "individual", "filer.name": "李秀英", "filer.mobile": "13912345678",
                "title": "路灯坏了", "text": "小区门口的路灯坏了一个月。"})
            link = re.search(r'id="track-link"[^>]*href="([^"]+)"', filed.text).group(1).replace("&amp;", "&")
            token = link.split("?t=")[1]
            assert client.get(link).status_code == 303
    logged = [record.getMessage() for record in caplog.records if record.name == "uvicorn.access"]
    assert any("/track/" in line and "t=[redacted]" in line for line in logged), logged
    assert not any(token[:40] in line for line in logged)
