"""Learning from returns and dispatcher placements: later similar complaints go where people put them."""

import json
from dataclasses import asdict

import pytest

from services.router.domain.classifier import Classifier, Correction

# In this county, muck haulage (渣土运输) permits are issued by the housing bureau — a local arrangement the
# lexicon does not know (it counts 渣土 as urban management, coordinated by the center).
CORRECTIONS = [
    Correction("渣土运输核准办不下来", "公司的渣土运输车辆核准申请交了一个月，一直说在审核，工地的渣土运不出去。", "housing"),
    Correction("渣土车核准证", "渣土运输核准证到期换证，材料交了三次还没换下来，车辆没法上路运渣土。", "housing"),
]
LATER = [
    ("渣土运输核准太慢", "新中标的项目要运渣土，渣土运输核准迟迟批不下来，耽误开工。"),
    ("渣土核准", "我们车队申请渣土运输车辆核准，审核了一个多月没有结果。"),
    ("渣土车辆核准证", "渣土运输核准证延期手续办了很久，车辆一直停着。"),
]


def accuracy(clf: Classifier, cases, department: str) -> float:
    return sum(clf.classify(t, x).department == department for t, x in cases) / len(cases)


def test_corrections_improve_later_similar_complaints(fresh_classifier):
    before = accuracy(fresh_classifier, LATER, "housing")
    for c in CORRECTIONS:
        fresh_classifier.learn(c)
    after = accuracy(fresh_classifier, LATER, "housing")
    assert before <= 1 / 3
    assert after == 1.0 and after > before


def test_learning_shows_in_the_explanation(fresh_classifier):
    for c in CORRECTIONS:
        fresh_classifier.learn(c)
    d = fresh_classifier.classify(*LATER[0])
    lead = d.explanation[0]
    assert lead["department"] == "housing"
    assert lead["memory"] and lead["memory"][0]["similarity"] > 0.35


def test_unrelated_complaints_are_not_disturbed(fresh_classifier):
    for c in CORRECTIONS:
        fresh_classifier.learn(c)
    assert fresh_classifier.classify("停电", "厂里这周停电三次，供电所没通知。").department == "power"
    assert fresh_classifier.classify("发票", "电子税务局开不了发票。").department == "tax"


def test_triaged_complaint_placed_by_dispatcher_carries_township_and_fs(fresh_classifier):
    fresh_classifier.learn(
        Correction("园区道路没人修", "新兴镇工业园区里的道路坑坑洼洼，货车进不来，镇里说园区归县里。", "township",
                   township="新兴镇")
    )
    d = fresh_classifier.classify("园区道路没人修", "新兴镇工业园区里的道路坑坑洼洼，货车进不来，镇里说园区归县里。")
    assert (d.department, d.township, d.triage) == ("township", "新兴镇", False)


def test_corrections_persist_across_restarts(tmp_path):
    """The service stores corrections and replays them through learn() at start."""
    first = Classifier.load()
    store = tmp_path / "corrections.jsonl"
    with store.open("w", encoding="utf-8") as fh:
        for c in CORRECTIONS:
            first.learn(c)
            fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    expected = [first.classify(t, x).to_dict() for t, x in LATER]

    restarted = Classifier.load()
    for line in store.read_text(encoding="utf-8").splitlines():
        restarted.learn(Correction(**json.loads(line)))
    assert [restarted.classify(t, x).to_dict() for t, x in LATER] == expected


def test_latest_correction_of_the_same_complaint_wins(fresh_classifier):
    title, text = CORRECTIONS[0].title, CORRECTIONS[0].text
    fresh_classifier.learn(Correction(title, text, "housing"))
    fresh_classifier.learn(Correction(title, text, "ndrc"))
    assert len(fresh_classifier.memory) == 1
    assert fresh_classifier.classify(title, text).department == "ndrc"


def test_a_correction_never_overrides_exclusion(fresh_classifier):
    for c in CORRECTIONS:
        fresh_classifier.learn(c)
    d = fresh_classifier.classify(*LATER[0], exclude=frozenset({"housing"}))
    assert d.department != "housing"


def test_unknown_department_in_a_correction_is_refused(fresh_classifier):
    with pytest.raises(ValueError):
        fresh_classifier.learn(Correction("x", "y", "police"))


# Lifts in residential estates are a boundary (special equipment vs property management); this county's dispatchers
# put them with market regulation. Long messages by different people, each with its own story around the request.
LIFT_CORRECTION = Correction(
    "小区电梯三天两头坏",
    "尊敬的领导：您好！我们小区一共六栋楼，去年交房以后，三号楼的电梯就三天两头出故障，上个月还把一位老人关在里面"
    "半个多小时。我们找了很多次，都说在修。电梯年检的标志也过期了。希望有关部门尽快来检查这部电梯，保障我们的安全。谢谢！",
    "market",
)
LIFT_LATER = ("电梯安全谁来管", "我是城南一个小区的业主，小区的电梯运行起来声音很大，还经常突然下坠，大家都不敢坐，"
              "电梯年检也不知道有没有做。希望领导重视电梯安全。")


def test_a_correction_of_a_long_message_carries_over_to_a_message_told_differently(fresh_classifier):
    assert fresh_classifier.classify(*LIFT_LATER).department == "center"
    fresh_classifier.learn(LIFT_CORRECTION)
    d = fresh_classifier.classify(*LIFT_LATER)
    assert d.department == "market"
    assert d.explanation[0]["memory"][0]["similar_correction"] == LIFT_CORRECTION.title


def test_a_returned_complaint_goes_where_its_handler_suggests_before_anything_is_learned(fresh_classifier):
    """The returning handler's suggestion places that very complaint (as a fully similar correction would) without
    touching the model: the correction is learned only once it is committed."""
    title, text = "一周停了四次电", "我厂本周已经停电四次，没有任何预告，请供电公司查明原因，保障正常供电。"
    before = len(fresh_classifier.memory)
    plain = fresh_classifier.classify(title, text, exclude=frozenset({"power"}))
    assert plain.department != "housing"
    suggested = fresh_classifier.classify(title, text, exclude=frozenset({"power"}), suggested="housing")
    assert suggested.department == "housing"
    assert any(e.get("suggested_by") for e in suggested.explanation)
    assert len(fresh_classifier.memory) == before
    # a suggestion of a department that already returned it does not count
    assert fresh_classifier.classify(title, text, exclude=frozenset({"power"}), suggested="power").department \
        != "power"
