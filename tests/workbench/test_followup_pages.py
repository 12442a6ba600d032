"""The follow-up staff's pages over HTTP: a 回访员 lands on the follow-up queue; the result form is refused without the
session's CSRF token with nothing changed, and with an unknown outcome by field; a handler has no follow-up queue,
and the follow-up staff may not act on a complaint's lifecycle; the filer reads a rating given by phone without the staff member's name; the token CLI issues the role."""

from __future__ import annotations

import re

from shared import auth
from shared.auth import Principal, Role, verify_token
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.intake.test_work_api import POWER
from tests.pipeline.helpers import wait_routed
from tests.support import AUTH_SECRET
from tests.workbench.helpers import CSRF, Desk

TASK = re.compile(r'href="/workbench/followups/([0-9a-f]{32})"')


async def _answered(client) -> tuple[str, str]:
    filer = FilerClient(client)
    created = (await filer.post("/v1/complaints", json=POWER)).json()
    await wait_routed(filer, created["id"])
    handler = Actor(filer, staff_token("handler", "张三", "power"))
    await handler.act(created["id"], "claim")
    await handler.act(created["id"], "answer", {"text": "已协调供电所检修线路"})
    return created["id"], created["access_token"]


async def test_the_follow_up_desk(embedded):
    app, client = embedded
    cid, filer_token = await _answered(client)
    caller, handler = Desk(app), Desk(app)
    try:
        form = await caller.client.get("/workbench/login")
        await caller.client.post("/workbench/login", data={"csrf": CSRF.search(form.text).group(1),
                                                           "token": staff_token("followup", "赵回访")})
        landing = await caller.client.get("/workbench")
        assert (landing.status_code, landing.headers["location"]) == (303, "/workbench/followups")
        queue = await caller.get("/workbench/followups")
        assert queue.status_code == 200 and "待回访" in queue.text
        [task] = TASK.findall(queue.text)
        page = await caller.get(f"/workbench/followups/{task}")
        assert 'id="form-result"' in page.text and "已协调供电所检修线路" in page.text

        # no CSRF token: refused, nothing written
        refused = await caller.client.post(f"/workbench/followups/{task}/result", data={"outcome": "declined"})
        assert refused.status_code == 403
        supervisor = Actor(FilerClient(client), staff_token("supervisor", "王督办"))
        history = (await supervisor.get(f"/v1/complaints/{cid}/history")).json()
        assert not [h for h in history if h["action"].startswith("followup_") and h["action"] != "followup_scheduled"]

        # an unknown outcome is an error by field, what was typed kept
        wrong = await caller.client.post(f"/workbench/followups/{task}/result",
                                         data={"csrf": caller.csrf, "outcome": "maybe", "reason": "<b>再说</b>"})
        assert wrong.status_code == 422 and 'data-field="outcome"' in wrong.text
        assert "&lt;b&gt;再说&lt;/b&gt;" in wrong.text

        # the follow-up staff see the complaint but no form of its lifecycle, and may not add a note
        shown = await caller.get(f"/workbench/complaints/{cid}")
        assert shown.status_code == 200 and 'id="form-' not in shown.text
        api = Actor(FilerClient(client), staff_token("followup", "赵回访"))
        await api.act(cid, "notes", {"text": "回访员的备注"}, expect=403)
        await api.act(cid, "rating", {"rating": "满意"}, expect=403)

        done = await caller.client.post(f"/workbench/followups/{task}/result",
                                        data={"csrf": caller.csrf, "outcome": "reached", "solved": "true",
                                              "rating": "basically_satisfied"})
        assert done.status_code == 303 and done.headers["location"] == "/workbench/followups?done=result"

        # a handler has no follow-up queue and cannot record a call
        await handler.login(staff_token("handler", "张三", "power"))
        assert (await handler.get("/workbench/followups")).status_code == 403
        assert (await handler.client.get(f"/workbench/followups/{task}/contact")).status_code == 403
    finally:
        await caller.close()
        await handler.close()

    filer = Actor(FilerClient(client), filer_token)
    mine = (await filer.get(f"/v1/complaints/{cid}/history")).json()
    rated = [h for h in mine if h["action"] == "rated"]
    assert [(h["actor"], h["detail"]["rating"]) for h in rated] == [("followup", "basically_satisfied")]
    assert "赵回访" not in str(mine) and not [h for h in mine if h["action"].startswith("followup_")]


def test_the_cli_issues_a_follow_up_token(capsys):
    assert auth.main(["issue", "--role", "followup", "--name", "赵回访", "--days", "1"]) == 0
    principal = verify_token(AUTH_SECRET, capsys.readouterr().out.strip())
    assert principal == Principal(name="赵回访", role=Role.followup)
    assert principal.actor == "followup:赵回访"
