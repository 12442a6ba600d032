"""The README's command lines work as a user types them in the checkout after ``make up``: each uses the Python of
``.venv`` (a bare ``python`` lacks the product's packages), and the token and deadline commands run as written."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from shared.auth import Role, verify_token
from tests.support import AUTH_SECRET

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [line.split("   #")[0].split("  # ")[0].strip()
            for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S) for line in block.splitlines()]


def _venv_python() -> Path:
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        if os.environ.get("CI"):
            pytest.fail("make test installs .venv; the README's commands need it")
        pytest.skip("no .venv in this checkout (make up / make test create it)")
    return python


def test_no_command_needs_a_python_other_than_the_checkouts():
    bare = [c for c in COMMANDS if re.search(r"(^|\$\()python3? -m ", c)]
    assert bare == []


def test_token_commands_run_as_typed():
    _venv_python()
    token_lines = [c for c in COMMANDS if "-m shared.auth issue" in c]
    assert len(token_lines) >= 4
    env = {k: v for k, v in os.environ.items() if k != "CLOCK_OFFSET_SECONDS"}
    for line in token_lines:
        script = f"{line}\necho \"$H\"" if line.startswith("H=") else line
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (line, done.stderr)
        token = done.stdout.strip().removeprefix("Authorization: Bearer ")
        assert verify_token(AUTH_SECRET, token).role in set(Role), line


def test_the_deadline_command_runs_as_typed():
    _venv_python()
    [line] = [c for c in COMMANDS if "-m services.sla.deadline" in c]
    done = subprocess.run(["bash", "-c", line], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "2026-10-14T00:00:00+08:00" in done.stdout
