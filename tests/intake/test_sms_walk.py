"""The whole product on the embedded default tells a filer by SMS through the local provider: the file under ./var/
shows what the filer reads — signed, with the tracking number, the department and the deadline, never the complaint's
text or anyone's personal data — staff see each send in the history, and a filer may opt out."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shared import clock
from shared.calendar import SHANGHAI
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient, bearer, staff_token
from tests.intake.sms_helpers import notices
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, credit_code, eventually

BODY = complaint_body("一周停了四次电", "白沙镇工业集中区的陶瓷厂，这周已经停电四次，没有任何预告，窑炉突然断电，损失好几万。")


def _tomorrow_morning() -> datetime:
    tomorrow = clock.now().astimezone(SHANGHAI).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(10), tzinfo=SHANGHAI)


async def test_a_filer_reads_what_the_local_provider_writes(tmp_path):
    sms_file = tmp_path / "var" / "sms.txt"
    settings = embedded_settings(tmp_path, sms_local_path=str(sms_file), sms_poll_interval_s=3600)
    async with running_app(settings) as (app, client):
        filer_client = FilerClient(client)
        created = (await filer_client.post("/v1/complaints", json=BODY)).json()
        cid = created["id"]
        await wait_routed(filer_client, cid)
        db = app.state.runtimes["intake"].db
        await eventually(lambda: _templates(db, cid, {"filed_with_code", "placed"}))
        quiet = (await filer_client.post("/v1/complaints", json=complaint_body(
            "路口红绿灯坏了", filer={**BODY["filer"], "credit_code": credit_code(2)}))).json()
        opt_out = await client.put(f"/v1/complaints/{quiet['id']}/sms", json={"enabled": False},
                                   headers=bearer(quiet["access_token"]))
        assert opt_out.status_code == 200 and opt_out.json() == {"enabled": False}

        await app.state.runtimes["intake"].components["sms_sender"].send_due(_tomorrow_morning())

        lines = sms_file.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2, lines
        assert all(line.split("\t")[1] == "138****5678" for line in lines)
        filed, placed = (line.split("\t")[2] for line in lines)
        assert filed.startswith("【青山县12345】您的诉求已登记") and created["tracking_number"] in filed
        assert f"查询码{created['access_code']}" in filed  # the short code for following up by phone
        assert placed.startswith(f"【青山县12345】您的诉求{created['tracking_number']}已分派给青山县供电局，将于")
        for personal in (BODY["title"], BODY["text"][:8], "13812345678", "周女士", BODY["filer"]["enterprise_name"],
                         BODY["filer"]["credit_code"]):
            assert personal not in sms_file.read_text(encoding="utf-8")

        staff = Actor(client, staff_token("supervisor", "王督办"))
        history = (await staff.get(f"/v1/complaints/{cid}/history")).json()
        sent = [h for h in history if h["action"] == "sms_sent"]
        assert [h["detail"]["template"] for h in sent] == ["filed_with_code", "placed"]
        assert {h["summary"] for h in sent} == {"已短信告知诉求人"}
        own = (await filer_client.get(f"/v1/complaints/{cid}/history")).json()
        assert not [h for h in own if h["action"].startswith("sms_sent")]
        assert [(row.template, row.status) for row in await notices(db, quiet["id"])] == [("filed_with_code", "skipped")]
        metrics = (await client.get("/metrics")).text
        assert 'sms_messages_total{outcome="sent",template="placed"}' in metrics


async def test_only_the_filer_chooses_and_bad_input_changes_nothing(embedded):
    _app, client = embedded
    created = (await client.post("/v1/complaints", json=BODY)).json()
    other = (await client.post("/v1/complaints", json=complaint_body(
        "路口红绿灯坏了", filer={**BODY["filer"], "credit_code": credit_code(3)}))).json()
    url = f"/v1/complaints/{created['id']}/sms"
    own = bearer(created["access_token"])

    bad = await client.put(url, json={"enabled": "maybe"}, headers=own)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["enabled"]
    assert (await client.put(url, json={"enabled": False}, headers=bearer(other["access_token"]))).status_code == 404
    staff = bearer(staff_token("supervisor", "王督办"))
    assert (await client.put(url, json={"enabled": False}, headers=staff)).status_code == 403
    assert (await client.put(url, json={"enabled": False})).status_code == 401

    history = (await client.get(f"/v1/complaints/{created['id']}/history", headers=own)).json()
    assert not [h for h in history if h["action"].startswith("sms_opt")]
    assert (await client.put(url, json={"enabled": False}, headers=own)).status_code == 200
    assert (await client.put(url, json={"enabled": False}, headers=own)).status_code == 200  # no change
    assert (await client.put(url, json={"enabled": True}, headers=own)).status_code == 200
    history = (await client.get(f"/v1/complaints/{created['id']}/history", headers=own)).json()
    assert [(h["action"], h["summary"]) for h in history if h["action"].startswith("sms_opt")] == [
        ("sms_opt_out", "您已选择不接收短信"), ("sms_opt_in", "您已选择接收短信")]


async def _templates(db, complaint_id: str, expected: set[str]) -> bool:
    return {row.template for row in await notices(db, complaint_id)} == expected or None
