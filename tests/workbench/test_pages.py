"""The workbench over HTTP: forms refused without their session's CSRF token or from another's session with nothing
changed, logout and an expired session back at the login page, another department's complaint a 404 page, a form's
errors by its fields in Chinese, the conflict notice with the fresh version, the audited contact, the pages' security
headers, every value escaped."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from services.intake.pages import forms
from services.intake.pages.session import COOKIE
from shared import clock
from shared.pages import Sessions
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.intake.test_work_api import POWER
from tests.pipeline.helpers import wait_routed
from tests.support import AUTH_SECRET
from tests.workbench.helpers import Desk

#: A form of each action, filled as a person would.
FILLED = {
    "claim": {}, "accept": {}, "contact": {"note": "已电话联系"}, "request-info": {"question": "请补充停电时间"},
    "answer": {"text": "已协调供电所检修线路"}, "return": {"reason": "不属本部门", "suggested_department": "market"},
    "cooperating": {"department": "market"}, "notes": {"text": "内部备注"}, "dispatch": {"department": "market"},
    "approve-return": {}, "reject-return": {"reason": "属本部门职责"}, "permit-return": {"reason": "确属误派"},
}


@pytest.fixture
async def routed(embedded):
    app, client = embedded
    filer = FilerClient(client)
    created = (await filer.post("/v1/complaints", json=POWER)).json()
    await wait_routed(filer, created["id"])
    desks: list[Desk] = []

    def desk() -> Desk:
        desks.append(Desk(app))
        return desks[-1]

    yield app, client, created["id"], desk
    for d in desks:
        await d.close()


async def _state(client, cid: str) -> tuple[str, list]:
    api = Actor(client, staff_token("supervisor", "王督办"))
    return await api.version(cid), (await api.get(f"/v1/complaints/{cid}/history")).json()


def test_every_action_of_a_handler_and_dispatcher_has_a_form():
    assert set(FILLED) == set(forms.ACTIONS)
    assert set(forms.ACTIONS) == {"claim", "accept", "contact", "request-info", "answer", "return", "cooperating",
                                  "notes", "dispatch", "approve-return", "reject-return", "permit-return"}


async def test_forms_without_their_csrf_token_or_from_another_session_change_nothing(routed):
    app, client, cid, desk = routed
    zhang, li, tax = desk(), desk(), desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    await li.login(staff_token("handler", "李四", "power"))
    await tax.login(staff_token("handler", "赵六", "tax"))
    assert (await zhang.act(cid, "claim")).status_code == 303  # the form works with its own token
    before = await _state(client, cid)
    for action, data in FILLED.items():
        missing = await zhang.act(cid, action, data, csrf="")
        assert missing.status_code == 403 and "表单已失效" in missing.text, action
        theirs = await zhang.act(cid, action, data, csrf=li.csrf)
        assert theirs.status_code == 403, action
        other_department = await tax.act(cid, action, data)
        assert other_department.status_code == 404 and "未找到" in other_department.text, action
    assert await _state(client, cid) == before


async def test_logout_and_an_expired_session_lead_back_to_the_login_page(routed):
    app, client, cid, desk = routed
    zhang = desk()
    token = staff_token("handler", "张三", "power")
    await zhang.login(token)
    logout = await zhang.client.post("/workbench/logout", data={"csrf": zhang.csrf})
    assert logout.status_code == 303 and logout.headers["location"] == "/workbench/login"
    after = await zhang.client.get("/workbench")
    assert after.status_code == 303 and after.headers["location"] == "/workbench/login"

    stale = Sessions(AUTH_SECRET, cookie=COOKIE, path="/workbench")
    old = stale.encode(token, now=clock.now() - timedelta(hours=8, minutes=1))
    late = desk()
    late.client.cookies.set(COOKIE, old, domain="complaints.test", path="/workbench")
    page = await late.client.get(f"/workbench/complaints/{cid}")
    assert page.status_code == 303 and page.headers["location"] == "/workbench/login"
    before = await _state(client, cid)
    posted = await late.client.post(f"/workbench/complaints/{cid}/claim",
                                    data={"csrf": stale.csrf_token(stale.decode(old, now=clock.now()
                                                                                - timedelta(hours=8))),
                                          "version": before[0].strip('"')})
    assert posted.status_code == 303 and posted.headers["location"] == "/workbench/login"
    assert await _state(client, cid) == before
    login = await late.client.get("/workbench/login")
    assert login.status_code == 200 and 'id="token"' in login.text


async def test_a_handler_sees_nothing_of_another_departments_complaint(routed):
    app, client, cid, desk = routed
    tax = desk()
    queue = await tax.login(staff_token("handler", "赵六", "tax"))
    assert cid not in queue.text and "停了四次电" not in queue.text
    for url in (f"/workbench/complaints/{cid}", f"/workbench/complaints/{cid}/contact"):
        page = await tax.get(url)
        assert page.status_code == 404 and "未找到" in page.text, url
        assert "停了四次电" not in page.text and "窑炉" not in page.text and "禾丰" not in page.text


async def test_errors_by_field_in_chinese_a_conflict_with_the_fresh_version_and_the_audited_contact(routed, caplog):
    caplog.set_level(logging.DEBUG)
    app, client, cid, desk = routed
    zhang = desk()
    queue = await zhang.login(staff_token("handler", "张三", "power"))
    assert "一周停了四次电" in queue.text
    assert "script-src 'self'" in queue.headers["content-security-policy"]
    assert queue.headers["x-frame-options"] == "DENY" and queue.headers["cache-control"] == "no-store"
    assert (await zhang.act(cid, "claim")).headers["location"] == f"/workbench/complaints/{cid}?done=claim"
    assert (await zhang.act(cid, "accept")).status_code == 303
    before = await _state(client, cid)
    empty = await zhang.act(cid, "request-info", {"question": "   "})
    assert empty.status_code == 422
    assert 'class="field-error" data-field="question"' in empty.text and "不能为空" in empty.text
    assert await _state(client, cid) == before

    stale_version = before[0].strip('"')
    await Actor(client, staff_token("handler", "张三", "power")).act(cid, "notes", {"text": "<script>x()</script>"})
    conflict = await zhang.act(cid, "answer", {"text": "我的答复"}, version=stale_version)
    assert conflict.status_code == 409 and "有人修改了这件诉求" in conflict.text
    assert f'name="version" value="{int(stale_version) + 1}"' in conflict.text and "我的答复" in conflict.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in conflict.text and "<script>" not in conflict.text  # escaped

    contact = await zhang.get(f"/workbench/complaints/{cid}/contact")
    assert contact.status_code == 200 and "138 1234 5678" in contact.text and "周女士" in contact.text
    history = (await Actor(client, staff_token("supervisor", "王督办")).get(f"/v1/complaints/{cid}/history")).json()
    assert history[-1]["action"] == "contact_viewed" and history[-1]["actor"] == "handler:power:张三"
    page = await zhang.get(f"/workbench/complaints/{cid}")
    assert "138****5678" in page.text and "138 1234 5678" not in page.text
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    for secret in ("13812345678", "138 1234 5678", "周女士", "我的答复"):  # no contact data or text in any log
        assert secret not in logged


async def test_the_router_s_reasons_and_a_cooperating_department_that_reads_and_adds_its_part(routed):
    app, client, cid, desk = routed
    lead = Actor(client, staff_token("handler", "张三", "power"))
    zhang = desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    decision = (await zhang.get(f"/workbench/complaints/{cid}")).text.split('id="decision"')[1].split("</section>")[0]
    assert "系统自动分派" in decision and "主办" in decision and "停电" in decision
    await lead.act(cid, "claim")
    await lead.act(cid, "cooperating", {"department": "market"})
    market = desk()
    queue = await market.login(staff_token("handler", "孙八", "market"))
    assert cid in queue.text.split('id="queue-cooperating"')[1]
    page = await market.get(f"/workbench/complaints/{cid}")
    assert page.status_code == 200 and "本部门协办（只读）" in page.text
    assert set(re.findall(r'id="form-([a-z-]+)"', page.text)) == {"notes"}
    assert "显示联系方式" not in page.text and "138****5678" in page.text
    assert (await market.get(f"/workbench/complaints/{cid}/contact")).status_code == 403
    done = await market.act(cid, "notes", {"text": "市场监管局已核实该企业登记信息"})
    assert done.status_code == 303
    messages = (await market.get(f"/workbench/complaints/{cid}")).text.split('id="messages"')[1]
    assert "协办意见" in messages and "市场监管局已核实该企业登记信息" in messages


async def test_each_form_does_what_the_api_s_action_does_and_its_refusals_show_by_field(routed):
    app, client, cid, desk = routed
    zhang = desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    for action, data in (("claim", {}), ("accept", {}), ("contact", {"note": "已电话联系，约定周三上门"}),
                         ("cooperating", {"department": "market"}), ("notes", {"text": "与市场监管局会商"})):
        done = await zhang.act(cid, action, data)
        assert done.status_code == 303 and done.headers["location"].endswith(f"?done={action}"), action
    unknown = await zhang.act(cid, "cooperating", {"department": "nowhere"})
    assert unknown.status_code == 422 and 'data-field="department"' in unknown.text and "部门编号不在目录中" in unknown.text
    own = await zhang.act(cid, "return", {"reason": "不属本部门", "suggested_department": "power"})
    assert own.status_code == 422 and 'data-field="suggested_department"' in own.text and "不能是本部门" in own.text
    assert "不属本部门" in own.text  # what was typed comes back
    returned = await zhang.act(cid, "return", {"reason": "属于市场监管职责", "suggested_department": "market"})
    assert returned.status_code == 303 and returned.headers["location"] == "/workbench?done=return"
    history = (await Actor(client, staff_token("supervisor", "王督办")).get(f"/v1/complaints/{cid}/history")).json()
    mine = [h["action"] for h in history if h["actor"] == "handler:power:张三"]
    assert mine == ["claimed", "accepted", "contacted", "cooperating_added", "note", "return_requested"]
    assert next(h for h in history if h["action"] == "return_requested")["detail"]["suggested_department"] == "market"


async def test_a_dispatcher_sees_triage_and_any_department_s_queue_but_no_handler_forms(routed):
    app, client, cid, desk = routed
    qian = desk()
    queue = await qian.login(staff_token("dispatcher", "钱七"))
    assert 'id="queue-triage"' in queue.text and cid not in queue.text
    power = await qian.get("/workbench?department=power")
    assert cid in power.text.split('id="queue-lead"')[1]
    page = await qian.get(f"/workbench/complaints/{cid}")
    assert set(re.findall(r'id="form-([a-z-]+)"', page.text)) == {"dispatch"}
    assert "显示联系方式" not in page.text
    assert (await qian.act(cid, "claim")).status_code == 403


async def test_an_unknown_address_among_the_pages_is_a_page_and_stays_json_for_programs(embedded):
    """A person who follows an old link or mistypes one reads where to go, in Chinese, on a page with the pages'
    headers; a program asking the API, or posting, still gets the JSON error."""
    _app, client = embedded
    for path, shown in (("/workbench/queues/nowhere", "回到工作台"), ("/file/nowhere", "查询已提交投诉的进度")):
        answer = await client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
        assert "页面不存在" in answer.text or "没有这个页面" in answer.text
        assert shown in answer.text and answer.headers["x-frame-options"] == "DENY"
    for method, path in (("GET", "/v1/nowhere"), ("GET", "/workbenchx"), ("POST", "/workbench/nowhere")):
        answer = await client.request(method, path)
        assert answer.status_code in (404, 405) and answer.json()["message_zh"], (method, path)
