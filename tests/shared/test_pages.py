"""The staff session cookie and the CSRF token of page forms (shared/pages.py)."""

from datetime import timedelta

from shared import clock
from shared.pages import Sessions

SECRET = "s" * 40


def test_a_session_reads_back_and_its_forms_carry_its_own_csrf_token():
    sessions = Sessions(SECRET, cookie="c", path="/workbench")
    mine = sessions.decode(sessions.encode("token-a"))
    theirs = sessions.decode(sessions.encode("token-b"))
    assert mine.token == "token-a" and theirs.token == "token-b"
    assert sessions.csrf_valid(mine, sessions.csrf_token(mine))
    assert not sessions.csrf_valid(mine, sessions.csrf_token(theirs))
    assert not sessions.csrf_valid(mine, None) and not sessions.csrf_valid(None, sessions.csrf_token(mine))


def test_an_altered_foreign_or_expired_cookie_is_no_session():
    sessions = Sessions(SECRET, cookie="c", path="/", lifetime=timedelta(hours=8))
    value = sessions.encode("token-a")
    body, signature = value.split(".")
    assert sessions.decode(body + "x." + signature) is None
    assert sessions.decode(value[:-2]) is None
    assert Sessions("t" * 40, cookie="c", path="/").decode(value) is None
    assert sessions.decode(value, now=clock.now() + timedelta(hours=8, seconds=1)) is None
    assert sessions.decode(value, now=clock.now() + timedelta(hours=7)) is not None
    assert sessions.decode("not-a-cookie") is None and sessions.decode(None) is None


async def test_the_security_headers_go_on_the_pages_they_are_for():
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    import httpx

    from shared.pages import PageHeaders

    app = FastAPI(docs_url=None)
    app.add_middleware(PageHeaders, paths=("/workbench",))
    app.get("/workbench")(lambda: HTMLResponse("<p>page</p>"))
    app.get("/docs")(lambda: HTMLResponse("<script>ui()</script>"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        page, docs = await client.get("/workbench"), await client.get("/docs")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "content-security-policy" not in docs.headers
