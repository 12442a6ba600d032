"""Access, concurrency and the work-queue API: wrong department (404), lease takeover, stale If-Match (412), a filer
reading another's complaint (404), illegal transitions (409 listing the allowed ones), triage and manual dispatch,
cooperating departments, duplicates, the 7-day close, and queues with filters and cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake import commands, filer_commands
from shared import clock
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.pipeline.helpers import bus_events, by_complaint, wait_routed
from tests.support import complaint_body, credit_code, eventually

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
VAGUE = complaint_body("有个问题想反映", "我们公司遇到一些困难，希望政府能帮忙协调解决一下，具体情况电话里说。")


def _with_credit_code(body: dict, n: int) -> dict:
    return {**body, "filer": {**body["filer"], "credit_code": credit_code(n)}}


async def _routed(client: FilerClient, body=POWER) -> tuple[str, Actor]:
    created = (await client.post("/v1/complaints", json=body)).json()
    await wait_routed(client, created["id"])
    return created["id"], Actor(client, created["access_token"])


@pytest.fixture
async def app_client(embedded):
    app, client = embedded
    yield app, FilerClient(client)


async def test_no_token_is_401_and_a_wrong_department_sees_nothing(app_client):
    _, client = app_client
    cid, _ = await _routed(client)
    assert (await client.client.get(f"/v1/complaints/{cid}")).status_code == 401
    tax = Actor(client, staff_token("handler", "赵六", "tax"))
    for url in (f"/v1/complaints/{cid}", f"/v1/complaints/{cid}/history", f"/v1/complaints/{cid}/contact",
                "/v1/departments/power/queue", "/v1/departments/nowhere/queue"):
        response = await tax.get(url)
        assert response.status_code == 404, url
        assert response.json()["message_zh"]
    refused = await tax.act(cid, "claim", etag='"2"', expect=404)
    assert refused.json()["error"] == "not_found"
    assert (await tax.get("/v1/departments/tax/queue")).json()["items"] == []


async def test_an_expired_claim_lease_is_taken_over_by_a_colleague(app_client):
    _, client = app_client
    cid, _ = await _routed(client)
    zhang = Actor(client, staff_token("handler", "张三", "power"))
    li = Actor(client, staff_token("handler", "李四", "power"))
    await zhang.act(cid, "claim")
    held = await li.act(cid, "claim", expect=409)
    assert held.json()["error"] == "claimed_by_another"
    assert held.json()["claimed_by"] == "handler:power:张三"
    try:
        clock.set_offset(timedelta(minutes=31))
        taken = (await li.act(cid, "claim")).json()
        assert taken["claimed_by"] == "handler:power:李四"
        lost = await zhang.act(cid, "accept", expect=409)
        assert lost.json()["claimed_by"] == "handler:power:李四"
        assert (await li.act(cid, "accept")).json()["status"] == "accepted"
    finally:
        clock.set_offset(timedelta(0))
    history = (await li.get(f"/v1/complaints/{cid}/history")).json()
    takeover = next(h for h in history if h["action"] == "claim_taken_over")
    assert takeover["actor"] == "handler:power:李四"
    assert takeover["detail"]["taken_over_from"] == "handler:power:张三"


async def test_stale_if_match_is_412_and_a_missing_one_428(app_client):
    _, client = app_client
    cid, _ = await _routed(client)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    etag = await handler.version(cid)
    await handler.act(cid, "claim", etag=etag)
    stale = await handler.act(cid, "accept", etag=etag, expect=412)
    assert stale.json()["current_version"] == int(etag.strip('"')) + 1
    assert stale.headers["etag"] == f'"{stale.json()["current_version"]}"'
    missing = await client.post(f"/v1/complaints/{cid}/accept", headers=handler.headers)
    assert missing.status_code == 428
    assert missing.json()["message_zh"]
    assert (await handler.get(f"/v1/complaints/{cid}")).json()["status"] == "claimed"


async def test_a_filer_reading_someone_elses_complaint_gets_404(app_client):
    _, client = app_client
    mine, me = await _routed(client)
    theirs = (await client.post("/v1/complaints", json=_with_credit_code(
        complaint_body("发票开不出来", "电子税务局三天登不上去，数电发票开不出来，客户等着票结款。"), 7))).json()["id"]
    assert (await me.get(f"/v1/complaints/{mine}")).status_code == 200
    for url in (f"/v1/complaints/{theirs}", f"/v1/complaints/{theirs}/history", f"/v1/complaints/{theirs}/messages"):
        assert (await me.get(url)).status_code == 404
    assert (await me.act(theirs, "supplement", {"text": "补充"}, etag='"1"', expect=404)).json()["error"] == "not_found"
    assert (await me.get("/v1/departments/power/queue")).status_code == 404
    assert (await me.get(f"/v1/complaints/{mine}/contact")).status_code == 403


async def test_illegal_transitions_are_409_with_the_allowed_actions(app_client):
    _, client = app_client
    cid, filer = await _routed(client)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    refused = (await handler.act(cid, "accept", expect=409)).json()
    assert refused["error"] == "illegal_transition"
    assert refused["current_status"] == "routed"
    assert "claim" in refused["allowed"] and "accept" not in refused["allowed"]
    assert refused["message_zh"]
    early = (await filer.act(cid, "rating", {"rating": "满意"}, expect=409)).json()
    assert early["allowed"] == ["supplement"]  # what the filer may do, not what staff may
    await handler.act(cid, "claim")
    assert (await handler.act(cid, "request-info", {"question": "?"}, expect=409)).json()["current_status"] == "claimed"
    no_reason = await filer.act(cid, "rating", {"rating": "不满意"}, expect=422)
    assert no_reason.json()["errors"][0]["field"] == "reason"


async def test_triage_and_manual_dispatch(app_client):
    app, client = app_client
    created = (await client.post("/v1/complaints", json=VAGUE)).json()
    cid = created["id"]
    view = await wait_routed(client, cid)
    assert view["status"] == "triage"
    dispatcher = Actor(client, staff_token("dispatcher", "钱七"))
    triage = (await dispatcher.get("/v1/triage")).json()
    assert [i["id"] for i in triage["items"]] == [cid]
    assert triage["items"][0]["mobile"] == "138****5678"
    assert (await Actor(client, staff_token("handler", "张三", "power")).get("/v1/triage")).status_code == 404
    await dispatcher.act(cid, "dispatch", {"department": "market", "financial_service": False})

    async def placed():
        shown = (await dispatcher.get(f"/v1/complaints/{cid}")).json()
        return shown if shown["status"] == "routed" else None

    shown = await eventually(placed)
    assert shown["department"] == "market"
    history = (await dispatcher.get(f"/v1/complaints/{cid}/history")).json()
    dispatched = next(h for h in history if h["action"] == "dispatched")
    assert dispatched["actor"] == "dispatcher:钱七" and dispatched["detail"]["department"] == "market"
    assert history[-1]["action"] in {"routed", "clock_opened"}
    assert any(h["action"] == "routed" and h["actor"] == "dispatcher:钱七" for h in history)
    assert (await dispatcher.get("/v1/triage")).json()["items"] == []
    events = by_complaint(await bus_events(app.state.bus))[cid]
    assert len(events["dispatched"]) == 1 and len(events["triage_required"]) == 1


async def test_a_cooperating_department_reads_and_adds_its_part(app_client):
    app, client = app_client
    cid, filer = await _routed(client)
    power = Actor(client, staff_token("handler", "张三", "power"))
    await power.act(cid, "claim")
    await power.act(cid, "accept")
    added = (await power.act(cid, "cooperating", {"department": "housing"})).json()
    assert added["cooperating"] == ["housing"]
    assert (await power.act(cid, "cooperating", {"department": "housing"}, expect=409)).json()["department"]
    housing = Actor(client, staff_token("handler", "孙八", "housing"))
    seen = (await housing.get(f"/v1/complaints/{cid}")).json()
    assert seen["role"] == "cooperating"
    assert seen["filer"]["mobile"] == "138****5678"
    assert (await housing.get(f"/v1/complaints/{cid}/contact")).status_code == 403
    assert (await housing.act(cid, "answer", {"text": "x"}, expect=403)).json()["error"] == "forbidden"
    await housing.act(cid, "notes", {"text": "住建局意见：厂区配电房改造需同步报建。"})
    queue = (await housing.get("/v1/departments/housing/cooperating")).json()
    assert [(i["id"], i["role"]) for i in queue["items"]] == [(cid, "cooperating")]
    assert (await housing.get("/v1/departments/housing/queue")).json()["items"] == []
    staff_messages = (await power.get(f"/v1/complaints/{cid}/messages")).json()
    assert [m["kind"] for m in staff_messages] == ["cooperation"]
    assert (await filer.get(f"/v1/complaints/{cid}/messages")).json() == []
    events = by_complaint(await bus_events(app.state.bus))[cid]
    assert len(events["cooperating_added"]) == 1


async def test_a_duplicate_is_linked_and_answered_with_the_first(app_client):
    app, client = app_client
    first, _ = await _routed(client)
    again = complaint_body("一周停了四次电！", POWER["text"] + "请尽快处理")
    created = (await client.post("/v1/complaints", json=again)).json()
    assert created["duplicate_of"] == first
    second = created["id"]
    other_filer = (await client.post("/v1/complaints", json=_with_credit_code(POWER, 9))).json()
    assert other_filer["duplicate_of"] is None
    await wait_routed(client, second)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    queue = (await handler.get("/v1/departments/power/queue")).json()
    assert {i["id"]: i["duplicate_of"] for i in queue["items"]}[second] == first
    await handler.act(first, "claim")
    await handler.act(first, "accept")
    await handler.act(first, "answer", {"text": "已完成线路改造。"})
    dup_filer = Actor(client, created["access_token"])
    shown = (await dup_filer.get(f"/v1/complaints/{second}")).json()
    assert shown["status"] == "answered" and shown["duplicate_of"] == first
    assert [m["text"] for m in (await dup_filer.get(f"/v1/complaints/{second}/messages")).json()] == ["已完成线路改造。"]
    assert (await dup_filer.get(f"/v1/complaints/{first}")).status_code == 404

    async def answered_events():
        events = by_complaint(await bus_events(app.state.bus, group=f"dup-{second[:6]}", idle_s=0.2))
        return events if events[second]["answered"] else None

    events = await eventually(answered_events)
    assert len(events[first]["answered"]) == 1 and len(events[second]["answered"]) == 1
    assert len(events[second]["duplicate_linked"]) == 1


async def test_an_answer_nobody_rates_closes_after_seven_days(app_client):
    app, client = app_client
    cid, filer = await _routed(client)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    for action, body in (("claim", None), ("accept", None), ("answer", {"text": "已处理。"})):
        await handler.act(cid, action, body)
    db = app.state.runtimes["intake"].db
    policy = commands.WorkRules()
    assert await filer_commands.close_unrated(db, clock.now() + timedelta(days=6), policy) == 0
    assert await filer_commands.close_unrated(db, clock.now() + timedelta(days=7, minutes=1), policy) == 1
    assert await filer_commands.close_unrated(db, clock.now() + timedelta(days=8), policy) == 0
    shown = (await filer.get(f"/v1/complaints/{cid}")).json()
    assert shown["status"] == "closed" and shown["rating"] is None
    history = (await filer.get(f"/v1/complaints/{cid}/history")).json()
    assert history[-1]["action"] == "closed_unrated"
    assert history[-1]["summary"] == "答复后未在评价期限内评价，诉求已办结"


async def test_the_close_loop_runs_in_the_intake_runtime(tmp_path):
    async with running_app(embedded_settings(tmp_path, autoclose_interval_s=0.1)) as (app, client):
        client = FilerClient(client)
        cid, filer = await _routed(client)
        handler = Actor(client, staff_token("handler", "张三", "power"))
        for action, body in (("claim", None), ("accept", None), ("answer", {"text": "已处理。"})):
            await handler.act(cid, action, body)
        try:
            clock.set_offset(timedelta(days=7, hours=1))

            async def closed():
                return (await filer.get(f"/v1/complaints/{cid}")).json()["status"] == "closed"

            await eventually(closed)
        finally:
            clock.set_offset(timedelta(0))


async def test_queue_sorts_most_urgent_first_filters_and_pages(app_client):
    app, client = app_client
    bodies = [_with_credit_code(POWER, n) for n in (21, 22, 23)]
    ids = []
    for body in bodies:
        cid, _ = await _routed(client, body)
        ids.append(cid)
    supervisor = Actor(client, staff_token("supervisor", "周督办"))
    handler = Actor(client, staff_token("handler", "张三", "power"))
    everything = (await handler.get("/v1/departments/power/queue")).json()["items"]
    assert {i["id"] for i in everything} == set(ids)
    dues = [i["due_at"] for i in everything]
    assert dues == sorted(dues)

    seen, cursor = [], None
    while True:
        url = "/v1/departments/power/queue?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = (await handler.get(url)).json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything]

    await handler.act(ids[0], "claim")
    claimed = (await handler.get("/v1/departments/power/queue?status=claimed")).json()["items"]
    assert [i["id"] for i in claimed] == [ids[0]] and claimed[0]["lease_active"] is True
    both = (await handler.get("/v1/departments/power/queue?status=routed,claimed")).json()["items"]
    assert {i["id"] for i in both} == set(ids)
    assert (await handler.get("/v1/departments/power/queue?overdue=true")).json()["items"] == []
    assert len((await handler.get("/v1/departments/power/queue?overdue=false")).json()["items"]) == 3
    assert (await handler.get("/v1/departments/power/queue?due_before=2000-01-01T00:00:00Z")).json()["items"] == []
    bad = await handler.get("/v1/departments/power/queue?status=lost")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    assert (await handler.get("/v1/departments/power/queue?cursor=nonsense")).status_code == 422
    try:
        clock.set_offset(timedelta(days=30))
        late = (await supervisor.get("/v1/departments/power/queue?overdue=true")).json()["items"]
        assert len(late) == 3 and all(i["overdue"] for i in late)
    finally:
        clock.set_offset(timedelta(0))
    assert (await supervisor.get("/v1/departments/center/queue")).json()["items"] == []
