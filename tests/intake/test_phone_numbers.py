"""The filer's number: a hotline caller may leave a landline with its area code (an operator calls back), every other
filing needs a mobile (the filer is told by SMS); numbers are shown in the national format, masked in lists and views
(138****5678, 0571-8888****) and whole only to those who may read the contact."""

from __future__ import annotations

import pytest

from tests.intake.helpers import Actor, FilerClient, bearer, staff_token
from tests.intake.test_filing import counts
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
OPERATOR_TOKEN = staff_token("operator", "话务员01")
OPERATOR = bearer(OPERATOR_TOKEN)


def _calling_from(number: str, channel: str = "hotline") -> dict:
    return {**POWER, "channel": channel, "filer": {**POWER["filer"], "mobile": number}}


@pytest.mark.parametrize(("number", "shown", "masked"), [
    pytest.param("0571-88888888", "0571 8888 8888", "0571-8888****", id="hangzhou"),
    pytest.param("(010) 6552 9988", "010 6552 9988", "010-6552****", id="beijing"),
    pytest.param("+86 138 1234 5678", "138 1234 5678", "138****5678", id="mobile"),
])
async def test_a_hotline_caller_leaves_a_mobile_or_a_landline(embedded, number, shown, masked):
    _, client = embedded
    client = FilerClient(client)
    filed = await client.post("/v1/complaints", json=_calling_from(number), headers=OPERATOR)
    assert filed.status_code == 201, filed.text
    cid = filed.json()["id"]
    await wait_routed(client, cid)
    handler = Actor(client, staff_token("handler", "张三", "power"))
    assert (await handler.get(f"/v1/complaints/{cid}")).json()["filer"]["mobile"] == masked
    assert (await Actor(client, OPERATOR_TOKEN).get(f"/v1/complaints/{cid}")).json()["filer"]["mobile"] == masked
    [row] = (await handler.get("/v1/departments/power/queue")).json()["items"]
    assert row["mobile"] == masked
    assert (await handler.get(f"/v1/complaints/{cid}/contact")).json()["mobile"] == shown


@pytest.mark.parametrize(("number", "channel"), [
    pytest.param("88888888", "hotline", id="landline-without-area-code"),
    pytest.param("4008001234", "hotline", id="service-number"),
    pytest.param("12345", "hotline", id="not-a-number"),
    pytest.param("0571-88888888", "api", id="landline-on-api"),
    pytest.param("0571-88888888", "web", id="landline-on-web"),
    pytest.param("0571-88888888", "app", id="landline-on-app"),
])
async def test_a_number_nobody_can_reach_is_refused(embedded, number, channel):
    app, client = embedded
    headers = OPERATOR if channel == "hotline" else {}
    response = await client.post("/v1/complaints", json=_calling_from(number, channel), headers=headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("filer.mobile", "mobile_invalid")
    assert error["message_zh"]
    assert await counts(app) == (0, 0, 0)


async def test_refusing_a_landline_off_the_hotline_says_why(embedded):
    _, client = embedded
    [error] = (await client.post("/v1/complaints", json=_calling_from("0571-88888888", "web"))).json()["errors"]
    assert "SMS" in error["message"] and "短信" in error["message_zh"]
