"""Bearer tokens: the CLI issues staff tokens, verification rejects tampered, expired and impossible ones, and the
FastAPI dependency answers 401/403."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI

from shared import auth
from shared.auth import InvalidToken, Principal, Role, issue_token, verify_token
from tests.support import AUTH_SECRET

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_cli_issues_a_handler_token(capsys):
    assert auth.main(["issue", "--role", "handler", "--department", "power", "--name", "张三", "--days", "1"]) == 0
    token = capsys.readouterr().out.strip()
    principal = verify_token(AUTH_SECRET, token)
    assert principal == Principal(name="张三", role=Role.handler, department="power")
    assert principal.actor == "handler:power:张三"


def test_cli_refuses_a_handler_without_a_known_department(capsys):
    assert auth.main(["issue", "--role", "handler", "--department", "nowhere", "--name", "张三"]) == 2
    assert "departments:" in capsys.readouterr().err


@pytest.mark.parametrize("claims", [
    dict(role="handler", name="x"),
    dict(role="filer", name="x"),
    dict(role="supervisor", name="x", department="power"),
    dict(role="dispatcher", name="x", complaint="c"),
])
def test_impossible_claims_are_refused(claims):
    with pytest.raises(ValueError):
        issue_token(SECRET, **claims)


def test_tampered_expired_and_foreign_tokens_are_invalid():
    token = issue_token(SECRET, role="supervisor", name="周")
    assert verify_token(SECRET, token).role is Role.supervisor
    with pytest.raises(InvalidToken):
        verify_token(SECRET + "x", token)
    with pytest.raises(InvalidToken):
        verify_token(SECRET, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(InvalidToken):
        verify_token(SECRET, issue_token(SECRET, role="admin", name="a", ttl=timedelta(minutes=-5)))
    with pytest.raises(InvalidToken):
        verify_token(SECRET, "not.a.token")


async def test_dependency_answers_401_and_403():
    app = FastAPI()
    dashboard = auth.principal_dependency(SECRET, roles={Role.supervisor, Role.admin})

    @app.get("/dashboard")
    async def view(principal: Principal = Depends(dashboard)) -> dict:
        return {"name": principal.name}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/dashboard")).status_code == 401
        assert (await client.get("/dashboard", headers={"Authorization": "Basic x"})).status_code == 401
        handler = issue_token(SECRET, role="handler", name="张三", department="power")
        assert (await client.get("/dashboard", headers={"Authorization": f"Bearer {handler}"})).status_code == 403
        supervisor = issue_token(SECRET, role="supervisor", name="周")
        ok = await client.get("/dashboard", headers={"Authorization": f"Bearer {supervisor}"})
        assert ok.json() == {"name": "周"}
