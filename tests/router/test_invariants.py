"""Properties every decision keeps whatever the text (hypothesis), and a quick model load."""

import time

from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.router.domain.classifier import Classifier

WORDS = ["银行", "贷款", "电商", "停电", "发票", "白沙镇", "镇政府", "工程款", "法院", "推诿", "窗口", "商标", "招商",
         "电子税务局", "贴息", "抵押登记", "欠薪", "有限公司", "。", "，", "a", " ", "县"]
DEPTS = st.frozensets(st.sampled_from(["center", "power", "tax", "township", "court", "finance"]), max_size=3)


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=30), words=st.lists(st.sampled_from(WORDS), max_size=30), noise=st.text(max_size=50),
       exclude=DEPTS)
# A department with a vanishing share once showed as a candidate scored 0.0.
@example(title="", words=["银行", "电商", "镇政府", "招商", "抵押登记"], noise="", exclude=frozenset())
def test_decisions_are_well_formed(classifier, title, words, noise, exclude):
    d = classifier.classify(title, "".join(words) + noise, exclude=exclude)
    assert d.department in classifier.catalog
    assert d.department not in d.also and not set(d.also) & exclude
    assert 0.0 <= d.confidence <= 1.0
    assert d.triage or d.department not in exclude
    assert (d.township is not None) == (d.department == "township")
    assert not (d.financial_service and d.department not in ("center",))
    scores = [r.score for r in d.ranked]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    d.to_dict()


def test_model_load_is_quick():
    t = time.perf_counter()
    Classifier.load()
    assert time.perf_counter() - t < 2.0
