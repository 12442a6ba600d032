"""The workbench's pages over the newer services: reply templates kept on a page and picked when answering (the
history names the template), attachments uploaded and downloaded with the session, search and a supervisor's export
(a handler's refused), a dispatch to ``township`` naming none refused by its field, and the operator's desk (their
filings and the lookup, where a wrong code answers like a missing number). Every form without its session's CSRF
token changes nothing."""

from __future__ import annotations

import re

from tests.intake.files import jpeg
from tests.intake.helpers import Actor, bearer, staff_token
from tests.intake.test_work_api import POWER, VAGUE
from tests.pipeline.helpers import wait_routed
from tests.workbench.helpers import Desk
from tests.workbench.test_pages import _state, routed  # noqa: F401  (the fixture)

SUPERVISOR = staff_token("supervisor", "王督办")
TEMPLATE = {"department": "power", "name": "停电答复", "text": "{filer_name}：您反映的 {tracking_number} 已由{department}处理。"}


async def _templates(client) -> list[dict]:
    return (await Actor(client, SUPERVISOR).get("/v1/departments/power/reply-templates?retired=true")).json()


async def test_templates_kept_on_a_page_and_an_answer_from_one_names_it_in_the_history(routed):
    app, client, cid, desk = routed
    wang, zhang = desk(), desk()
    await wang.login(SUPERVISOR)
    page = await wang.get("/workbench/templates?department=power")
    assert page.status_code == 200 and 'id="form-new-template"' in page.text
    missing = await wang.client.post("/workbench/templates", data=TEMPLATE)
    other = Desk(app)
    await other.login(staff_token("admin", "运维"))
    theirs = await wang.client.post("/workbench/templates", data={**TEMPLATE, "csrf": other.csrf})
    await other.close()
    assert missing.status_code == theirs.status_code == 403 and await _templates(client) == []
    bad = await wang.client.post("/workbench/templates", data={**TEMPLATE, "text": "您好 {mobile}", "csrf": wang.csrf})
    assert bad.status_code == 422 and 'data-field="text"' in bad.text and "您好 {mobile}" in bad.text
    assert await _templates(client) == []
    made = await wang.client.post("/workbench/templates", data={**TEMPLATE, "csrf": wang.csrf})
    assert made.status_code == 303
    tid = (await _templates(client))[0]["id"]
    changed = await wang.client.post(f"/workbench/templates/{tid}", data={"department": "power", "csrf": wang.csrf,
                                                                          "name": "停电答复（通用）"})
    assert changed.status_code == 303 and (await _templates(client))[0]["name"] == "停电答复（通用）"

    await zhang.login(staff_token("handler", "张三", "power"))
    assert (await zhang.get("/workbench/templates?department=power")).status_code == 403
    assert (await zhang.act(cid, "claim")).status_code == 303
    picked = await zhang.get(f"/workbench/complaints/{cid}?template={tid}")
    number = re.search(r"TS\d{8}-[0-9A-Z]{6}", picked.text).group(0)
    draft = re.search(r'<textarea id="answer-text" name="text" rows="8">([^<]*)</textarea>', picked.text).group(1)
    assert f"您反映的 {number} 已由" in draft and f'name="template_id" value="{tid}"' in picked.text
    answered = await zhang.act(cid, "answer", {"text": draft + "经核查已恢复供电。", "template_id": tid})
    assert answered.status_code == 303
    history = (await Actor(client, SUPERVISOR).get(f"/v1/complaints/{cid}/history")).json()
    entry = next(h for h in history if h["action"] == "answered")
    assert entry["detail"]["template_id"] == tid and entry["detail"]["template_name"] == "停电答复（通用）"
    messages = (await Actor(client, SUPERVISOR).get(f"/v1/complaints/{cid}/messages")).json()
    assert messages[-1]["text"].endswith("经核查已恢复供电。")

    retired = await wang.client.post(f"/workbench/templates/{tid}/retire", data={"csrf": wang.csrf})
    assert retired.status_code == 303 and (await _templates(client))[0]["retired_at"]


async def test_an_attachment_uploaded_and_downloaded_through_the_workbench(routed):
    app, client, cid, desk = routed
    zhang, tax = desk(), desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    await tax.login(staff_token("handler", "赵六", "tax"))
    page = await zhang.get(f"/workbench/complaints/{cid}")
    assert 'id="upload-attachment"' in page.text and 'enctype="multipart/form-data"' in page.text
    url = f"/workbench/complaints/{cid}/attachments"
    photo = {"file": ("王小明现场.jpg", jpeg(1), "image/jpeg")}
    before = await _state(client, cid)
    assert (await zhang.client.post(url, files=photo)).status_code == 403
    assert (await zhang.client.post(url, data={"csrf": tax.csrf}, files=photo)).status_code == 403
    big = await zhang.client.post(url, data={"csrf": zhang.csrf},
                                  files={"file": ("big.jpg", jpeg(2, 11 * 1024 * 1024), "image/jpeg")})
    assert big.status_code == 413 and 'data-field="file"' in big.text and "附件不能超过 10 MB" in big.text
    wrong = await zhang.client.post(url, data={"csrf": zhang.csrf}, files={"file": ("a.jpg", b"<html>", "image/jpeg")})
    assert wrong.status_code == 422 and 'data-field="file"' in wrong.text
    assert await _state(client, cid) == before

    done = await zhang.client.post(url, data={"csrf": zhang.csrf}, files=photo)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=attach")
    page = await zhang.get(f"/workbench/complaints/{cid}")
    assert f'href="{url}/1"' in page.text and "王小明" not in page.text
    got = await zhang.client.get(f"{url}/1")
    assert got.status_code == 200 and got.content == jpeg(1) and got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"].startswith('attachment; filename="TS')
    assert (await tax.client.get(f"{url}/1")).status_code == 404
    assert (await zhang.client.get(f"{url}/2")).status_code == 404


async def test_search_and_an_export_for_supervisors_only(routed):
    app, client, cid, desk = routed
    zhang, wang = desk(), desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    await wang.login(SUPERVISOR)
    form = await zhang.get("/workbench/search")
    assert form.status_code == 200 and 'id="export-csv"' not in form.text
    assert (await zhang.client.post("/workbench/search", data={"text": "停电"})).status_code == 403
    found = await zhang.client.post("/workbench/search", data={"csrf": zhang.csrf, "text": "停电", "status": "routed"})
    assert found.status_code == 200 and f'data-id="{cid}"' in found.text and 'id="export-csv"' not in found.text
    none = await zhang.client.post("/workbench/search", data={"csrf": zhang.csrf, "text": "没有这样的字"})
    assert f'data-id="{cid}"' not in none.text and "没有符合条件的诉求" in none.text
    bad = await zhang.client.post("/workbench/search", data={"csrf": zhang.csrf, "tracking_number": "TS1",
                                                             "received_from": "2026-12-02", "received_to": "2026-12-01"})
    assert bad.status_code == 422 and 'data-field="tracking_number"' in bad.text
    refused = await zhang.client.post("/workbench/search/export", data={"csrf": zhang.csrf, "format": "csv"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    shown = await wang.client.post("/workbench/search", data={"csrf": wang.csrf, "text": "停电"})
    assert 'id="export-csv"' in shown.text and 'id="export-xlsx"' in shown.text
    assert (await wang.client.post("/workbench/search/export", data={"format": "csv"})).status_code == 403
    csv = await wang.client.post("/workbench/search/export", data={"csrf": wang.csrf, "format": "csv", "text": "停电"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "一周停了四次电" in csv.content.decode("utf-8-sig") and "13812345678" not in csv.content.decode("utf-8-sig")
    xlsx = await wang.client.post("/workbench/search/export", data={"csrf": wang.csrf, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_a_dispatch_to_township_names_one_by_its_field(embedded):
    app, client = embedded
    created = (await client.post("/v1/complaints", json=VAGUE)).json()
    await wait_routed(Actor(client, staff_token("dispatcher", "钱七")), created["id"])
    cid = created["id"]
    qian = Desk(app)
    try:
        await qian.login(staff_token("dispatcher", "钱七"))
        page = await qian.get(f"/workbench/complaints/{cid}")
        assert 'id="dispatch-township"' in page.text and "白沙镇" in page.text
        before = await _state(client, cid)
        none = await qian.act(cid, "dispatch", {"department": "township"})
        assert none.status_code == 422 and 'data-field="township"' in none.text
        assert await _state(client, cid) == before
        done = await qian.act(cid, "dispatch", {"department": "township", "township": "白沙镇"})
        assert done.status_code == 303
        history = (await Actor(client, SUPERVISOR).get(f"/v1/complaints/{cid}/history")).json()
        assert next(h for h in history if h["action"] == "dispatched")["detail"]["township"] == "白沙镇"
    finally:
        await qian.close()


async def test_the_operator_s_desk_lists_their_filings_and_looks_one_up_for_a_caller(embedded):
    app, client = embedded
    operator = staff_token("operator", "话务员01")
    filed = (await client.post("/v1/complaints", json={**POWER, "channel": "hotline"},
                               headers=bearer(operator))).json()
    public = (await client.post("/v1/complaints", json=VAGUE)).json()
    desk, other = Desk(app), Desk(app)
    try:
        await desk.login(operator)
        await other.login(staff_token("operator", "话务员02"))
        mine = await desk.get("/workbench/operator")
        assert f'data-id="{filed["id"]}"' in mine.text and public["id"] not in mine.text
        assert 'id="form-lookup"' in mine.text
        assert f'data-id="{filed["id"]}"' not in (await other.get("/workbench/operator")).text
        number, code = public["tracking_number"], public["access_code"]
        wrong_code = str((int(code) + 1) % 1_000_000).zfill(6)
        for data in ({"tracking_number": number, "access_code": code},
                     {"tracking_number": number, "access_code": code, "csrf": other.csrf}):
            assert (await desk.client.post("/workbench/operator/lookup", data=data)).status_code == 403
        wrong = await desk.client.post("/workbench/operator/lookup", data={
            "csrf": desk.csrf, "tracking_number": number, "access_code": wrong_code})
        missing = await desk.client.post("/workbench/operator/lookup", data={
            "csrf": desk.csrf, "tracking_number": "TS20200101-AAAAAA", "access_code": code})
        assert wrong.status_code == missing.status_code == 404
        said = re.compile(r'<p class="field-error" id="lookup-error" role="alert">([^<]*)</p>')
        assert said.search(wrong.text).group(1) == said.search(missing.text).group(1)
        assert public["id"] not in wrong.text and wrong_code not in wrong.text
        opened = await desk.client.post("/workbench/operator/lookup", data={
            "csrf": desk.csrf, "tracking_number": number.lower(), "access_code": code})
        assert opened.status_code == 200 and "有个问题想反映" in opened.text and 'id="actions"' not in opened.text
        assert code not in opened.text
    finally:
        await desk.close()
        await other.close()
