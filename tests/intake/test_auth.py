"""Bearer tokens: the CLI issues staff tokens, verification rejects tampered, expired and impossible ones, and the
FastAPI dependency answers 401/403. Names are bounded where tokens are issued and identities are compared whole."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from services.intake.models import Complaint, Cooperation, HistoryEntry, Message
from services.sla.dashboard.projection import ReportEvent
from services.sla.models import AuditEntry
from shared import auth
from shared.auth import NAME_MAX, InvalidToken, Principal, Role, issue_token, verify_token
from shared.catalog import load_catalog
from shared.settings import CommonSettings
from tests.intake.helpers import bearer
from tests.support import AUTH_SECRET, complaint_body

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


def test_a_secret_is_checked_once_and_a_key_shaped_one_is_refused_every_time(monkeypatch):
    """HS256 checks a secret (not a PEM, SSH, DER or JWK key) once per secret, not once per token; a secret that fails
    the checks is never remembered."""
    checked = []
    real = jwt.algorithms.is_pem_format
    monkeypatch.setattr(jwt.algorithms, "is_pem_format", lambda key: checked.append(key) or real(key))
    secret = SECRET + "-checked-once"
    tokens = [issue_token(secret, role="operator", name=f"话务员{n}") for n in range(3)]
    assert [verify_token(secret, t).name for t in tokens] == ["话务员0", "话务员1", "话务员2"]
    assert checked == [secret.encode()]
    pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError):
            issue_token(pem, role="operator", name="话务员")
        with pytest.raises(InvalidToken):
            verify_token(pem, tokens[0])
    assert checked.count(pem.encode()) == 4


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


# --- names: bounded where tokens are issued, compared whole everywhere ------------------------------------------------

#: Two operators whose names agree on their first 71 characters: ``operator:`` and those fill an 80-character column.
SHARED = "话务员" * 23 + "甲乙"
LONG_NAMES = (SHARED + "一号", SHARED + "二号")


def _forged(name: str, role: str = "operator") -> str:
    """A token signed with the right secret but never checked by ``issue_token`` (as one issued before names were
    bounded, or by hand)."""
    claims = {"iss": auth.ISSUER, "sub": name, "role": role, "exp": 4_102_444_800}
    return jwt.encode(claims, CommonSettings().auth_secret, algorithm=auth.ALGORITHM)


@pytest.mark.parametrize("name", [
    pytest.param("甲" * (NAME_MAX + 1), id="one-too-long"), pytest.param(LONG_NAMES[0], id="71-shared"),
    pytest.param("", id="empty"), pytest.param("   ", id="blank"), pytest.param(" 张三", id="leading-space"),
    pytest.param("张三\t", id="trailing-tab"), pytest.param("张\x1b三", id="esc"), pytest.param("\u202e张三", id="bidi"),
    pytest.param("张\u200b三", id="zero-width-space"), pytest.param("张三\n", id="newline"),
])
def test_a_name_out_of_bounds_gets_no_token(name):
    with pytest.raises(ValueError):
        issue_token(SECRET, role="operator", name=name)
    with pytest.raises(InvalidToken):
        verify_token(SECRET, jwt.encode({"iss": auth.ISSUER, "sub": name, "role": "operator", "exp": 4_102_444_800},
                                        SECRET, algorithm=auth.ALGORITHM))


def test_the_cli_refuses_a_long_name_clearly(capsys):
    assert auth.main(["issue", "--role", "operator", "--name", "甲" * (NAME_MAX + 1)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"at most {NAME_MAX}" in captured.err and "departments:" not in captured.err
    assert auth.main(["issue", "--role", "operator", "--name", "甲" * NAME_MAX]) == 0


def test_every_identity_fits_whole_in_every_column_that_records_one():
    longest_department = max(load_catalog().ids, key=len)
    actors = [Principal(name="名" * NAME_MAX, role=role, department=longest_department if role is Role.handler
                        else None).actor for role in Role if role is not Role.filer]
    columns = [Complaint.__table__.c.filed_by, Complaint.__table__.c.claimed_by, HistoryEntry.__table__.c.actor,
               Message.__table__.c.actor, Cooperation.__table__.c.added_by, AuditEntry.__table__.c.actor,
               ReportEvent.__table__.c.actor]
    assert max(map(len, actors)) <= min(column.type.length for column in columns)
    unbounded = Principal(name=LONG_NAMES[0], role=Role.operator)
    assert unbounded.actor == "operator:" + LONG_NAMES[0]  # never cut, so never confused with another


async def test_operators_with_nearly_the_same_name_never_share_complaints(embedded):
    _, client = embedded
    hotline = {**complaint_body(), "channel": "hotline"}
    first, second = (bearer(_forged(name)) for name in LONG_NAMES)
    refused = await client.post("/v1/complaints", json=hotline, headers=first)
    assert refused.status_code == 401, refused.text
    assert (await client.get("/v1/departments/power/queue", headers=second)).status_code == 401

    at_the_limit = ("话" * (NAME_MAX - 1) + "一", "话" * (NAME_MAX - 1) + "二")
    one, two = (bearer(issue_token(CommonSettings().auth_secret, role="operator", name=n)) for n in at_the_limit)
    filed = await client.post("/v1/complaints", json=hotline, headers=one)
    assert filed.status_code == 201, filed.text
    url = f"/v1/complaints/{filed.json()['id']}"
    assert (await client.get(url, headers=one)).status_code == 200
    assert (await client.get(url, headers=two)).status_code == 404
