"""Open311 GeoReport v2 in detail: the XML has the element names and nesting of the spec, no GET ever carries the
filer's contact data, a partner reads only what it filed, and bad input gets the spec's error list with the field at
fault — status 4xx, never a 500 — and writes nothing."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from services.intake import partners
from services.intake.models import Complaint, PartnerKey
from shared import clock
from tests.support import credit_code

BASE = "/open311/v2"
#: The elements of the spec's answers, in order (GeoReport v2).
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order", "description"]
REQUEST = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
           "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
           "address", "address_id", "zipcode", "lat", "long", "media_url"]
CONTACT = ("周女士", "13812345678", "138****5678", "138 1234 5678", "+8613812345678")


def form(**overrides) -> dict[str, str]:
    fields = {"service_code": "power-supply", "description": "工业园区本周停电四次，没有任何预告，生产线损失严重。",
              "phone": "13812345678", "last_name": "周", "first_name": "女士",
              "attribute[enterprise_name]": "青山县禾丰食品有限公司", "attribute[credit_code]": credit_code(1),
              "attribute[township]": "baisha", "address_string": "白沙镇工业集中区"}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
async def open311(embedded):
    app, client = embedded
    db = app.state.runtimes["intake"].db
    _id, key = await partners.create(db, "市12345平台", 60, clock.now())
    return client, db, key


async def count(db, model=Complaint) -> int:
    async with db.unit_of_work() as uow:
        return await uow.session.scalar(select(func.count()).select_from(model))


def children(element: ElementTree.Element) -> list[str]:
    return [child.tag for child in element]


async def test_the_xml_has_the_structure_of_the_spec(open311):
    client, _db, key = open311
    services = ElementTree.fromstring((await client.get(f"{BASE}/services.xml")).content)
    assert services.tag == "services" and len(services) == 24
    assert all(s.tag == "service" and children(s) == SERVICE for s in services)
    assert services[0].find("metadata").text == "true" and services[0].find("type").text == "realtime"

    definition = ElementTree.fromstring((await client.get(f"{BASE}/services/power-supply.xml")).content)
    assert children(definition) == ["service_code", "attributes"]
    attributes = definition.find("attributes")
    assert {a.tag for a in attributes} == {"attribute"}
    assert all(children(a)[:len(ATTRIBUTE)] == ATTRIBUTE for a in attributes)
    township = next(a for a in attributes if a.find("code").text == "township")
    assert township.find("datatype").text == "singlevaluelist"
    assert [children(v) for v in township.find("values")][0] == ["key", "name"]
    assert "白沙镇" in [v.find("name").text for v in township.find("values")]

    posted = await client.post(f"{BASE}/requests.xml", data=form(api_key=key))
    assert posted.status_code == 201, posted.text
    created = ElementTree.fromstring(posted.content)
    assert created.tag == "service_requests" and children(created) == ["request"]
    assert children(created[0])[:1] == ["service_request_id"]
    assert created[0].find("service_notice").text == "10 日内办结"
    request_id = created[0].find("service_request_id").text

    for url in (f"{BASE}/requests.xml", f"{BASE}/requests/{request_id}.xml"):
        listed = ElementTree.fromstring((await client.get(url, params={"api_key": key})).content)
        assert listed.tag == "service_requests" and [r.tag for r in listed] == ["request"]
        assert children(listed[0])[:len(REQUEST)] == REQUEST
        assert listed[0].find("status").text == "open"
        assert listed[0].find("requested_datetime").text.endswith("+08:00")
    token = ElementTree.fromstring((await client.get(
        f"{BASE}/tokens/{created[0].find('token').text}.xml", params={"api_key": key})).content)
    assert children(token[0]) == ["service_request_id", "token"] and token[0][0].text == request_id


async def test_no_get_carries_contact_data_and_a_partner_reads_only_its_own(open311):
    client, db, key = open311
    posted = (await client.post(f"{BASE}/requests.json", data=form(api_key=key))).json()[0]
    request_id = posted["service_request_id"]
    gets = [f"{BASE}/requests.json", f"{BASE}/requests.xml", f"{BASE}/requests/{request_id}.json",
            f"{BASE}/requests/{request_id}.xml", f"{BASE}/tokens/{posted['token']}.json",
            f"{BASE}/services.json", f"{BASE}/services/power-supply.xml"]
    for url in gets:
        response = await client.get(url, params={"api_key": key})
        assert response.status_code == 200, (url, response.text)
        assert not any(c in response.text for c in CONTACT), url
    shown = (await client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": key})).json()[0]
    assert shown["description"].startswith("工业园区") and shown["service_code"] == "power-supply"
    assert shown["status_notes"] == "诉求已登记" or shown["status_notes"].startswith("已分派")

    _id, other = await partners.create(db, "邻县平台", 60, clock.now())
    for url in gets[2:5]:
        assert (await client.get(url, params={"api_key": other})).status_code == 404
    assert (await client.get(f"{BASE}/requests.json", params={"api_key": other})).json() == []
    history = await client.get(f"/v1/complaints/{request_id}/history",
                               headers={"Authorization": f"Bearer {posted['access_token']}"})
    received = history.json()[0]
    assert received["actor"] == "partner:市12345平台" and received["action"] == "received"


def spec_errors(response) -> list[dict]:
    assert 400 <= response.status_code < 500, response.text
    if response.headers["content-type"].startswith("text/xml"):
        root = ElementTree.fromstring(response.content)
        assert root.tag == "errors" and {e.tag for e in root} == {"error"}
        return [{"code": int(e.find("code").text), "description": e.find("description").text} for e in root]
    errors = json.loads(response.text)
    assert isinstance(errors, list) and errors and all(set(e) == {"code", "description"} for e in errors)
    return errors


BAD_FILINGS = [
    (form(**{"attribute[credit_code]": "913300006000000007"}), "attribute[credit_code]", "校验码"),
    (form(phone=None), "phone", "缺少必填字段"),
    (form(phone="0571-88888888"), "phone", "手机号码"),
    (form(service_code="no-such-thing"), "service_code", "服务类型"),
    (form(description=""), "description", "内容过短"),
    (form(description="停电\u202e四次"), "description", "控制字符"),
    (form(**{"attribute[township]": "火星镇"}), "attribute[township]", "乡镇/街道"),
    (form(**{"attribute[enterprise_name]": None}), "attribute[enterprise_name]", "缺少必填字段"),
    (form(last_name=None, first_name=None), "attribute[contact_name]", "缺少必填字段"),
    (form(colour="red"), "colour", "不允许的字段"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_filings_get_the_spec_errors_with_field_detail_and_write_nothing(open311, fmt):
    client, db, key = open311
    for fields, field, words in BAD_FILINGS:
        response = await client.post(f"{BASE}/requests.{fmt}", data={**fields, "api_key": key})
        errors = spec_errors(response)
        assert response.status_code == 400 and errors[0]["code"] == 400
        assert any(e["description"].startswith(f"{field}: ") and words in e["description"] for e in errors), errors
    refused = [
        (await client.post(f"{BASE}/requests.{fmt}", data=form(api_key="o311_wrong")), 403),
        (await client.post(f"{BASE}/requests.{fmt}", data=form()), 403),
        (await client.post(f"{BASE}/requests.{fmt}", content=b"description=%ff&api_key=" + key.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"}), 400),
        (await client.post(f"{BASE}/requests.{fmt}", data=form(api_key=key, jurisdiction_id="别的县")), 404),
        (await client.post(f"{BASE}/requests.{fmt}", data=form(api_key=key), headers={"Idempotency-Key": " "}), 400),
    ]
    for response, status in refused:
        assert response.status_code == status and spec_errors(response)
    assert await count(db) == 0


async def test_bad_reads_get_the_spec_errors(open311):
    client, _db, key = open311
    for params, field in [({"status": "pending"}, "status"), ({"start_date": "yesterday"}, "start_date"),
                          ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "end_date"),
                          ({"end_date": "1999-01-01T00:00:00"}, "end_date")]:
        response = await client.get(f"{BASE}/requests.json", params={**params, "api_key": key})
        assert response.status_code == 400 and spec_errors(response)[0]["description"].startswith(field)
    for url, status in [(f"{BASE}/requests.json", 403), (f"{BASE}/services.html", 404),
                        (f"{BASE}/services/no-such.xml", 404), (f"{BASE}/requests/nope.json?api_key={key}", 404),
                        (f"{BASE}/tokens/TS1.xml?api_key={key}", 404), (f"{BASE}/anything/else", 404),
                        (f"{BASE}/services.json?jurisdiction_id=x", 404)]:
        response = await client.get(url)
        assert response.status_code == status and spec_errors(response), url


async def test_a_partner_files_at_its_keys_rate_and_a_revoked_key_is_refused(embedded):
    app, client = embedded
    db = app.state.runtimes["intake"].db
    key_id, key = await partners.create(db, "手机App", 1, clock.now())
    assert (await client.post(f"{BASE}/requests.json", data=form(api_key=key))).status_code == 201
    limited = await client.post(f"{BASE}/requests.json", data=form(api_key=key, description="另一件事：电价不合理"))
    assert limited.status_code == 429 and limited.headers["retry-after"] and spec_errors(limited)
    assert await partners.revoke(db, key_id, clock.now())
    assert (await client.get(f"{BASE}/requests.json", params={"api_key": key})).status_code == 403
    assert await count(db) == 1 and await count(db, PartnerKey) == 1


async def test_the_same_idempotency_key_files_once(open311):
    client, db, key = open311
    first = await client.post(f"{BASE}/requests.json", data=form(api_key=key), headers={"Idempotency-Key": "k-1"})
    again = await client.post(f"{BASE}/requests.json", data=form(api_key=key), headers={"Idempotency-Key": "k-1"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    other = await client.post(f"{BASE}/requests.json", data=form(api_key=key, description="电价不合理，收费过高"),
                              headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 400 and "Idempotency-Key" in spec_errors(other)[0]["description"]
    assert await count(db) == 1
