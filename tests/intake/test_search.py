"""Staff search and its export: each filter, what each role finds (only what it may see), paging, field errors, and the
export — refused to handlers (403), and for a supervisor a CSV and a workbook that parse back, without contact data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from services.intake.http.search import COLUMNS
from shared import clock
from shared.calendar import SHANGHAI
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, credit_code

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
TAX = complaint_body("增值税发票迟迟不能领用", "我公司申请增值税专用发票领用已经一个多月，税务局窗口一直说系统审核中，"
                                            "影响正常开票经营，请税务部门尽快办理。",
                     filer={**POWER["filer"], "enterprise_name": "青山县远航物流有限公司", "credit_code": credit_code(2),
                            "contact_name": "钱先生", "mobile": "13900001111"})


async def _file(client: FilerClient, body: dict) -> dict:
    created = (await client.post("/v1/complaints", json=body)).json()
    return await wait_routed(client, created["id"])


@pytest.fixture
async def filed(embedded):
    """Two complaints: the power cut (power) and the invoices (tax), both routed."""
    _, client = embedded
    client = FilerClient(client)
    power, tax = await _file(client, POWER), await _file(client, TAX)
    assert (power["department"], tax["department"]) == ("power", "tax")
    return client, power, tax


async def _search(actor: Actor, expect: int = 200, **body) -> dict:
    response = await actor.client.post("/v1/search", json=body, headers=actor.headers)
    assert response.status_code == expect, response.text
    return response.json()


def _ids(found: dict) -> list[str]:
    return [item["id"] for item in found["items"]]


async def test_each_filter_finds_what_it_names(filed):
    client, power, tax = filed
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    assert _ids(await _search(supervisor)) == [tax["id"], power["id"]]  # newest first
    today = clock.now().astimezone(SHANGHAI).date()
    cases = {
        (power["id"],): [{"tracking_number": power["tracking_number"]},
                         {"tracking_number": power["tracking_number"].lower()},
                         {"credit_code": credit_code(1)}, {"enterprise": "禾丰"}, {"text": "窑炉"}, {"text": "停了四次"},
                         {"department": "power"}, {"department": "power", "status": ["routed"]}],
        (tax["id"],): [{"enterprise": "远航物流"}, {"text": "发票"}, {"department": "tax", "received_to": str(today)}],
        (tax["id"], power["id"]): [{"received_from": str(today), "received_to": str(today)}, {"status": ["routed"]}],
        (): [{"text": "停水"}, {"text": "%"}, {"text": "_"}, {"status": ["closed"]}, {"department": "market"},
             {"received_from": str(today + timedelta(days=1))}, {"received_to": str(today - timedelta(days=1))},
             {"credit_code": credit_code(3)}, {"text": "发票", "department": "power"}],
    }
    for expected, bodies in cases.items():
        for body in bodies:
            assert tuple(_ids(await _search(supervisor, **body))) == expected, body


async def test_each_role_finds_only_what_it_may_see(filed):
    client, power, tax = filed
    power_handler = Actor(client, staff_token("handler", "张三", "power"))
    found = await _search(power_handler)
    assert _ids(found) == [power["id"]]
    assert found["items"][0]["role"] == "lead" and found["items"][0]["mobile"] == "138****5678"
    assert _ids(await _search(power_handler, tracking_number=tax["tracking_number"])) == []
    assert _ids(await _search(Actor(client, staff_token("handler", "赵六", "market")))) == []
    for role in ("dispatcher", "admin"):
        assert _ids(await _search(Actor(client, staff_token(role, "钱七")))) == [tax["id"], power["id"]]
    assert _ids(await _search(Actor(client, staff_token("operator", "话务员01")))) == []  # filed none of them

    # a cooperating department finds it, as read-only
    await power_handler.act(power["id"], "claim")
    await power_handler.act(power["id"], "cooperating", {"department": "market"})
    found = await _search(Actor(client, staff_token("handler", "赵六", "market")))
    assert _ids(found) == [power["id"]] and found["items"][0]["role"] == "cooperating"

    filer = Actor(client, client.tokens[power["id"]])
    assert (await _search(filer, expect=403))["error"] == "forbidden"
    assert (await client.client.post("/v1/search", json={})).status_code == 401


async def test_pages_follow_the_cursor(filed):
    client, power, tax = filed
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    first = await _search(supervisor, limit=1)
    assert _ids(first) == [tax["id"]] and first["next_cursor"]
    second = await _search(supervisor, limit=1, cursor=first["next_cursor"])
    assert _ids(second) == [power["id"]] and second["next_cursor"] is None


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"tracking_number": "TS2026-XYZ"}, "tracking_number", "tracking_number_format"),
    ({"credit_code": "91330000600000000X"}, "credit_code", "credit_code_check_character"),
    ({"credit_code": "9133"}, "credit_code", "credit_code_length"),
    ({"department": "nowhere"}, "department", "department_unknown"),
    ({"status": ["lost"]}, "status", "enum"),
    ({"received_from": "2026-12-05", "received_to": "2026-12-01"}, "received_to", "period_reversed"),
    ({"received_from": "5 December"}, "received_from", "date_from_datetime_parsing"),
    ({"text": "x" * 101}, "text", "string_too_long"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor", "cursor_invalid"),
    ({"limit": 0}, "limit", "greater_than_equal"),
    ({"mobile": "13812345678"}, "mobile", "extra_forbidden"),  # contact data is no search key
])
async def test_bad_filters_are_field_errors(filed, body, field, code):
    client, _, _ = filed
    found = await _search(Actor(client, staff_token("supervisor", "王督办")), expect=422, **body)
    assert [(e["field"].split(".")[0], e["code"]) for e in found["errors"]][:1] == [(field, code)], found
    assert found["errors"][0]["message_zh"]


async def _export(actor: Actor, fmt: str, expect: int = 200, **body):
    response = await actor.client.post(f"/v1/search/export?format={fmt}", json=body, headers=actor.headers)
    assert response.status_code == expect, response.text
    return response


async def test_handlers_and_dispatchers_may_not_export(filed):
    client, _, _ = filed
    for token in (staff_token("handler", "张三", "power"), staff_token("dispatcher", "钱七"),
                  staff_token("operator", "话务员01")):
        for fmt in ("csv", "xlsx"):
            refused = await _export(Actor(client, token), fmt, expect=403)
            assert refused.json()["error"] == "forbidden" and refused.json()["message_zh"]


async def test_a_supervisor_exports_csv_and_xlsx_without_contact_data(filed):
    client, power, tax = filed
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    headings = [h for h, _ in COLUMNS]

    response = await _export(supervisor, "csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Chinese as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == headings
    assert [r[0] for r in rows[1:]] == [tax["tracking_number"], power["tracking_number"]]
    by_heading = dict(zip(headings, rows[2]))
    assert by_heading["标题"] == "一周停了四次电" and by_heading["承办部门"].endswith("供电局")
    assert by_heading["状态"] == "已分派" and by_heading["统一社会信用代码"] == credit_code(1)

    workbook = load_workbook(io.BytesIO((await _export(supervisor, "xlsx", enterprise="远航")).content))
    sheet = workbook.active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert list(values[0]) == headings and len(values) == 2
    assert values[1][0] == tax["tracking_number"] and values[1][2] == "青山县远航物流有限公司"

    for fmt in ("csv", "xlsx"):
        content = (await _export(supervisor, fmt)).content
        text = content.decode("utf-8-sig") if fmt == "csv" else str(
            [row for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)])
        for secret in ("13812345678", "138****5678", "5678", "周女士", "13900001111", "钱先生"):
            assert secret not in text, (fmt, secret)


async def test_a_title_never_becomes_a_formula(embedded):
    _, client = embedded
    client = FilerClient(client)
    body = complaint_body("=HYPERLINK(\"http://example.invalid\",\"点此\")")
    await _file(client, body)
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    rows = list(csv.reader(io.StringIO((await _export(supervisor, "csv")).content.decode("utf-8-sig"))))
    assert rows[1][1].startswith("'=")
    sheet = load_workbook(io.BytesIO((await _export(supervisor, "xlsx")).content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
