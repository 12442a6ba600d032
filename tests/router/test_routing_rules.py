"""The rulebook's boundaries, on complaint sentences written for these tests."""

import json

import pytest

CASES = [
    # (title, text, department, financial_service)
    ("电商仓库的事", "我们做电商的，县里说有电子商务进农村的扶持政策，申请了半年商务局没人理。", "commerce", False),
    ("电子税务局又崩了", "电子税务局申报一直提示系统错误，电子发票也开不出来，马上要逾期了。", "tax", False),
    ("贴息钱没到", "去年县里给的贷款贴息资金，银行贷款我们早还清了，贴息财政一直不拨。", "finance", False),
    ("抵押登记等太久", "贷款银行已经批了，只差不动产抵押登记，登记中心说系统升级要等半个月。", "natural_resources", False),
    ("城投欠工程款", "县城投公司拖欠我们的工程款两年了，工程早就审计结算完。", "industry", False),
    ("私企欠货款", "一家私营老板开的公司欠我们货款四十万，打算起诉，希望法院尽快立案。", "court", False),
    ("农民工讨薪", "在一个厂房工地上干了八个月，总包公司说工程款没拿到，所以农民工工资一直不发。", "hrss", False),
    ("镇上停电", "马坪镇我们厂这周突然停电三次，供电所也没有提前通知，损失很大。", "power", False),
    ("劳动仲裁太慢", "员工申请了劳动仲裁，仲裁委开庭一再拖延，公司也想早点解决这个劳动争议。", "hrss", False),
    ("名字里有电力", "青山县恒通电力设备有限公司反映：公司申请的增值税留抵退税三个月没到账。", "tax", False),
    ("复议没下文", "对县某局的罚款决定不服，申请了行政复议，过了法定期限还没有复议决定。", "justice", False),
    ("保险不赔", "厂房着火后保险公司一直拖着不理赔，说还要补材料。", "center", True),
    ("银行抽贷", "农商行突然要提前收回贷款，企业资金链要断了，这是抽贷。", "center", True),
    ("政府采购款", "中标的政府采购项目验收合格半年了，采购合同款还没付。", "finance", False),
    ("几个局推来推去", "接自来水的事住建说归水务，水务说归住建，互相推诿，没人管。", "center", False),
    ("油烟扰民被罚", "生态环境部门说我们饭店油烟超标，要整改，可净化器刚装的。", "center", False),
    ("社保费基数", "税务局核定的社保缴费基数偏高，社保费每月多扣。", "tax", False),
    ("失业金领不到", "员工被裁员后去申请失业保险金，人社局说参保记录不全。", "hrss", False),
]


@pytest.mark.parametrize("title,text,department,fs", CASES, ids=[c[0] for c in CASES])
def test_boundary(classifier, title, text, department, fs):
    d = classifier.classify(title, text)
    assert not d.triage, d.explanation
    assert d.department == department, d.to_dict()["ranked"]
    assert d.financial_service is fs


def test_township_own_conduct_names_the_township(classifier):
    d = classifier.classify("镇里说话不算数", "高坪镇政府招商时答应给我们修进厂道路、协调村委，现在镇里不管了。")
    assert d.department == "township" and d.township == "高坪镇"
    assert any(e.get("township") == "高坪镇" for e in d.explanation)


def test_village_obstruction_goes_to_township(classifier):
    d = classifier.classify("施工被拦", "在柳林乡建厂，村干部带人阻工，不让施工车辆进场。")
    assert (d.department, d.township) == ("township", "柳林乡")


def test_county_matter_in_a_township_stays_with_the_county_department(classifier):
    d = classifier.classify("过户", "我们在金鸡乡买的厂房，不动产过户一个多月了还没办完。")
    assert d.department == "natural_resources" and d.township is None


def test_county_investment_promise_is_commerce(classifier):
    d = classifier.classify("招商承诺", "县里招商引资时承诺的厂房租金减免，商务局现在不认了。")
    assert d.department == "commerce"


def test_township_matter_without_a_known_township_is_triaged(classifier):
    d = classifier.classify("镇里不兑现", "镇政府当初承诺的场地补贴，现在镇长换了就不认账了。")
    assert d.triage and d.department == "center" and d.township is None


def test_unrelated_text_goes_to_triage(classifier):
    d = classifier.classify("你好", "请问今天天气怎么样？")
    assert d.triage and d.department == "center" and d.also == ()
    assert d.confidence < classifier.triage_threshold


def test_below_threshold_goes_to_triage():
    from services.router.domain.classifier import Classifier

    strict = Classifier.load(triage_threshold=0.999)
    d = strict.classify("问题", "窗口说要去规划局，规划局说材料不对。")
    assert d.triage and d.department == "center"
    assert d.ranked  # the dispatcher still sees the candidates
    assert d.explanation[0]["role"] == "triage" and "threshold" in d.explanation[0]["reason"]


def test_cooperating_department_for_a_complaint_that_spans_two(classifier):
    d = classifier.classify(
        "报装", "新厂房用电报装三个月没接上，供电局说要等变压器，同时天然气报装燃气公司也一直没通气。"
    )
    assert d.department in {"power", "housing"}
    assert set(d.also) & ({"power", "housing"} - {d.department})
    assert d.department not in d.also


def test_explanation_carries_terms_and_duties(classifier):
    d = classifier.classify("开不了发票", "电子税务局登不上去，发票开不出来。")
    lead = d.explanation[0]
    assert lead["department"] == "tax" and lead["role"] == "lead"
    assert "税" in lead["duties"]
    assert {"电子税务局", "发票"} <= {t["term"] for t in lead["terms"]}
    assert all(g["reason"] for g in lead["groups"])
    json.dumps(d.to_dict(), ensure_ascii=False)


def test_explanation_lists_fired_rules(classifier):
    d = classifier.classify("欠款", "合作的民营公司欠我们货款一年，准备起诉。")
    assert d.department == "court"
    assert any(r["id"] == "arrears.private_to_court" for r in d.explanation[0].get("rules", []))


def test_department_that_returned_is_never_lead(classifier):
    title, text = "电费太高", "这个月电费翻倍，供电公司不解释基本电费怎么算。"
    assert classifier.classify(title, text).department == "power"
    d = classifier.classify(title, text, exclude=frozenset({"power"}))
    assert d.department != "power"
    assert "power" not in d.also and all(r.department != "power" for r in d.ranked)
    assert any("excluded" in e for e in d.explanation)


def test_ranked_scores_are_probability_like(classifier):
    d = classifier.classify("银行和税务", "银行不给续贷，税务局的留抵退税也没到。")
    scores = [r.score for r in d.ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores) and sum(scores) <= 1.0001
    assert d.ranked[0].score == pytest.approx(d.confidence, abs=1e-3)


def test_own_labeled_set_figures(classifier, own_complaints):
    placed = wrong = fs_tp = fs_fp = fs_fn = 0
    for row in own_complaints:
        d = classifier.classify(row["title"], row["text"])
        if not d.triage:
            placed += 1
            wrong += d.department != row["department"]
        fs_tp += d.financial_service and row["financial_service"]
        fs_fp += d.financial_service and not row["financial_service"]
        fs_fn += (not d.financial_service) and row["financial_service"]
    n = len(own_complaints)
    assert placed / n >= 0.92
    assert 1 - wrong / placed >= 0.92
    assert 2 * fs_tp / (2 * fs_tp + fs_fp + fs_fn) >= 0.95


def test_contributions_of_a_social_insurance_claim_bring_in_the_tax_bureau(classifier):
    d = classifier.classify("社保补缴", "原单位欠缴了我三年的养老保险，现在要办退休，社保中心让我先补缴才能领养老金。")
    assert (d.department, d.also) == ("hrss", ("tax",))
    tax = next(e for e in d.explanation if e["department"] == "tax")
    assert tax["role"] == "also" and any(r["id"] == "also.contributions_to_tax" for r in tax["rules"])


def test_an_award_not_complied_with_brings_in_the_court(classifier):
    d = classifier.classify("仲裁裁决不履行", "劳动仲裁裁决公司支付拖欠的工资，公司拒不履行，我们该怎么办？")
    assert d.department == "hrss" and "court" in d.also


@pytest.mark.parametrize(
    "title,text",
    [
        ("工资", "在厂里干了半年，老板拖欠工资不发，听说他还欠着银行的贷款。"),  # a bank in the story
        ("学校收费", "学校要求每个学生交三百元资料费，还说是教育局统一安排的，发票也不给。"),  # the center coordinates
    ],
)
def test_a_word_of_another_department_makes_no_cooperation(classifier, title, text):
    assert classifier.classify(title, text).also == ()


def test_buck_passing_between_bodies_outside_the_catalog_goes_to_the_center(classifier):
    d = classifier.classify(
        "开农家乐到底找谁",
        "想把自家房子改成农家乐，文旅局说先办营业执照，市场监管说要先有消防意见，消防说不归他们验收，转了一圈到底谁管？",
    )
    assert d.department == "center" and not d.financial_service


def test_a_bank_loan_mentioned_beside_a_school_is_no_financial_service(classifier):
    d = classifier.classify("学校乱收费", "孩子的学校每学期收三百元资料费，不给收据。我们家还背着银行贷款，日子很难。")
    assert d.department == "center" and d.financial_service is False


def test_wages_mentioned_are_not_a_wage_claim(classifier):
    d = classifier.classify(
        "国企欠工程款", "县属国有企业拖欠我们的工程款两年，审计结算早就完成了，公司垫付了材料款和工人工资，资金很紧张。"
    )
    assert d.department == "industry"


@pytest.mark.parametrize(
    "title,text,department,fs",
    [
        ("开户难", "新注册的公司去银行开对公账户，银行说要实地核查，一个月还没开下来。", "center", True),
        ("承兑汇票贴现", "客户开的银行承兑汇票拿到县里的银行去贴现，银行说额度用完了不给办。", "center", True),
        ("保理", "做应收账款保理，保理公司收的服务费比合同写的高出一倍。", "center", True),
        ("征信", "银行把我们已经还清的贷款报成了逾期，征信有污点，其他银行都不给贷。", "center", True),
        ("创业担保贷款", "申请创业担保贷款，就业局审核通过了，可是银行说名额满了不给放款。", "hrss", False),
        ("银行扣税", "税务局通过银行扣缴的税款扣了两次，税务分局说要走退税流程。", "tax", False),
    ],
)
def test_financial_services_as_firms_name_them(classifier, title, text, department, fs):
    d = classifier.classify(title, text)
    assert (d.department, d.financial_service, d.triage) == (department, fs, False)


def test_contradictory_demands_of_two_departments_are_an_enforcement_dispute(classifier):
    d = classifier.classify(
        "两个部门执法打架", "城管说我们的招牌要拆，市场监管说招牌是备案过的，两个部门说法不一样，我们不知道听谁的。"
    )
    assert d.department == "justice"
