"""Returns are reviewed (派单异议审核): a handler's return waits in the center's review queue; a dispatcher rejects one
(back with the same department, which cannot return it again without a supervisor's permit) and approves another
(re-routed, the router learns once); the dashboard's 合理退单率 and review time are the hand count; a return after the
window is refused on its field until a supervisor permits it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from services.router.models import Correction
from shared import clock
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.intake.test_lifecycle_walk import FIRE_CHECK, POWER
from tests.pipeline.helpers import wait_routed
from tests.support import eventually
from tests.workbench.helpers import Desk


@pytest.fixture
async def line(embedded):
    app, client = embedded
    filer = FilerClient(client)
    desks: list[Desk] = []

    async def file(body) -> str:
        created = (await filer.post("/v1/complaints", json=body)).json()
        await wait_routed(filer, created["id"])
        return created["id"]

    def desk() -> Desk:
        desks.append(Desk(app))
        return desks[-1]

    yield app, filer, file, desk
    for d in desks:
        await d.close()
    clock.set_offset(timedelta(0))


def _history(entries: list[dict], action: str) -> list[dict]:
    return [e for e in entries if e["action"] == action]


async def test_a_rejected_return_stays_an_approved_one_is_rerouted_and_the_dashboard_counts_them(line):
    app, client, file, desk = line
    c1, c2 = await file(POWER), await file(FIRE_CHECK)
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    power = Actor(client, staff_token("handler", "张三", "power"))
    housing = Actor(client, staff_token("handler", "李四", "housing"))

    # the handler returns c1 at the workbench: it waits for the review, still power's, its clock running
    zhang = desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    assert (await zhang.act(c1, "claim")).status_code == 303
    done = await zhang.act(c1, "return", {"reason": "属于市场监管职责", "suggested_department": "market"})
    assert done.status_code == 303 and done.headers["location"] == "/workbench?done=return"
    view = (await power.get(f"/v1/complaints/{c1}")).json()
    assert (view["status"], view["status_zh"], view["department"]) == ("return_review", "退回待审核", "power")
    assert view["next_actions"] == ["notes"] and view["due_at"]

    # the dispatcher's review queue has it with its reason and suggestion; the dispatcher rejects it
    qian = desk()
    queue = await qian.login(staff_token("dispatcher", "钱七"))
    section = queue.text.split('id="queue-review"')[1].split("</section>")[0]
    assert c1 in section and "属于市场监管职责" in section and "市场监督管理局" in section
    queued = (await Actor(client, staff_token("dispatcher", "钱七")).get("/v1/returns")).json()["items"]
    assert [(i["id"], i["returned_by"], i["suggested_department"]) for i in queued] == [(c1, "power", "market")]
    refused = await qian.act(c1, "reject-return", {"reason": " "})
    assert refused.status_code == 422 and 'data-field="reason"' in refused.text
    rejected = await qian.act(c1, "reject-return", {"reason": "停电属供电局职责，请继续办理"})
    assert rejected.status_code == 303
    view = (await power.get(f"/v1/complaints/{c1}")).json()
    assert (view["status"], view["department"]) == ("routed", "power")
    messages = (await power.get(f"/v1/complaints/{c1}/messages")).json()
    assert [m["text"] for m in messages if m["kind"] == "return_rejection"] == ["停电属供电局职责，请继续办理"]

    # power must handle it: returning it again needs a supervisor's permit
    await power.act(c1, "claim")
    version = await power.version(c1)
    again = await power.act(c1, "return", {"reason": "仍认为不属本局"}, expect=422)
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [("permit", "return_rejected_before")]
    assert await power.version(c1) == version

    # housing returns c2 through the API; the dispatcher approves it at the workbench: the router learns once
    await housing.act(c2, "claim")
    await housing.act(c2, "return", {"reason": "消防验收已划转政务服务局", "suggested_department": "gov_service"})
    assert (await qian.act(c2, "approve-return")).headers["location"] == "/workbench?done=approve-return"

    async def rerouted():
        seen = (await supervisor.get(f"/v1/complaints/{c2}")).json()
        return seen if seen["status"] == "routed" else None

    assert (await eventually(rerouted))["department"] == "gov_service"
    router_db = app.state.runtimes["router"].db

    async def learnt():
        async with router_db.unit_of_work() as uow:
            return (await uow.session.scalars(select(Correction).where(Correction.complaint_id.in_([c1, c2])))).all()

    corrections = await eventually(learnt)
    assert [(c.complaint_id, c.department, c.source) for c in corrections] == [(c2, "gov_service", "return")]

    # the dashboard: per department returns, the share approved and how long reviews took, as counted by hand
    def took(cid_history: list[dict], decision: str) -> float:
        asked = datetime.fromisoformat(_history(cid_history, "return_requested")[-1]["at"])
        decided = datetime.fromisoformat(_history(cid_history, decision)[-1]["at"])
        return (decided - asked).total_seconds() / 3600

    h1 = took((await supervisor.get(f"/v1/complaints/{c1}/history")).json(), "return_rejected")
    h2 = took((await supervisor.get(f"/v1/complaints/{c2}/history")).json(), "returned")
    expected = {"power": (1, 1, 0, 0.0, h1), "housing": (1, 1, 1, 1.0, h2), "total": (2, 2, 1, 0.5, (h1 + h2) / 2)}

    async def counted():
        summary = (await client.get("/dashboard/api/summary", headers=supervisor.headers)).json()
        rows = {d["department"]: d for d in summary["departments"]} | {"total": summary["total"]}
        fields = ("returns", "returns_reviewed", "returns_approved", "return_approval_rate", "avg_review_hours")
        got = {(k, f): rows[k][f] for k in expected if k in rows for f in fields}
        return rows if got == pytest.approx({(k, f): v for k, want in expected.items()
                                             for f, v in zip(fields, want)}) else None

    rows = await eventually(counted, timeout=15)
    assert rows["total"]["display"]["return_approval_rate"] == "50.0%"
    assert rows["power"]["display"]["return_approval_rate"] == "0.0%"
    assert rows["housing"]["display"]["avg_review"] == f"{h2:.1f} 小时"


async def test_a_return_after_the_window_needs_a_supervisor_s_permit(line):
    app, client, file, desk = line
    cid = await file(POWER)
    power = Actor(client, staff_token("handler", "张三", "power"))
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    dispatcher = Actor(client, staff_token("dispatcher", "钱七"))
    clock.set_offset(timedelta(days=12))  # long past one working day after the placement
    await power.act(cid, "claim")
    version = await power.version(cid)
    late = await power.act(cid, "return", {"reason": "不属本局职责"}, expect=422)
    assert [(e["field"], e["code"]) for e in late.json()["errors"]] == [("permit", "return_window_passed")]
    assert "须经督办准予" in late.json()["errors"][0]["message_zh"]
    assert await power.version(cid) == version
    zhang = desk()
    await zhang.login(staff_token("handler", "张三", "power"))
    form = await zhang.act(cid, "return", {"reason": "不属本局职责"})
    assert form.status_code == 422 and 'data-field="permit"' in form.text and "不属本局职责" in form.text

    # only a supervisor permits, and not a handler or a dispatcher; the permit lets one return through
    await dispatcher.act(cid, "permit-return", {"reason": "确属误派"}, expect=403)
    await power.act(cid, "permit-return", {"reason": "确属误派"}, expect=403)
    await supervisor.act(cid, "permit-return", {"reason": "经核实确属误派"})
    returned = (await power.act(cid, "return", {"reason": "不属本局职责"})).json()
    assert returned["status"] == "return_review"
    history = (await supervisor.get(f"/v1/complaints/{cid}/history")).json()
    request = _history(history, "return_requested")[-1]["detail"]
    assert (request["needed_permit"], request["permitted_by"]) == (["late"], "supervisor:王督办")
    queued = (await dispatcher.get("/v1/returns")).json()["items"]
    assert [(i["id"], i["needed_permit"], i["permitted_by"]) for i in queued] == [(cid, ["late"], "supervisor:王督办")]

    # a handler does not review; once rejected, the used permit lets nothing more through
    await power.act(cid, "reject-return", {"reason": "自己驳回"}, expect=403)
    await dispatcher.act(cid, "reject-return", {"reason": "属供电局职责"})
    await power.act(cid, "claim")
    again = await power.act(cid, "return", {"reason": "不属本局职责"}, expect=422)
    assert again.json()["errors"][0]["field"] == "permit"
