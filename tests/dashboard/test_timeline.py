"""The drill-down's timeline says who acted, through which channel and what the SLA service said in words — the
handler's department and name, 系统自动分派, 时限监控, the dispatcher at the service center, 诉求人, 话务员, the channel,
the milestone and the warning or escalation step — never a code such as ``handler:natural_resources:张三``, ``sla``,
``hotline`` or ``70pct``; and every code the product emits (actors' roles, channels, milestones, steps, escalation
levels, policies, causes of a deadline change) has its words in ``shared.vocabulary``.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from services.intake.schemas import Channel
from services.sla.domain import escalation
from services.sla.domain.policies import load_policies
from services.sla.domain.policy_model import LEVELS
from shared import events as ev
from shared.auth import Role, issue_token
from shared.calendar import WorkingCalendar
from shared.catalog import load_catalog
from shared.vocabulary import (
    CHANNEL_NAMES,
    DEADLINE_CAUSE_NAMES,
    ESCALATION_LEVEL_NAMES,
    MILESTONE_NAMES,
    POLICY_NAMES,
    ROLE_NAMES,
    sla_step_name,
)
from tests.conftest import embedded_settings, running_app
from tests.dashboard.helpers import Feed, deliver, projection_db, sh

NAMES = {d.id: d.name for d in load_catalog().departments}
HANDLER = f"{NAMES['natural_resources']} 张三"          # 青山县自然资源和规划局 张三
DISPATCHER = f"{NAMES['center']} 派单员 李四"             # 青山县营商环境服务中心 派单员 李四
CODE = re.compile(r"[a-z]")  # any lowercase Latin letter: a code, not a word

RECEIVED = sh("2026-03-02 09:00")
DUE = sh("2026-03-13 00:00")
LATER = sh("2026-03-24 00:00")


def hotline_complaint() -> Feed:
    """A hotline filing the router cannot place, dispatched by hand, worked late, rated 不满意, returned, re-routed
    and closed unrated: every kind of actor and every SLA step."""
    f = Feed()
    hour = timedelta(hours=1)
    f.received("W1", RECEIVED, title="用地审批久拖不决", channel="hotline")
    f.triage("W1", RECEIVED)
    f.transition(ev.ComplaintDispatchedV1, "W1", "natural_resources", RECEIVED + hour, "rerouting",
                 actor="dispatcher:李四", financial_service=False, also=["housing"])
    f.routed("W1", "natural_resources", RECEIVED, RECEIVED + hour, by="dispatcher:李四")
    f.clock("W1", "natural_resources", DUE, at=RECEIVED + hour)
    f.transition(ev.ComplaintClaimedV1, "W1", "natural_resources", RECEIVED + 2 * hour, "claimed",
                 lease_until=RECEIVED + 3 * hour)
    f.transition(ev.ComplaintAcceptedV1, "W1", "natural_resources", RECEIVED + 2 * hour, "accepted")
    f.step("warning", "W1", "natural_resources", DUE, sh("2026-03-09 09:00"), "70pct")
    f.step("warning", "W1", "natural_resources", DUE, sh("2026-03-12 00:00"), "1_working_day")
    f.step("breached", "W1", "natural_resources", DUE, DUE, None)
    f.step("escalated", "W1", "natural_resources", DUE, sh("2026-03-13 00:00"), "department_lead")
    f.step("escalated", "W1", "natural_resources", DUE, sh("2026-03-16 00:00"), "center_supervision")
    f.step("escalated", "W1", "natural_resources", DUE, sh("2026-03-20 00:00"), "joint_meeting")
    f.deadline("W1", LATER, DUE, sh("2026-03-20 10:00"), cause="extension", actor="supervisor:王督办",
               reason="需现场测绘")
    f.answered("W1", "natural_resources", sh("2026-03-23 10:00"))
    f.outcome("met", "W1", "natural_resources", LATER, sh("2026-03-23 10:00"))
    f.rated("W1", "natural_resources", sh("2026-03-24 10:00"), "dissatisfied")
    f.reopened("W1", "natural_resources", sh("2026-03-24 10:00"), reason="只给了答复，审批还是没动")
    f.transition(ev.ComplaintReturnedV1, "W1", "natural_resources", sh("2026-03-24 11:00"), "rerouting",
                 returned_by="natural_resources", reason="属乡镇职责", suggested_department="township")
    f.routed("W1", "township", RECEIVED, sh("2026-03-24 11:01"), attempt=2)
    f.transition(ev.ComplaintAnsweredV1, "W1", "township", sh("2026-03-25 11:00"), "answered",
                 actor="handler:township:王五")
    f.transition(ev.ComplaintClosedV1, "W1", "township", sh("2026-04-02 11:00"), "closed", actor="system")
    # A filing on the web that repeats an earlier one, and one from the app.
    f.received("W2", RECEIVED, channel="web")
    f.transition(ev.ComplaintDuplicateLinkedV1, "W2", None, RECEIVED, "received", actor="intake",
                 original_id="W1")
    f.received("W3", RECEIVED, channel="app")
    # One handed over by a partner system through Open311, and one an operator took on the phone.
    f.received("W4", RECEIVED, filed_by="partner:市12345平台")
    f.received("W5", RECEIVED, channel="hotline", filed_by="operator:话务员01")
    return f


async def test_the_timeline_names_people_channels_milestones_and_steps(tmp_path):
    settings = embedded_settings(tmp_path)
    db = await projection_db(settings.database_url_for("sla"))
    try:
        await deliver(db, hotline_complaint().envelopes, twice=False)
    finally:
        await db.dispose()
    supervisor = {"Authorization": "Bearer " + issue_token(settings.auth_secret, role="supervisor", name="王督办")}
    async with running_app(settings) as (_app, client):
        views = {}
        for cid in ("W1", "W2", "W3", "W4", "W5"):
            response = await client.get(f"/dashboard/api/complaints/{cid}", headers=supervisor)
            assert response.status_code == 200, response.text
            views[cid] = response.json()

    w1 = views["W1"]
    assert w1["channel_name"] == "12345热线"
    lines = [(e["kind"], e["actor"], e["department"], e["detail"]) for e in w1["timeline"]]
    actors = [(kind, actor) for kind, actor, _, _ in lines]
    assert actors == [
        ("received", "话务员"), ("triage_required", "系统自动分派"), ("dispatched", DISPATCHER),
        ("routed", DISPATCHER), ("clock_opened", "时限监控"), ("claimed", HANDLER), ("accepted", HANDLER),
        ("warning", "时限监控"), ("warning", "时限监控"), ("breached", "时限监控"), ("escalated", "时限监控"),
        ("escalated", "时限监控"), ("escalated", "时限监控"), ("deadline_changed", "督办 王督办"),
        ("answered", HANDLER), ("met", "时限监控"), ("rated", "诉求人"), ("reopened", "诉求人"),
        ("returned", HANDLER), ("routed", "系统自动分派"), ("answered", f"{NAMES['township']} 王五"),
        ("closed", "系统自动办结"),
    ]
    detail = {kind: text for kind, _, _, text in lines}  # the last line of each kind
    steps = [text for kind, _, _, text in lines if kind in ("warning", "breached", "escalated")]
    assert steps[0].startswith("时限过七成预警；办结时限 3月12日（周四）24:00 前")
    assert steps[1].startswith("剩一个工作日预警；办结时限")
    assert steps[2] == "办结时限 3月12日（周四）24:00 前"                 # 超期: the entry's own name says it
    assert [s.split("；")[0] for s in steps[3:]] == ["部门负责人督办", "营商中心督办", "联席会议"]
    assert lines[0][3] == "诉求编号 TS-W1；渠道 12345热线"
    assert detail["clock_opened"] == "时限政策 一般投诉（10日）；办结时限 3月12日（周四）24:00 前"
    assert detail["deadline_changed"] == ("延期；办结时限 3月23日（周一）24:00 前（原 3月12日（周四）24:00 前）；"
                                          "理由：需现场测绘")
    assert detail["met"] == "办结时限 3月23日（周一）24:00 前"
    assert detail["reopened"] == "理由：只给了答复，审批还是没动"
    assert detail["dispatched"] == f"协办：{NAMES['housing']}"
    assert detail["returned"] == f"退回部门：{NAMES['natural_resources']}；建议：{NAMES['township']}；理由：属乡镇职责"
    # The department an entry concerns, unless the actor's words name it already.
    departments = {kind: department for kind, _, department, _ in lines}
    assert departments["claimed"] == "" and departments["breached"] == NAMES["natural_resources"]

    w2 = views["W2"]["timeline"]
    assert [(e["kind"], e["actor"]) for e in w2] == [("received", "诉求人"), ("duplicate_linked", "系统自动登记")]
    assert w2[0]["detail"] == "诉求编号 TS-W2；渠道 网站"
    assert views["W3"]["timeline"][0]["detail"] == "诉求编号 TS-W3；渠道 手机App"
    assert views["W4"]["timeline"][0]["actor"] == "对接平台 市12345平台"  # which partner filed it
    assert views["W5"]["timeline"][0]["actor"] == "话务员 话务员01"

    for entry in [*w1["timeline"], *w2]:
        for field in ("label", "actor", "department", "detail"):
            assert not CODE.search(entry[field]), (entry["kind"], field, entry[field])


def test_every_code_the_product_emits_has_its_words():
    assert set(CHANNEL_NAMES) == {c.value for c in Channel}
    # every role of a token, and the partner systems that file through Open311 keys
    assert set(ROLE_NAMES) == {r.value for r in Role} | {"partner"}
    assert set(ESCALATION_LEVEL_NAMES) == set(LEVELS)
    # The causes of a deadline change (``SlaDeadlineChangedV1.cause``).
    assert set(DEADLINE_CAUSE_NAMES) == {"difficult", "extension", "reopened", "rerouted"}
    store = load_policies()
    assert set(POLICY_NAMES) == set(store.names())
    calendar = WorkingCalendar.load()
    for name in store.names():
        for milestone in store.get(name).milestones:
            assert milestone.name in MILESTONE_NAMES, (name, milestone.name)
            # every step the timer fires for this milestone: its warnings, the breach, a week of escalations
            steps = escalation.schedule(milestone, sh("2026-03-02 09:00"), sh("2026-03-13 00:00"), calendar)
            for step in itertools.islice(steps, 12):
                words = sla_step_name(step.kind, step.level)
                assert words and not CODE.search(words), (name, milestone.name, step)
    for level in ("70pct", "1_working_day", "2_working_days", "62.5pct"):
        assert "预警" in sla_step_name("warning", level) and not CODE.search(sla_step_name("warning", level))
    assert sla_step_name("warning", "70pct") == "时限过七成预警"
    assert sla_step_name("warning", "1_working_day") == "剩一个工作日预警"
    assert sla_step_name("breached", None) == "超期"
