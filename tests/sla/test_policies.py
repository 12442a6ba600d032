"""The policy file: shipped content, validation, policy sets and reloading on change."""

from __future__ import annotations

import copy
import json
import logging
import os

import pytest

from services.sla.domain.policies import DEFAULT_POLICIES_PATH, PolicyStore, load_policies
from services.sla.domain.policy_file import parse_policies
from services.sla.domain.policy_model import LEVELS, SLA_CLASSES, Milestone, Policy, PolicyError


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads(DEFAULT_POLICIES_PATH.read_text(encoding="utf-8"))


def test_shipped_policies(shipped):
    store = load_policies()
    assert set(store.names()) == {"standard", "financial_service", "guizhou", "shanxi"}

    std = store.get("standard")
    assert [(m.name, m.limit, m.unit, m.difficult_limit, m.repeats) for m in std.milestones] == [
        ("resolution", 10, "calendar_days", None, True)]
    fin = store.get("financial_service")
    assert [(m.name, m.limit, m.unit, m.difficult_limit) for m in fin.milestones] == [
        ("answer", 5, "working_days", None)]
    gz = store.get("guizhou")
    assert [(m.name, m.limit, m.unit, m.difficult_limit) for m in gz.milestones] == [
        ("dispatch", 1, "calendar_days", None), ("resolution", 5, "calendar_days", 15)]
    assert gz.milestone("resolution").escalation_levels[-1].level == "joint_meeting"
    sx = store.get("shanxi")
    assert [(m.name, m.limit, m.unit, m.difficult_limit) for m in sx.milestones] == [
        ("contact", 1, "calendar_days", None), ("resolution", 5, "calendar_days", 15)]
    assert gz.supports_difficult and sx.supports_difficult and not std.supports_difficult

    for policy in (std, fin, gz, sx):
        assert isinstance(policy, Policy) and policy.title
        for m in policy.milestones:
            assert isinstance(m, Milestone) and m.source  # every milestone cites its source
            assert all(lv.level in LEVELS for lv in m.escalation_levels)


def test_sources_are_cited(shipped):
    text = json.dumps(shipped, ensure_ascii=False)
    for quote in ("每件投诉举报件办理时限为10天", "投诉处理反馈时限≤5个工作日", "1日内将投诉事项交相关单位承办",
                  "疑难事项15日内办结", "1天电话联系"):
        assert quote in text


def test_policy_sets():
    store = load_policies()
    assert store.policy_for("standard").name == "standard"
    assert store.policy_for("financial_service", "default").name == "financial_service"
    assert store.policy_for("financial_service", "guizhou").name == "guizhou"
    assert store.policy_for("standard", "shanxi").name == "shanxi"
    for set_name in store.set_names():
        for sla_class in SLA_CLASSES:
            store.policy_for(sla_class, set_name)
    with pytest.raises(PolicyError, match="policy set"):
        store.policy_for("standard", "atlantis")
    with pytest.raises(PolicyError, match="SLA class"):
        store.policy_for("urgent")
    with pytest.raises(PolicyError, match="unknown policy"):
        store.get("nope")


def test_milestone_limit_for():
    m = Milestone("resolution", 5, "calendar_days", 15, "src")
    assert (m.limit_for(False), m.limit_for(True)) == (5, 15)
    assert Milestone("answer", 5, "working_days", None, "src").limit_for(True) == 5


def test_frozen():
    m = Milestone("resolution", 5, "calendar_days", 15, "src")
    with pytest.raises(AttributeError):
        m.limit = 6  # type: ignore[misc]


def _mutate(raw, path, value):
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("format",), 2, "format"),
        (("policies", "standard", "milestones", 0, "limit"), 0, "positive integer"),
        (("policies", "standard", "milestones", 0, "unit"), "hours", "unit"),
        (("policies", "standard", "milestones", 0, "source"), "", "source"),
        (("policies", "guizhou", "milestones", 1, "difficult_limit"), 3, "shorter"),
        (("policies", "standard", "milestones", 0, "warnings", "fractions"), [1.5], "fractions"),
        (("policies", "standard", "milestones", 0, "escalation", "repeat"), "hourly", "repeat"),
        (("policies", "standard", "milestones", 0, "escalation", "levels", 0, "level"), "mayor", "level"),
        (("policies", "standard", "milestones", 0, "escalation", "levels", 1, "after_working_days"), 0, "rise"),
        (("policies", "standard", "milestones"), [], "milestones"),
        (("policies", "standard", "title"), "", "title"),
        (("sets", "default", "financial_service"), KeyError, "does not map"),
        (("sets", "guizhou", "standard"), "nope", "unknown policy"),
        (("sets", "default"), KeyError, "default"),
        (("rest_day_rule",), "never", "rest_day_rule"),
    ],
)
def test_validation_errors_name_the_field(shipped, path, value, message):
    raw = _mutate(copy.deepcopy(shipped), path, value)
    with pytest.raises(PolicyError, match=message):
        parse_policies(raw)


def test_duplicate_milestones_rejected(shipped):
    raw = copy.deepcopy(shipped)
    ms = raw["policies"]["guizhou"]["milestones"]
    ms[0]["name"] = ms[1]["name"]
    with pytest.raises(PolicyError, match="duplicate"):
        parse_policies(raw)


def _write(path, raw, stamp_ns):
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    os.utime(path, ns=(stamp_ns, stamp_ns))


def test_store_reloads_when_the_file_changes(tmp_path, shipped, caplog):
    path = tmp_path / "policies.json"
    _write(path, shipped, 1_000_000_000_000_000_000)
    store = PolicyStore(path)
    assert store.get("standard").milestone("resolution").limit == 10
    assert store.reload_if_changed() is False

    changed = copy.deepcopy(shipped)
    changed["policies"]["standard"]["milestones"][0]["limit"] = 7
    _write(path, changed, 1_000_000_002_000_000_000)
    assert store.get("standard").milestone("resolution").limit == 7
    assert store.generation == 2 and store.last_error is None

    broken = copy.deepcopy(changed)
    broken["policies"]["standard"]["milestones"][0]["unit"] = "fortnights"
    with caplog.at_level(logging.ERROR, logger="complaints.sla.policies"):
        _write(path, broken, 1_000_000_004_000_000_000)
        assert store.get("standard").milestone("resolution").limit == 7  # last good version kept
    assert store.last_error and "unit" in store.last_error
    assert any(r.levelno == logging.ERROR for r in caplog.records)

    _write(path, shipped, 1_000_000_006_000_000_000)
    assert store.get("standard").milestone("resolution").limit == 10
    assert store.last_error is None and store.generation == 3


def test_store_survives_the_file_disappearing(tmp_path, shipped):
    path = tmp_path / "policies.json"
    _write(path, shipped, 1_000_000_000_000_000_000)
    store = PolicyStore.load(path)
    path.unlink()
    assert store.get("financial_service").name == "financial_service"
    assert store.last_error


def test_first_load_must_succeed(tmp_path):
    path = tmp_path / "policies.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError):
        PolicyStore(path)
    with pytest.raises(FileNotFoundError):
        PolicyStore(tmp_path / "missing.json")
