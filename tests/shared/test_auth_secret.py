"""The secret that signs bearer tokens: never a published one. The embedded default generates its own at first start
and keeps it under ``./var/`` (owner-only), where the token command of the same checkout finds it; any other
configuration refuses to start without a proper ``AUTH_SECRET``."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared.auth import issue_token, verify_token
from shared.settings import AllInOneSettings, CommonSettings
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import bearer
from tests.support import ROOT

#: What ``AUTH_SECRET`` defaulted to when unset: anyone who read the source could sign any token with it.
PUBLISHED = "development-only-secret-change-me"
POSTGRES = "postgresql://complaints:complaints@127.0.0.1:1/complaints"


def _without_secret() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"AUTH_SECRET", "DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}}


def _issue(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m shared.auth issue …`` run in ``cwd`` as a person would in their checkout."""
    return subprocess.run([sys.executable, "-m", "shared.auth", "issue", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={**_without_secret(), "PYTHONPATH": str(ROOT)})


async def test_the_embedded_default_refuses_tokens_signed_with_the_published_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTH_SECRET")
    monkeypatch.chdir(tmp_path)  # ./var/ of this "checkout"
    async with running_app(embedded_settings(tmp_path)) as (_app, client):
        forged = issue_token(PUBLISHED, role="supervisor", name="冒名督办")
        assert (await client.get("/v1/triage", headers=bearer(forged))).status_code == 401

        issued = _issue(tmp_path, "--role", "supervisor", "--name", "王督办")
        assert issued.returncode == 0, issued.stderr
        answer = await client.get("/v1/triage", headers=bearer(issued.stdout.strip()))
        assert answer.status_code == 200, answer.text


def test_the_generated_secret_is_owner_only_and_kept_across_starts(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTH_SECRET")
    path = tmp_path / "var" / "auth_secret"
    first = embedded_settings(tmp_path, auth_secret_file=str(path)).auth_secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.encode()) >= 32 and first != PUBLISHED
    assert path.read_text().strip() == first
    assert embedded_settings(tmp_path, auth_secret_file=str(path)).auth_secret == first
    assert AllInOneSettings(auth_secret_file=str(path)).auth_secret == first

    path.chmod(0o644)  # copied around carelessly: made owner-only again, and still the same secret
    assert CommonSettings(auth_secret_file=str(path)).auth_secret == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_token_issued_before_the_first_start_is_accepted_by_the_product(tmp_path, monkeypatch):
    issued = _issue(tmp_path, "--role", "dispatcher", "--name", "李四")
    assert issued.returncode == 0, issued.stderr
    again = _issue(tmp_path, "--role", "dispatcher", "--name", "李四")
    monkeypatch.delenv("AUTH_SECRET")
    monkeypatch.chdir(tmp_path)
    secret = embedded_settings(tmp_path).auth_secret
    assert secret == (tmp_path / "var" / "auth_secret").read_text().strip()
    assert verify_token(secret, issued.stdout.strip()).name == verify_token(secret, again.stdout.strip()).name == "李四"


CONFIGURATIONS = {
    "postgresql": {"database_url": POSTGRES},
    "kafka": {"kafka_bootstrap_servers": "127.0.0.1:9092"},
    "postgresql+kafka": {"database_url": POSTGRES, "kafka_bootstrap_servers": "127.0.0.1:9092"},
}


@pytest.mark.parametrize("secret", ["", PUBLISHED, "short-but-not-empty-31-bytes-xx"], ids=["unset", "published",
                                                                                          "short"])
@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_outside_the_embedded_default_a_missing_or_weak_secret_refuses_to_start(tmp_path, monkeypatch, configuration,
                                                                                secret):
    monkeypatch.delenv("AUTH_SECRET")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as refused:
        AllInOneSettings(auth_secret=secret, **CONFIGURATIONS[configuration])
    message = str(refused.value)
    assert "AUTH_SECRET" in message
    assert not secret or secret not in message
    assert not (tmp_path / "var").exists(), "no secret is generated outside the embedded default"


def test_a_weak_secret_given_to_the_embedded_default_is_refused_too(tmp_path):
    for weak in (PUBLISHED, "x" * 31):
        with pytest.raises(SystemExit, match="AUTH_SECRET"):
            embedded_settings(tmp_path, auth_secret=weak)
    strong = "s" * 32
    assert embedded_settings(tmp_path, auth_secret=strong).auth_secret == strong
    assert AllInOneSettings(database_url=POSTGRES, auth_secret=strong).auth_secret == strong
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("service", ["services", "services.intake", "services.sla"])
def test_a_service_on_postgresql_without_a_secret_stops_at_once_naming_it(tmp_path, service):
    done = subprocess.run([sys.executable, "-m", service], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**_without_secret(), "PYTHONPATH": str(ROOT), "DATABASE_URL": POSTGRES})
    assert done.returncode != 0
    assert "AUTH_SECRET" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "var").exists()
