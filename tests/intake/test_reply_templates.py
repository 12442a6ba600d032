"""Reply templates (答复模板): supervisors and admins keep them per department, handlers list their own department's
and render one for a complaint (placeholders filled, no contact data read), and the answer's history names the
template it came from. Placeholders are a fixed set; anything else, and any other bad input, is a field error that
changes nothing."""

from __future__ import annotations

import pytest

from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
TEXT = "{filer_name}：您好！您反映的诉求（编号 {tracking_number}）已由{department}办理。\n经核实，……"


@pytest.fixture
async def people(embedded):
    _, client = embedded
    client = FilerClient(client)
    return client, {
        "supervisor": Actor(client, staff_token("supervisor", "王督办")),
        "admin": Actor(client, staff_token("admin", "运维")),
        "handler": Actor(client, staff_token("handler", "张三", "power")),
        "tax": Actor(client, staff_token("handler", "赵六", "tax")),
        "dispatcher": Actor(client, staff_token("dispatcher", "李四")),
    }


async def _create(actor: Actor, department: str = "power", **body) -> dict:
    response = await actor.client.post(f"/v1/departments/{department}/reply-templates",
                                       json={"name": "停电答复", "text": TEXT, **body}, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_supervisors_and_admins_keep_templates_handlers_read_their_departments(people):
    client, p = people
    made = await _create(p["supervisor"])
    assert made["placeholders"] == ["filer_name", "tracking_number", "department"]
    assert made["created_by"] == "supervisor:王督办" and made["retired_at"] is None
    other = await _create(p["admin"], name="电价答复", text="关于电价的答复。")
    listed = (await p["handler"].get("/v1/departments/power/reply-templates")).json()
    assert [t["name"] for t in listed] == ["停电答复", "电价答复"]
    for refused in ("handler", "dispatcher", "tax"):
        response = await p[refused].client.post("/v1/departments/power/reply-templates",
                                                json={"name": "x", "text": "y"}, headers=p[refused].headers)
        assert response.status_code == (403 if refused == "handler" else 404), refused
    assert (await p["tax"].get("/v1/departments/power/reply-templates")).status_code == 404
    assert (await p["dispatcher"].get("/v1/departments/power/reply-templates")).status_code == 404
    assert (await p["supervisor"].get("/v1/departments/nowhere/reply-templates")).status_code == 404
    assert (await client.client.get("/v1/departments/power/reply-templates")).status_code == 401

    changed = await client.client.patch(f"/v1/reply-templates/{other['id']}", json={"text": "新的电价答复。"},
                                        headers=p["supervisor"].headers)
    assert changed.status_code == 200 and changed.json()["text"] == "新的电价答复。"
    assert changed.json()["updated_by"] == "supervisor:王督办" and changed.json()["name"] == "电价答复"
    refused = await client.client.patch(f"/v1/reply-templates/{other['id']}", json={"text": "改"},
                                        headers=p["handler"].headers)
    assert refused.status_code == 403
    assert (await client.client.patch(f"/v1/reply-templates/{other['id']}", json={"text": "改"},
                                      headers=p["tax"].headers)).status_code == 404

    retired = await client.client.post(f"/v1/reply-templates/{other['id']}/retire", headers=p["admin"].headers)
    assert retired.status_code == 200 and retired.json()["retired_at"]
    assert [t["name"] for t in (await p["handler"].get("/v1/departments/power/reply-templates")).json()] == ["停电答复"]
    everything = await p["supervisor"].get("/v1/departments/power/reply-templates", params={"retired": "true"})
    assert [t["name"] for t in everything.json()] == ["停电答复", "电价答复"]
    again = await client.client.patch(f"/v1/reply-templates/{other['id']}", json={"text": "改"},
                                      headers=p["supervisor"].headers)
    assert again.status_code == 409
    assert (await client.client.post("/v1/reply-templates/nope/retire",
                                      headers=p["admin"].headers)).status_code == 404


@pytest.mark.parametrize("body, field, code", [
    ({"name": "x", "text": "{filer_name}您好，{电话}"}, "text", "placeholder_unknown"),
    ({"name": "x", "text": "{mobile}"}, "text", "placeholder_unknown"),
    ({"name": "x", "text": "您好 {filer_name"}, "text", "placeholder_malformed"),
    ({"name": "x", "text": "您好 }"}, "text", "placeholder_malformed"),
    ({"name": "x", "text": "{department}" * 21}, "text", "placeholders_too_many"),
    ({"name": "x", "text": "答" * 5001}, "text", "string_too_long"),
    ({"name": "名" * 61, "text": "答复"}, "name", "string_too_long"),
    ({"name": "两\n行", "text": "答复"}, "name", "control_characters"),
    ({"name": "x", "text": "答复\u202e"}, "text", "control_characters"),
    ({"name": "   ", "text": "答复"}, "name", "blank"),
    ({"name": "x"}, "text", "missing"),
    ({"name": "x", "text": "答复", "extra": 1}, "extra", "extra_forbidden"),
])
async def test_bad_templates_are_field_errors_and_keep_nothing(people, body, field, code):
    client, p = people
    response = await client.client.post("/v1/departments/power/reply-templates", json=body,
                                        headers=p["supervisor"].headers)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert response.json()["errors"][0]["message_zh"]
    assert (await p["supervisor"].get("/v1/departments/power/reply-templates")).json() == []


async def test_a_bad_change_is_a_field_error_and_changes_nothing(people):
    client, p = people
    made = await _create(p["supervisor"])
    response = await client.client.patch(f"/v1/reply-templates/{made['id']}", json={"text": "{name}"},
                                         headers=p["supervisor"].headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "placeholder_unknown"
    assert (await p["handler"].get("/v1/departments/power/reply-templates")).json()[0]["text"] == TEXT


async def test_a_handler_renders_a_template_and_the_answer_names_it(people):
    client, p = people
    made = await _create(p["supervisor"])
    tax_template = await _create(p["supervisor"], "tax", name="税务答复", text="{filer_name}，税务答复。")
    created = (await client.post("/v1/complaints", json=POWER)).json()
    cid = created["id"]
    await wait_routed(client, cid)
    handler = p["handler"]
    rendered = await handler.get(f"/v1/complaints/{cid}/reply-templates/{made['id']}")
    assert rendered.status_code == 200, rendered.text
    text = rendered.json()["text"]
    assert text.startswith("青山县禾丰食品有限公司：您好！")
    assert created["tracking_number"] in text and "供电" in text and "{" not in text
    assert POWER["filer"]["contact_name"] not in text and "13812345678" not in text
    # another department's template, an unknown one, someone who may not answer, someone who may not see it
    assert (await handler.get(f"/v1/complaints/{cid}/reply-templates/{tax_template['id']}")).status_code == 404
    assert (await handler.get(f"/v1/complaints/{cid}/reply-templates/nope")).status_code == 404
    assert (await p["supervisor"].get(f"/v1/complaints/{cid}/reply-templates/{made['id']}")).status_code == 403
    assert (await p["tax"].get(f"/v1/complaints/{cid}/reply-templates/{made['id']}")).status_code == 404
    history = (await handler.get(f"/v1/complaints/{cid}/history")).json()
    assert "contact_viewed" not in [h["action"] for h in history]  # rendering reads no contact data

    await handler.act(cid, "claim")
    wrong = await handler.act(cid, "answer", {"text": text, "template_id": tax_template["id"]}, expect=422)
    assert wrong.json()["errors"][0]["field"] == "template_id"
    assert wrong.json()["errors"][0]["code"] == "template_unknown"
    assert (await handler.get(f"/v1/complaints/{cid}")).json()["status"] == "claimed"
    edited = text + "\n特此答复。"
    await client.client.post(f"/v1/reply-templates/{made['id']}/retire", headers=p["supervisor"].headers)
    answered = await handler.act(cid, "answer", {"text": edited, "template_id": made["id"]})
    assert answered.json()["status"] == "answered"
    messages = (await handler.get(f"/v1/complaints/{cid}/messages")).json()
    assert [m["text"] for m in messages if m["kind"] == "answer"] == [edited]  # what the handler confirmed
    entry = next(h for h in (await handler.get(f"/v1/complaints/{cid}/history")).json() if h["action"] == "answered")
    assert entry["detail"]["template_id"] == made["id"] and entry["detail"]["template_name"] == "停电答复"
    filer = Actor(client, created["access_token"])
    filer_entry = next(h for h in (await filer.get(f"/v1/complaints/{cid}/history")).json()
                       if h["action"] == "answered")
    assert "template_id" not in filer_entry["detail"]  # the template is internal
