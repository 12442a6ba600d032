"""What each person reads in the API's answers: the complaint's own words for whoever may see it, the actions this
caller may take (by role and lease), the channel checked against the caller, times in Asia/Shanghai, and every error
in one shape with Chinese text free of English."""

from __future__ import annotations

import re

import pytest

from services.intake.views import EXCERPT_CHARS
from tests.intake.helpers import Actor, FilerClient, bearer, staff_token
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, eventually

LONG_TEXT = ("我厂位于白沙镇工业集中区，本周已经停电四次，没有任何预告，窑炉突然断电，一窑陶瓷全部报废，损失好几万元。"
             "请供电公司查明原因，今后停电提前通知，保障正常供电。")
POWER = {**complaint_body("一周停了四次电", LONG_TEXT), "address": "白沙镇工业集中区纬三路 8 号"}
VAGUE = complaint_body("有个问题想反映", "我们公司遇到一些困难，希望政府能帮忙协调解决一下，具体情况电话里说。")
LOCAL_TIME = re.compile(r"\+08:00$")


@pytest.fixture
async def client(embedded):
    _app, raw = embedded
    yield FilerClient(raw)


async def _routed(client: FilerClient, body=POWER) -> tuple[str, Actor]:
    created = await client.post("/v1/complaints", json=body)
    assert created.status_code == 201, created.text
    await wait_routed(client, created.json()["id"])
    return created.json()["id"], Actor(client, created.json()["access_token"])


async def test_everyone_who_may_see_a_complaint_reads_its_text_and_address_and_queues_show_an_excerpt(client):
    cid, filer = await _routed(client)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    readers = {"filer": filer, "handler": handler,
               "supervisor": Actor(client, staff_token("supervisor", "王督办")),
               "dispatcher": Actor(client, staff_token("dispatcher", "李派单"))}
    for who, reader in readers.items():
        shown = (await reader.get(f"/v1/complaints/{cid}")).json()
        assert shown["text"] == LONG_TEXT, who
        assert shown["address"] == POWER["address"], who
    queue = (await handler.get("/v1/departments/power/queue")).json()["items"]
    row = next(item for item in queue if item["id"] == cid)
    assert row["title"] == POWER["title"]
    assert len(row["excerpt"]) == EXCERPT_CHARS and row["excerpt"].endswith("…")
    assert LONG_TEXT.startswith(row["excerpt"][:-1])
    # a department that may not see it still gets nothing
    assert (await Actor(client, staff_token("handler", "赵六", "tax")).get(f"/v1/complaints/{cid}")).status_code == 404


async def test_next_actions_are_what_this_caller_may_do_by_role_and_lease(client):
    cid, filer = await _routed(client)
    zhang = Actor(client, staff_token("handler", "张三", "power"))
    li = Actor(client, staff_token("handler", "李四", "power"))
    dispatcher = Actor(client, staff_token("dispatcher", "李派单"))
    supervisor = Actor(client, staff_token("supervisor", "王督办"))

    async def offered(actor: Actor) -> list[str]:
        return (await actor.get(f"/v1/complaints/{cid}")).json()["next_actions"]

    assert await offered(filer) == ["supplement"]
    assert await offered(zhang) == ["claim", "notes"]
    assert await offered(dispatcher) == ["dispatch"]
    assert sorted(await offered(supervisor)) == ["dispatch", "notes", "permit-return"]

    await zhang.act(cid, "claim")
    assert sorted(await offered(zhang)) == sorted(["claim", "accept", "answer", "return", "cooperating", "notes"])
    assert await offered(li) == ["notes"]  # a colleague's live claim
    assert await offered(dispatcher) == []  # claimed: no more re-dispatch
    await zhang.act(cid, "accept")
    await zhang.act(cid, "answer", {"text": "已查明原因，线路已改造。"})
    assert await offered(filer) == ["rating"]
    assert "dispatch" not in await offered(filer) and "claim" not in await offered(filer)
    assert await offered(zhang) == ["notes"]


async def test_only_an_operator_may_file_as_hotline_and_a_refusal_saves_nothing(client):
    key = {"Idempotency-Key": "hotline-first-try"}
    anonymous = await client.post("/v1/complaints", json={**POWER, "channel": "hotline"}, headers=key)
    assert anonymous.status_code == 422
    [error] = anonymous.json()["errors"]
    assert (error["field"], error["code"]) == ("channel", "channel_requires_operator")
    assert "话务员" in error["message_zh"]
    dispatcher = bearer(staff_token("dispatcher", "李派单"))
    assert (await client.post("/v1/complaints", json={**POWER, "channel": "hotline"},
                              headers=dispatcher)).status_code == 422
    # nothing was saved under the key: the same key files afresh
    filed = await client.post("/v1/complaints", json=POWER, headers=key)
    assert filed.status_code == 201 and "idempotent-replayed" not in filed.headers
    operator = bearer(staff_token("operator", "话务员01"))
    by_phone = await client.post("/v1/complaints", json={**VAGUE, "channel": "hotline"}, headers=operator)
    assert by_phone.status_code == 201


async def test_times_people_read_are_in_asia_shanghai(client):
    cid, _ = await _routed(client)
    zhang = Actor(client, staff_token("handler", "张三", "power"))
    li = Actor(client, staff_token("handler", "李四", "power"))
    claimed = (await zhang.act(cid, "claim")).json()
    assert LOCAL_TIME.search(claimed["lease_until"])
    held = (await li.act(cid, "claim", expect=409)).json()
    assert LOCAL_TIME.search(held["lease_until"])
    local = held["lease_until"][:16].replace("T", " ")  # 2026-12-06 21:30
    assert local in held["message_zh"] and local in held["message"]
    history = (await zhang.get(f"/v1/complaints/{cid}/history")).json()
    claim_entry = next(e for e in history if e["action"] == "claimed")
    assert LOCAL_TIME.search(claim_entry["detail"]["lease_until"])
    assert LOCAL_TIME.search(claim_entry["at"])


async def test_every_error_has_one_shape_and_chinese_text_without_english(client):
    cid, _ = await _routed(client)
    for response in (
        await client.client.get(f"/v1/complaints/{cid}"),  # no token: 401
        await client.client.get(f"/v1/complaints/{cid}", headers=bearer("not-a-token")),  # bad token: 401
        await client.client.get("/v1/no-such-endpoint"),  # 404 of the framework
        await client.client.delete("/v1/complaints"),  # 405 of the framework
        await client.client.post("/v1/classify", json={"title": "停电", "text": "停电", "exclude": ["nowhere"]}),
    ):
        body = response.json()
        assert response.status_code in {401, 404, 405, 422}, response.status_code
        assert "detail" not in body, body
        assert body["error"] and body["message"] and body["message_zh"], body
    unknown_channel = await client.post("/v1/complaints", json={**POWER, "channel": "fax"})
    [error] = unknown_channel.json()["errors"]
    assert error["field"] == "channel"
    assert "hotline" in error["message_zh"]
    assert not re.search(r"\bor\b|'", error["message_zh"]), error["message_zh"]
    zhang = Actor(client, staff_token("handler", "张三", "power"))
    refused = (await zhang.act(cid, "accept", expect=409)).json()
    assert refused["message_zh"] == "诉求当前状态为“已分派”，不能受理；可执行：签收、备注"


async def test_deadlines_read_as_people_count_them(client):
    from datetime import datetime

    from shared.vocabulary import deadline_text

    cid, filer = await _routed(client)
    shown = (await filer.get(f"/v1/complaints/{cid}")).json()
    due = datetime.fromisoformat(shown["due_at"])
    assert (due.hour, due.minute) == (0, 0)  # a period ends at 24:00 of its last day, stored as the next 00:00
    assert shown["due_text"] == deadline_text(due) and shown["due_text"].endswith("24:00 前")
    history = (await filer.get(f"/v1/complaints/{cid}/history")).json()
    opened = next(e for e in history if e["action"] == "clock_opened")
    assert opened["summary"] == f"办理时限已确定：{shown['due_text']}"
    supervisor = Actor(client, staff_token("supervisor", "王督办"))

    async def projected():  # the dashboard follows the clock's event on its own consumer, a moment after intake
        shown = (await supervisor.get(f"/dashboard/api/complaints/{cid}")).json()
        return shown if shown["due_at"] else None

    drill = await eventually(projected)
    assert drill["due_at"].endswith("24:00 前")
    assert any("24:00 前" in line["detail"] for line in drill["timeline"] if line["kind"] == "clock_opened")


async def test_a_405_names_every_method_the_path_serves(client):
    for method, url, allowed in (("PUT", "/v1/complaints/x/contact", "GET, POST"),
                                 ("OPTIONS", "/v1/complaints/x/contact", "GET, POST"),
                                 ("DELETE", "/v1/complaints", "POST"), ("POST", "/v1/triage", "GET")):
        response = await client.client.request(method, url)
        assert response.status_code == 405, (method, url)
        assert response.headers["allow"] == allowed, (method, url)
        assert response.json()["error"] == "method_not_allowed"
