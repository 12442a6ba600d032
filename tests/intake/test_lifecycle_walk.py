"""End to end through the HTTP API of the whole product (router really routing, SLA really timing): a complaint walked
from filing to closed with a reopening, and one returned (退回) to another department — on the embedded default and
on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.pipeline.helpers import bus_events, by_complaint, wait_routed
from tests.support import complaint_body, eventually

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
FIRE_CHECK = complaint_body("厂房消防验收一直办不下来", "我公司新建厂房已经完工，申请消防验收三个月了，住建局说要先补资料，"
                                                "来回跑了五趟还是没有结果，影响投产。")

WALK_HISTORY = [
    "received", "routed", "clock_opened", "claimed", "accepted", "contacted", "contact_viewed", "info_requested",
    "supplemented", "answered", "followup_scheduled", "rated", "reopened", "claimed", "answered", "followup_scheduled",
    "rated", "closed",
]


async def walk_to_closed(app, client, body=POWER) -> tuple[str, dict]:
    """filing → routing → claim → contact → request-info → supplement → answer → 不满意 → reopen → answer → 满意 →
    closed; returns the complaint id and what the walk saw."""
    client = client if isinstance(client, FilerClient) else FilerClient(client)
    created = (await client.post("/v1/complaints", json=body)).json()
    cid = created["id"]
    filer = Actor(client, created["access_token"])
    routed = await wait_routed(client, cid)
    assert routed["department"] == "power"
    handler = Actor(client, staff_token("handler", "张三", "power"))

    queue = (await handler.get("/v1/departments/power/queue")).json()
    assert [item["id"] for item in queue["items"]] == [cid]
    mobile = "".join(ch for ch in body["filer"]["mobile"] if ch.isdigit())
    assert queue["items"][0]["mobile"] == f"{mobile[:3]}****{mobile[-4:]}"

    assert (await handler.act(cid, "claim")).json()["status"] == "claimed"
    assert (await handler.act(cid, "accept")).json()["status"] == "accepted"
    assert (await handler.act(cid, "contact", {"note": "已电话联系，约定明日现场查看"})).json()["status"] == "accepted"
    contact = (await handler.get(f"/v1/complaints/{cid}/contact")).json()
    national = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"  # as a person dials it
    assert contact == {"contact_name": body["filer"]["contact_name"], "mobile": national}
    asked = (await handler.act(cid, "request-info", {"question": "请提供最近一次停电的具体时间和受损设备清单"})).json()
    assert asked["status"] == "awaiting_info"

    seen = (await filer.get(f"/v1/complaints/{cid}")).json()
    assert seen["status"] == "awaiting_info" and seen["status_zh"] == "待补充材料"
    assert "supplement" in seen["next_actions"]
    supplied = (await filer.act(cid, "supplement", {"text": "11月20日14时停电两小时，烧坏变频器一台"})).json()
    assert supplied["status"] == "accepted"

    answered = (await handler.act(cid, "answer", {"text": "经查系线路老化，已于11月25日完成改造。"})).json()
    assert answered["status"] == "answered"
    messages = (await filer.get(f"/v1/complaints/{cid}/messages")).json()
    assert [m["kind"] for m in messages] == ["question", "supplement", "answer"]

    reopened = (await filer.act(cid, "rating", {"rating": "不满意", "reason": "改造后仍然停电"})).json()
    assert reopened["status"] == "reopened" and reopened["reopen_count"] == 1
    assert (await handler.act(cid, "claim")).json()["status"] == "claimed"
    assert (await handler.act(cid, "answer", {"text": "已更换变压器，连续两周未再停电。"})).json()["status"] == "answered"
    closed = (await filer.act(cid, "rating", {"rating": "满意"})).json()
    assert closed["status"] == "closed" and closed["rating"] == "satisfied"
    assert closed["next_actions"] == []

    history = (await handler.get(f"/v1/complaints/{cid}/history")).json()
    return cid, {"history": history, "filer_history": (await filer.get(f"/v1/complaints/{cid}/history")).json(),
                 "handler": handler, "filer": filer}


def _lifecycle(history: list[dict]) -> list[str]:
    return [h["action"] for h in history if h["actor"] not in {"sla", "sms"} or h["action"] == "clock_opened"]


async def test_walk_from_filing_to_closed_with_a_reopening(embedded):
    app, client = embedded
    cid, seen = await walk_to_closed(app, client)

    history = seen["history"]
    assert _lifecycle(history) == WALK_HISTORY
    by_action = {h["action"]: h for h in history}
    assert by_action["claimed"]["actor"] == "handler:power:张三"
    assert by_action["contact_viewed"]["actor"] == "handler:power:张三"
    assert by_action["reopened"]["detail"]["reason"] == "改造后仍然停电"
    assert all(h["summary"] for h in history)
    versions = [h["detail"]["version"] for h in history if "version" in h["detail"]]
    assert versions == sorted(versions)

    filer_history = seen["filer_history"]
    assert "contact_viewed" not in [h["action"] for h in filer_history]
    assert all("张三" not in h["actor"] for h in filer_history)
    assert filer_history[1]["summary"] == "已分派给青山县供电局"

    events = await eventually(lambda: _events_of(app, cid, "closed"), timeout=20)
    assert {k: len(v) for k, v in events.items() if k in LIFECYCLE_EVENTS} == {
        "received": 1, "routed": 1, "claimed": 2, "accepted": 1, "contacted": 1, "info_requested": 1,
        "supplemented": 1, "answered": 2, "rated": 2, "reopened": 1, "closed": 1,
    }


LIFECYCLE_EVENTS = {"received", "routed", "claimed", "accepted", "contacted", "info_requested", "supplemented",
                    "answered", "rated", "reopened", "closed", "returned", "dispatched", "duplicate_linked"}


async def _events_of(app, cid: str, wanted: str):
    events = by_complaint(await bus_events(app.state.bus, group=f"reader-{wanted}-{cid[:8]}", idle_s=0.2))[cid]
    return events if wanted in events else None


async def test_a_return_goes_back_to_the_router_and_to_another_department(embedded):
    app, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=FIRE_CHECK)).json()
    cid = created["id"]
    routed = await wait_routed(client, cid)
    assert routed["department"] == "housing"
    housing = Actor(client, staff_token("handler", "李四", "housing"))
    await housing.act(cid, "claim")
    returned = (await housing.act(cid, "return", {
        "reason": "消防验收已划转政务服务局综合窗口受理，不属本局职责",
        "suggested_department": "gov_service",
    })).json()
    assert returned["status"] == "return_review" and returned["department"] == "housing"
    dispatcher = Actor(client, staff_token("dispatcher", "钱七"))
    assert (await dispatcher.act(cid, "approve-return")).json()["status"] == "rerouting"

    filer = Actor(client, created["access_token"])

    async def rerouted():
        view = (await filer.get(f"/v1/complaints/{cid}")).json()
        return view if view["status"] == "routed" else None

    view = await eventually(rerouted)
    assert view["department"] == "gov_service"
    assert (await housing.get(f"/v1/complaints/{cid}")).status_code == 404
    gov = Actor(client, staff_token("handler", "王五", "gov_service"))
    queue = (await gov.get("/v1/departments/gov_service/queue")).json()
    assert [i["id"] for i in queue["items"]] == [cid]
    assert (await gov.act(cid, "claim")).json()["claimed_by"] == "handler:gov_service:王五"

    history = (await gov.get(f"/v1/complaints/{cid}/history")).json()
    actions = [h["action"] for h in history if h["actor"] != "sla"]
    assert actions == ["received", "routed", "claimed", "return_requested", "returned", "routed", "claimed"]
    returned_entry = next(h for h in history if h["action"] == "returned")
    assert returned_entry["detail"]["department"] == "housing"
    assert returned_entry["detail"]["suggested_department"] == "gov_service"
    assert [h["detail"]["attempt"] for h in history if h["action"] == "routed"] == [0, 1]
    events = by_complaint(await bus_events(app.state.bus))[cid]
    assert len(events["return_requested"]) == 1 and len(events["returned"]) == 1 and len(events["routed"]) == 2


@pytest.mark.postgres
async def test_walk_on_postgres(postgres_url, tmp_path):
    settings = embedded_settings(tmp_path, database_url=postgres_url, kafka_bootstrap_servers="")
    async with running_app(settings) as (app, client):
        _, seen = await walk_to_closed(app, client)
    assert _lifecycle(seen["history"]) == WALK_HISTORY
