"""Messages written the way people write to the county: long, addressed to an official, the request in the middle.

The sentences are written for these tests (``data/own_messages.jsonl`` and the cases below); what they check is the
rulebook's principle that the substance of the request decides, not the salutation, the story or the feelings.
"""

import json

import pytest

from services.router.domain.substance import SubstanceWeigher

from .conftest import DATA


@pytest.fixture(scope="module")
def own_messages() -> list[dict]:
    return [json.loads(line) for line in (DATA / "own_messages.jsonl").read_text(encoding="utf-8").splitlines()]


def landed(decision) -> str:
    return "center" if decision.triage else decision.department


def test_own_messages_land_with_their_owner(classifier, own_messages):
    misses = [(m["id"], m["department"], landed(classifier.classify(m["title"], m["text"]))) for m in own_messages]
    misses = [m for m in misses if m[1] != m[2]]
    assert len(misses) <= 1, misses


def test_sentence_roles(classifier):
    weigher: SubstanceWeigher = classifier.scorer.substance
    text = "尊敬的王书记：您好！我们厂里的工人已经半年没有拿到工资了。希望领导帮我们讨回工资。此致敬礼！"
    roles = [(text[s.start:s.end], s.role) for s in weigher.sentences(text)]
    assert roles[0] == ("尊敬的王书记：", "address")
    assert ("您好！", "address") in roles
    assert ("希望领导帮我们讨回工资。", "request") in roles
    assert roles[-1] == ("此致敬礼！", "courtesy")
    assert any(role == "story" for _, role in roles)


def test_the_official_addressed_does_not_decide(classifier):
    d = classifier.classify(
        "家门口的路什么时候修",
        "尊敬的人社局领导：我们知道不该找您，村口那段公路坑坑洼洼两年了，一下雨车都过不去，请尽快把路修好。",
    )
    assert landed(d) == "center"
    hrss = [e for e in d.explanation if e["department"] == "hrss"]
    assert not hrss


def test_thanks_do_not_count(classifier):
    text = "感谢税务局的同志！"
    assert classifier.classify("", text).triage or not classifier.scorer.score("", text).group_scores


def test_words_of_the_story_weigh_less_than_the_request_in_a_long_message(classifier):
    story = ("我家住在城东，孩子在县一中读高三，老人常年在县医院看病，去年家里还找银行贷了款，日子过得很紧。"
             "我在一家建材厂干了五年，每天早出晚归，厂里效益不好，老板总说再等等。")
    request = "厂里已经拖欠了我们十几个人八个月的工资，希望有关部门帮我们讨回来。"
    d = classifier.classify("求帮忙", story * 3 + request)
    assert landed(d) == "hrss", d.to_dict()["ranked"]
    lead = d.explanation[0]
    assert any(t["in"] == "request" for t in lead["terms"])


@pytest.mark.parametrize(
    "title,text,department",
    [
        ("工资", "被劳务公司拖欠了三个月工资，一直说下个月发。", "hrss"),
        ("社保", "老板一直没给我们交养老保险，去年医保也断了。", "hrss"),
        ("工资", "在县医院做护工，劳务公司拖欠了我们三个月的工资。", "hrss"),
        ("菜市场", "菜市场有的摊贩秤不准，买三斤排骨回家只有两斤六两，短斤少两。", "market"),
        ("保健品", "有人在小区开讲座卖保健品，说能治高血压，虚假宣传骗老人的钱。", "market"),
        ("房子漏水", "新房交房不到一年就墙体开裂、卫生间漏水，开发商拖着不修，房屋质量有问题。", "housing"),
        ("年终奖", "干了一年，老板说好的年终奖一分没给，还扣了我一个月工资当押金。", "hrss"),
        ("装修公司跑路", "交了三万块定金给装修公司，没动工公司就关门了，老板也找不到。", "market"),
        ("饭店卫生", "县城一家饭店后厨脏乱差，苍蝇到处飞，吃完饭全家拉肚子。", "market"),
        ("农贸市场", "城北农贸市场好几家卖肉的摊位秤不准，买两斤少三两。", "market"),
        ("二手车", "在二手车市场买了一辆车，卖家说没出过事故，结果是泡水车，要求退车不给退。", "market"),
        ("房产中介", "在房产中介买二手房，中介隐瞒房子有抵押的情况，还多收了两万中介费。", "housing"),
        ("提前退休", "在化工厂干了十五年特殊工种，申请提前退休，社保局说档案里找不到特殊工种记录。", "hrss"),
    ],
)
def test_how_people_say_it(classifier, title, text, department):
    assert landed(classifier.classify(title, text)) == department


@pytest.mark.parametrize(
    "title,text",
    [
        ("学校乱收费", "孩子读的初中要求每个学生订一百八十元的教辅资料，不订上课跟不上。"),
        ("医院收费", "母亲在县人民医院住院，清单上好几项检查根本没做，医院乱收费。"),
        ("公交改线", "公交线路调整以后最近的公交站要走二十分钟，老人去医院很不方便。"),
        ("物业", "物业公司没开业主大会就把物业费涨了一半，楼道灯坏了几个月没人修。"),
        ("独生子女奖励", "退休一年多了，独生子女父母奖励还没发，问了几次都说资金没到位。"),
        ("快递收费", "镇上的快递放在驿站不送上门，取一个包裹还要交一块钱。"),
        ("超市门口占道", "超市门口的人行道被商家摆满了货物，行人只能走机动车道。"),
        ("驾校乱收费", "报名驾校时说好学费全包，考科目二的时候又让交补考费、练车费，前后多收了两千多。"),
        ("残疾人补贴", "我是二级残疾，残疾人两项补贴申请了半年还没有发下来。"),
    ],
)
def test_matters_no_department_of_the_catalog_owns_go_to_the_center(classifier, title, text):
    d = classifier.classify(title, text)
    assert landed(d) == "center" and not d.financial_service, d.to_dict()["ranked"]


@pytest.mark.parametrize(
    "title,text,department",
    [
        ("食堂采购款", "我们中标了县一中食堂的政府采购项目，验收半年了，采购合同款一直没付。", "finance"),
        ("医院工程款", "县人民医院门诊楼的工程款拖欠我们两年，审计早就结束了。", "industry"),
        ("学校旁停电", "我们厂在实验小学旁边，这周停电三次，供电所也没提前通知。", "power"),
        ("景区小店被反复检查", "我们在景区开的小吃店，市场监管所一个月来检查了五次，每次都说要整改。", "market"),
        ("学校欠款", "县第二中学装修教学楼的工程款欠了我们一年多，学校说教育局没拨钱。", "industry"),
        ("旅行社发票", "我们旅行社开增值税发票，电子税务局总提示异常，团款收不回来。", "tax"),
        ("幼儿园施工许可", "我们投资的民办幼儿园新园舍，施工许可证申请一个多月还没批。", "housing"),
        ("养殖场停电", "我们养猪场上周停电一天，供电所没提前通知，死了几十头猪。", "power"),
        ("物业公司欠款", "一家物业公司欠我们保洁服务费二十万，起诉后法院判了，可一直执行不到位。", "court"),
        ("医保窗口排队", "政务大厅医保窗口只有一个人，排队排了三个小时，工作人员态度还差。", "gov_service"),
    ],
)
def test_a_school_or_hospital_in_the_setting_does_not_take_a_business_matter(classifier, title, text, department):
    assert landed(classifier.classify(title, text)) == department


def test_a_greeting_after_the_officials_title_is_a_salutation(classifier):
    roles = [s.role for s in classifier.scorer.substance.sentences("县长您好！过年在饭店吃年夜饭被多收了六百元。")]
    assert roles[0] == "address"


def test_a_negated_pair_does_not_count(classifier):
    hits = classifier.scorer.score("", "老板从没拖欠过工资。").hits.get("hrss.labour_social_insurance", [])
    assert all("…" not in h.term for h in hits)
    hits = classifier.scorer.score("", "老板拖欠了我们三个月的工资。").hits["hrss.labour_social_insurance"]
    assert any(h.term == "拖欠…工资" for h in hits)


def test_the_explanation_names_the_center_s_matter(classifier):
    d = classifier.classify("公交改线", "公交线路调整以后最近的公交站要走二十分钟，老人去医院很不方便。")
    lead = d.explanation[0]
    assert lead["department"] == "center" and next(iter(lead["matters"])) == "transport"
    assert all(t["group"].startswith("center.") for t in lead["terms"])


@pytest.mark.parametrize(
    "title,text,department",
    [
        ("教师绩效工资", "县里的教师绩效工资一直没有兑现，别的县早就发了，老师们意见很大。", "center"),
        ("退休教师", "我们退休教师的退休工资比同级公务员低很多，希望落实待遇。", "center"),
        ("私立学校欠薪", "我在一所私立培训学校当老师，学校拖欠了我们三个月工资，校长也躲着不见。", "hrss"),
    ],
)
def test_public_teachers_pay_is_education_s_a_private_employer_s_wage_claim_hrss_s(classifier, title, text, department):
    assert landed(classifier.classify(title, text)) == department
