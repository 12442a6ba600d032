"""Township names as people write them: the gazetteer's aliases (白沙 for 白沙镇) name the township."""

import json

import pytest

from services.router.domain.classifier import Classifier
from shared.catalog import GAZETTEER_PATH, load_gazetteer


@pytest.mark.parametrize(
    "title,text,township",
    [
        ("施工被拦", "在白沙建厂，村干部带人阻工，不让施工车辆进场。", "白沙镇"),
        ("镇里不兑现", "城关那边的镇政府当初答应给的场地补贴，现在镇长换了就不认了。", "城关镇"),
        ("进厂道路", "马坪镇政府答应协调的进厂道路，村委一直拦着不让修。", "马坪镇"),
    ],
)
def test_short_names_name_the_township(classifier, title, text, township):
    d = classifier.classify(title, text)
    assert (d.department, d.township, d.triage) == ("township", township, False)


@pytest.mark.parametrize(
    "text",
    [
        "白沙县的村干部带人阻工，镇政府不管。",  # another county
        "龙泉驿区的镇政府答应的补贴不兑现。",  # 龙泉驿 is not 龙泉
        "村口的石桥塌了，镇政府一直不管。",  # a stone bridge: 石桥 is no alias
    ],
)
def test_words_that_only_look_like_a_short_name_do_not(classifier, text):
    assert classifier.scorer.score("", text).townships == []


def test_the_first_township_mentioned_is_named(classifier):
    assert classifier.scorer.score("", "从城关搬到白沙镇以后，镇里答应的补贴一直没兑现。").townships == ["城关镇", "白沙镇"]


def test_a_gazetteer_without_aliases_still_loads(tmp_path):
    path = tmp_path / "gazetteer.json"
    path.write_text(json.dumps({"county": "某县", "townships": [{"id": "a", "name": "白沙镇", "kind": "镇"}]},
                               ensure_ascii=False), encoding="utf-8")
    gazetteer = load_gazetteer(path)
    assert gazetteer.townships[0].aliases == ()
    clf = Classifier.load(gazetteer_path=path)
    assert clf.classify("阻工", "在白沙建厂，村干部阻工，镇政府不管。").township is None
    assert clf.classify("阻工", "在白沙镇建厂，村干部阻工，镇政府不管。").township == "白沙镇"


def test_shipped_gazetteer_has_aliases():
    names = {t.name: t.aliases for t in load_gazetteer(GAZETTEER_PATH).townships}
    assert "白沙" in names["白沙镇"] and "城关" in names["城关镇"]
