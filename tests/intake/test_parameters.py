"""Parameters from outside never cause a 500: instants without an offset are Asia/Shanghai time, out-of-range ones
are field errors, and a body over the limit is 413 however it is sent (with a length or chunked)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.calendar import SHANGHAI
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import FilerClient, bearer, staff_token
from tests.intake.test_filing import counts
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body

POWER = complaint_body("一周停了四次电", "我厂本周已经停电四次，没有任何预告，窑炉突然断电，请供电公司查明原因。")


@pytest.mark.parametrize("queue", ["queue", "cooperating"])
async def test_instants_without_offset_are_local_and_out_of_range_ones_are_field_errors(embedded, queue):
    _app, raw = embedded
    client = FilerClient(raw)
    cid = (await client.post("/v1/complaints", json=POWER)).json()["id"]
    await wait_routed(client, cid)
    supervisor = bearer(staff_token("supervisor", "王督办"))
    url = f"/v1/departments/power/{queue}"
    for value in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1999-12-31", "not-a-time"):
        refused = await client.get(url, params={"due_before": value}, headers=supervisor)
        assert refused.status_code == 422, (value, refused.text)
        assert refused.json()["errors"][0]["field"] == "due_before"
        assert refused.json()["errors"][0]["message_zh"]
    for value in ("2026-12-20", "2026-12-20T08:00:00", "2026-12-20T08:00:00+08:00"):
        assert (await client.get(url, params={"due_before": value}, headers=supervisor)).status_code == 200, value


async def test_a_local_instant_means_shanghai_time(embedded):
    _app, raw = embedded
    client = FilerClient(raw)
    cid = (await client.post("/v1/complaints", json=POWER)).json()["id"]
    due = datetime.fromisoformat((await wait_routed(client, cid))["due_at"]).astimezone(SHANGHAI)
    supervisor = bearer(staff_token("supervisor", "王督办"))
    url = "/v1/departments/power/queue"
    naive_after = (due.replace(tzinfo=None).isoformat(timespec="seconds"))
    # due at local midnight: "due before" that local instant excludes it, one second later includes it
    before = await client.get(url, params={"due_before": naive_after}, headers=supervisor)
    later = due.replace(tzinfo=None, second=1).isoformat(timespec="seconds")
    after = await client.get(url, params={"due_before": later}, headers=supervisor)
    assert [i["id"] for i in before.json()["items"]] == []
    assert [i["id"] for i in after.json()["items"]] == [cid]


async def test_a_chunked_body_over_the_limit_is_413_and_saves_nothing(tmp_path):
    async with running_app(embedded_settings(tmp_path)) as (app, client):
        payload = ('{"title": "t", "text": "' + "字" * 40_000 + '"}').encode()

        async def chunks():
            for start in range(0, len(payload), 8_192):
                yield payload[start:start + 8_192]

        response = await client.post("/v1/complaints", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["errors"][0]["field"] == "body"
        assert await counts(app) == (0, 0, 0)
