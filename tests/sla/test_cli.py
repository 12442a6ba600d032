"""The deadline CLI, run as a user types it: python -m services.sla.deadline ..."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.sla.deadline", *args],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )


def test_financial_service_example():
    result = run("--policy", "financial_service", "--received", "2026-09-30T17:30:00+08:00")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "answer\t2026-10-14T00:00:00+08:00\n"
    assert result.stderr == ""


def test_one_line_per_milestone_and_difficult():
    result = run("--policy", "guizhou", "--received", "2026-11-23T09:00:00+08:00", "--difficult")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "dispatch\t2026-11-25T00:00:00+08:00",
        "resolution\t2026-12-09T00:00:00+08:00",
    ]


def test_utc_input_prints_shanghai_time():
    result = run("--policy", "standard", "--received", "2026-11-22T17:30:00Z")
    assert result.stdout == "resolution\t2026-12-04T00:00:00+08:00\n"


def test_beyond_the_data_prints_a_warning_line():
    from tests.sla.helpers import BEYOND

    result = run("--policy", "financial_service", "--received", f"{BEYOND - 1}-12-28T10:00:00+08:00")
    assert result.returncode == 0
    assert result.stdout.startswith(f"answer\t{BEYOND}-")
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("WARNING: ") and str(BEYOND) in lines[0]
    strict = run("--policy", "financial_service", "--received", f"{BEYOND - 1}-12-28T10:00:00+08:00", "--strict")
    assert strict.returncode == 3 and strict.stdout == result.stdout


def test_bad_input():
    naive = run("--policy", "standard", "--received", "2026-11-23T09:00:00")
    assert naive.returncode == 2 and "UTC offset" in naive.stderr
    unknown = run("--policy", "nope", "--received", "2026-11-23T09:00:00+08:00")
    assert unknown.returncode == 2 and "unknown policy" in unknown.stderr
    garbage = run("--policy", "standard", "--received", "yesterday")
    assert garbage.returncode == 2


def test_custom_policy_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        '{"format": 1, "sets": {"default": {"standard": "x", "financial_service": "x"}}, "policies": {"x": '
        '{"title": "t", "milestones": [{"name": "reply", "limit": 3, "unit": "working_days", "source": "s"}]}}}',
        encoding="utf-8",
    )
    result = run("--policy", "x", "--received", "2026-09-30T17:30:00+08:00", "--policies", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "reply\t2026-10-11T00:00:00+08:00\n"
