"""The lexicon file is validated on load: every department covered, every group and rule with a reason."""

import copy
import json

import pytest

from services.router.domain.lexicon import DEFAULT_LEXICON_PATH, LexiconError, parse_lexicon
from shared.catalog import load_catalog

IDS = frozenset(load_catalog().ids)


@pytest.fixture(scope="module")
def raw():
    return json.loads(DEFAULT_LEXICON_PATH.read_text(encoding="utf-8"))


def test_lexicon_loads_and_covers_every_department(raw):
    lexicon = parse_lexicon(raw, IDS)
    assert lexicon.departments == IDS
    assert all(g.reason.strip() for g in lexicon.groups)
    assert all(r.reason.strip() for r in lexicon.rules)


def test_unknown_department_is_rejected(raw):
    bad = copy.deepcopy(raw)
    bad["groups"][2]["department"] = "environment_bureau"
    with pytest.raises(LexiconError, match="unknown department"):
        parse_lexicon(bad, IDS)


def test_rule_with_unknown_cue_is_rejected(raw):
    bad = copy.deepcopy(raw)
    bad["rules"][0]["if_any"] = ["cue:no_such_cue"]
    with pytest.raises(LexiconError, match="unknown condition"):
        parse_lexicon(bad, IDS)


def test_group_without_reason_is_rejected(raw):
    bad = copy.deepcopy(raw)
    bad["groups"][3]["reason"] = " "
    with pytest.raises(LexiconError, match="reason"):
        parse_lexicon(bad, IDS)


def test_unknown_setting_is_rejected(raw):
    bad = copy.deepcopy(raw)
    bad["settings"]["temprature"] = 1.0
    with pytest.raises(LexiconError, match="unknown setting"):
        parse_lexicon(bad, IDS)


@pytest.mark.parametrize(
    "near",
    [
        [{"first": ["拖欠"], "second": [], "window": 6, "weight": 6}],
        [{"first": ["拖欠"], "second": ["工资"], "window": 40, "weight": 6}],
        [{"first": ["拖欠"], "second": ["工资"], "window": 6}],
        {"first": ["拖欠"], "second": ["工资"]},
    ],
)
def test_malformed_word_pairs_are_rejected(raw, near):
    bad = copy.deepcopy(raw)
    bad["groups"][5]["near"] = near
    with pytest.raises(LexiconError, match="near"):
        parse_lexicon(bad, IDS)


def test_word_pairs_and_matters_are_read(raw):
    lexicon = parse_lexicon(raw, IDS)
    assert any(g.near for g in lexicon.groups if g.department == "hrss")
    center_matters = {g.matter for g in lexicon.groups if g.department == "center"}
    assert {"financial_service", "education", "health", "transport", "environment"} <= center_matters
    assert next(g for g in lexicon.groups if g.id == "center.coordination").matter == ""  # counts for any matter
