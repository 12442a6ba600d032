"""Filer contact data stays in intake's contact table: a full walk with a distinctive name and mobile, and a hotline
caller's landline, then a scan of every log record, every message on the bus, /metrics, and the other services'
databases and the bus file."""

from __future__ import annotations

import logging
from pathlib import Path

from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient, bearer, staff_token
from tests.intake.test_lifecycle_walk import POWER, walk_to_closed
from tests.pipeline.helpers import bus_events

NAME = "欧阳密保"
MOBILE = "13912340987"
LANDLINE = "057187654321"
FORMS = [NAME, MOBILE, "+86" + MOBILE, "139 1234 0987", "139-1234-0987", "8613912340987",
         LANDLINE, "+86" + LANDLINE[1:], "0571 8765 4321", "0571-87654321", "86" + LANDLINE[1:]]


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


async def test_contact_data_never_reaches_logs_bus_metrics_or_other_services(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    body = {**POWER, "filer": {**POWER["filer"], "contact_name": NAME, "mobile": "139 1234 0987"}}
    settings = embedded_settings(tmp_path)
    async with running_app(settings) as (app, client):
        client = FilerClient(client)
        cid, seen = await walk_to_closed(app, client, body)
        supervisor = Actor(client, staff_token("supervisor", "周督办"))
        assert (await supervisor.get(f"/v1/complaints/{cid}/contact")).json()["mobile"] == "139 1234 0987"
        readers = [h["actor"] for h in (await supervisor.get(f"/v1/complaints/{cid}/history")).json()
                   if h["action"] == "contact_viewed"]
        assert readers == ["handler:power:张三", "supervisor:周督办"]

        shown = (await supervisor.get(f"/v1/complaints/{cid}")).text
        assert _leaks(shown) == [] and "139****0987" in shown
        by_phone = {**body, "channel": "hotline", "filer": {**body["filer"], "mobile": "0571-87654321"}}
        called = await client.post("/v1/complaints", json=by_phone,
                                   headers=bearer(staff_token("operator", "话务员01")))
        shown = (await supervisor.get(f"/v1/complaints/{called.json()['id']}")).text
        assert _leaks(shown) == [] and "0571-8765****" in shown
        contact = (await supervisor.get(f"/v1/complaints/{called.json()['id']}/contact")).json()
        assert contact["mobile"] == "0571 8765 4321"
        queue = (await supervisor.get("/v1/departments/power/queue?status=closed")).text
        assert _leaks(queue) == [] and "139****0987" in queue
        history = (await supervisor.get(f"/v1/complaints/{cid}/history")).text
        assert _leaks(history) == []

        envelopes = await bus_events(app.state.bus)
        assert len(envelopes) > 15
        for envelope in envelopes:
            assert _leaks(envelope.model_dump_json()) == [], envelope.type
        metrics = (await client.get("/metrics")).text
        assert _leaks(metrics) == []

    records = [r.getMessage() + " " + str(r.args) + " " + (r.exc_text or "") for r in caplog.records]
    assert records, "logging was captured"
    assert [r for r in records if _leaks(r)] == []
    for name in ("router.db", "sla.db", "bus.db"):
        for path in tmp_path.glob(name + "*"):
            raw = path.read_bytes()
            for form in FORMS:
                assert form.encode() not in raw, (path.name, form)
    intake_db = b"".join(p.read_bytes() for p in tmp_path.glob("intake.db*"))
    assert ("+86" + MOBILE).encode() in intake_db and ("+86" + LANDLINE[1:]).encode() in intake_db
