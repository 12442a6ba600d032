"""The deadline endpoints on the running product: who may see a complaint's clocks, marking it difficult, and a
supervisor's extension with its reason in the audit trail."""

from __future__ import annotations

from datetime import datetime

from services.sla.domain.deadlines import due_instant
from shared.auth import issue_token
from shared.calendar import WorkingCalendar
from tests.support import complaint_body, eventually

POWER = complaint_body("一周停了四次电", "工业园区这周已经停电四次，没有任何预告，窑炉突然断电，请供电部门尽快处理。")


def bearer(app, **claims) -> dict[str, str]:
    secret = app.state.runtimes["sla"].components["settings"].auth_secret
    return {"Authorization": f"Bearer {issue_token(secret, **claims)}"}


async def routed_complaint(app, client) -> str:
    created = (await client.post("/v1/complaints", json=POWER)).json()
    supervisor = bearer(app, role="supervisor", name="王督办")

    async def clocks_open():
        response = await client.get(f"/v1/sla/complaints/{created['id']}", headers=supervisor)
        return response.json() if response.status_code == 200 else None

    await eventually(clocks_open)
    return created["id"]


async def test_staff_see_the_clocks_and_other_departments_do_not(embedded):
    app, client = embedded
    complaint_id = await routed_complaint(app, client)
    own = await client.get(f"/v1/sla/complaints/{complaint_id}",
                           headers=bearer(app, role="handler", department="power", name="张三"))
    assert own.status_code == 200
    clocks = own.json()["clocks"]
    assert {(c["scope"], c["milestone"], c["status"]) for c in clocks} == {
        ("complaint", "resolution", "open"), ("department", "resolution", "open")}
    other = await client.get(f"/v1/sla/complaints/{complaint_id}",
                             headers=bearer(app, role="handler", department="tax", name="李四"))
    assert other.status_code == 404
    assert (await client.get(f"/v1/sla/complaints/{complaint_id}")).status_code == 401


async def test_supervisor_extends_with_a_reason_and_the_audit_trail_says_so(embedded):
    app, client = embedded
    complaint_id = await routed_complaint(app, client)
    supervisor = bearer(app, role="supervisor", name="王督办")
    before = (await client.get(f"/v1/sla/complaints/{complaint_id}", headers=supervisor)).json()
    response = await client.post(f"/v1/sla/complaints/{complaint_id}/extensions", headers=supervisor,
                                 json={"days": 5, "reason": "需协调供电公司现场勘验线路"})
    assert response.status_code == 200, response.text
    after = response.json()
    due_before = datetime.fromisoformat(before["clocks"][0]["due_at"])
    due_after = datetime.fromisoformat(after["clocks"][0]["due_at"])
    assert (due_after - due_before).days >= 5
    assert after["clocks"][0]["extended_days"] == 5
    assert after["audit"][-1]["actor"] == "supervisor:王督办"
    assert after["audit"][-1]["action"] == "extended"
    assert after["audit"][-1]["detail"]["reason"] == "需协调供电公司现场勘验线路"


async def test_only_supervisors_extend_and_bad_input_is_refused(embedded):
    app, client = embedded
    complaint_id = await routed_complaint(app, client)
    handler = bearer(app, role="handler", department="power", name="张三")
    refused = await client.post(f"/v1/sla/complaints/{complaint_id}/extensions", headers=handler,
                                json={"days": 5, "reason": "想多要几天"})
    assert refused.status_code == 403
    supervisor = bearer(app, role="supervisor", name="王督办")
    bad = await client.post(f"/v1/sla/complaints/{complaint_id}/extensions", headers=supervisor,
                            json={"days": 0, "reason": ""})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"days", "reason"}
    after = (await client.get(f"/v1/sla/complaints/{complaint_id}", headers=supervisor)).json()
    assert after["clocks"][0]["extended_days"] == 0 and after["audit"] == []


async def test_difficult_needs_a_policy_with_a_difficult_limit(embedded):
    app, client = embedded
    complaint_id = await routed_complaint(app, client)
    handler = bearer(app, role="handler", department="power", name="张三")
    response = await client.post(f"/v1/sla/complaints/{complaint_id}/difficult", headers=handler,
                                 json={"reason": "涉及多部门"})
    assert response.status_code == 409  # the default policy set has no 疑难 limit (Guizhou and Shanxi do)
    dispatcher = bearer(app, role="dispatcher", name="派单员")
    assert (await client.post(f"/v1/sla/complaints/{complaint_id}/difficult", headers=dispatcher,
                              json={"reason": "涉及多部门"})).status_code == 403


async def test_difficult_switches_the_limit_under_the_guizhou_set(tmp_path):
    from tests.conftest import embedded_settings, running_app

    async with running_app(embedded_settings(tmp_path, sla_policy_set="guizhou")) as (app, client):
        complaint_id = await routed_complaint(app, client)
        handler = bearer(app, role="handler", department="power", name="张三")
        before = (await client.get(f"/v1/sla/complaints/{complaint_id}", headers=handler)).json()
        response = await client.post(f"/v1/sla/complaints/{complaint_id}/difficult", headers=handler,
                                     json={"reason": "需多部门会商的历史遗留问题"})
        assert response.status_code == 200, response.text
        after = {c["milestone"]: c for c in response.json()["clocks"] if c["scope"] == "complaint"}
        old = {c["milestone"]: c for c in before["clocks"] if c["scope"] == "complaint"}
        assert after["resolution"]["difficult"] is True
        started = datetime.fromisoformat(old["resolution"]["started_at"])
        assert datetime.fromisoformat(old["resolution"]["due_at"]) == due_instant(
            started, 5, "calendar_days", WorkingCalendar()).due_at  # Guizhou: ordinary matters in 5 days
        assert datetime.fromisoformat(after["resolution"]["due_at"]) == due_instant(
            started, 15, "calendar_days", WorkingCalendar()).due_at  # difficult ones in 15
