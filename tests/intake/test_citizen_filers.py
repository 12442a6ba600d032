"""Citizen (个人) and anonymous (匿名) filers: the identity number is checked (GB 11643) and shown whole only by the
audited contact read; an anonymous complaint is the hotline operator's, with no contact at all; a citizen's repeat is
linked like an enterprise's; a citizen's bank complaint gets the standard limit, an enterprise's the 5 working days
of guide §8.3; the filer's kind travels in ``complaint.received``."""

from __future__ import annotations

from datetime import datetime

from shared.calendar import WorkingCalendar
from services.sla.domain.deadlines import due_instant
from tests.intake.helpers import Actor, FilerClient, bearer, staff_token
from tests.pipeline.helpers import bus_events, wait_routed
from tests.support import complaint_body

ID_NUMBER = "11010519491231002X"
CITIZEN = {"kind": "individual", "name": "李秀英", "mobile": "13912345678", "id_number": ID_NUMBER}
LOAN_TITLE, LOAN_TEXT = "农商行续贷突然加条件", ("我在县农商行有一笔流动资金贷款下月到期，客户经理原先答复可以无还本续贷，"
                                                  "现在银行突然要求追加抵押并提高保证金，否则到期收回贷款。")


def citizen_body(title: str = "一周停了四次电", text: str | None = None, **filer) -> dict:
    return complaint_body(title, text, filer={**CITIZEN, **filer})


async def test_the_identity_number_is_checked_field_by_field(embedded):
    _, client = embedded
    for bad, code in (("110105194912310021", "id_number_check_character"), ("1101051949123100", "id_number_length"),
                      ("110105194913310021", "id_number_format")):
        refused = await client.post("/v1/complaints", json=citizen_body(id_number=bad))
        assert refused.status_code == 422, refused.text
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("filer.id_number", code)]
    missing = await client.post("/v1/complaints", json=complaint_body(filer={"kind": "individual", "name": "李秀英"}))
    assert [e["field"] for e in missing.json()["errors"]] == ["filer.mobile"]
    unknown = await client.post("/v1/complaints", json=complaint_body(filer={"kind": "robot"}))
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("filer", "filer_kind")]
    mixed = await client.post("/v1/complaints", json=citizen_body(credit_code="913300006000000008"))
    assert [e["field"] for e in mixed.json()["errors"]] == ["filer.credit_code"]  # no enterprise field on a citizen
    without = await client.post("/v1/complaints", json=citizen_body(id_number=None))
    assert without.status_code == 201, without.text


async def test_the_identity_number_is_masked_everywhere_but_the_audited_read(embedded):
    app, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=citizen_body(id_number=ID_NUMBER.lower()))).json()
    cid = created["id"]
    view = await wait_routed(client, cid)
    assert view["filer"] == {"kind": "individual", "kind_zh": "个人", "mobile": "139****5678",
                             "id_number": "1****************X"}
    handler = Actor(client, staff_token("handler", "张三", view["department"]))
    queue = (await handler.get(f"/v1/departments/{view['department']}/queue")).json()["items"]
    assert [(i["filer_kind"], i["enterprise_name"], i["mobile"]) for i in queue] == [
        ("individual", None, "139****5678")]
    await handler.act(cid, "claim")
    shown = (await handler.get(f"/v1/complaints/{cid}")).json()
    assert shown["filer"]["id_number"] == "1****************X"
    contact = (await handler.get(f"/v1/complaints/{cid}/contact")).json()
    assert contact == {"contact_name": "李秀英", "mobile": "139 1234 5678", "id_number": ID_NUMBER}
    history = (await handler.get(f"/v1/complaints/{cid}/history")).json()
    assert history[-1]["action"] == "contact_viewed"
    elsewhere = Actor(client, staff_token("handler", "王五", "market"))
    assert (await elsewhere.get(f"/v1/complaints/{cid}/contact")).status_code == 404
    for where in (await bus_events(app.state.bus), queue, history, shown):
        assert ID_NUMBER not in str(where) and "13912345678" not in str(where) and "李秀英" not in str(where)
    received = next(e for e in await bus_events(app.state.bus)
                    if e.subject == cid and e.type.endswith("complaint.received.v1"))
    assert received.data["filer_kind"] == "individual" and received.data["enterprise_name"] is None


async def test_an_anonymous_complaint_is_filed_by_a_hotline_operator_only(embedded):
    _, client = embedded
    anonymous = complaint_body(channel="hotline", filer={"kind": "anonymous"})
    public = await client.post("/v1/complaints", json={**anonymous, "channel": "web"})
    assert [(e["field"], e["code"]) for e in public.json()["errors"]] == [("filer", "anonymous_requires_hotline")]
    assert (await client.post("/v1/complaints", json=anonymous)).status_code == 422  # hotline needs an operator
    with_contact = complaint_body(channel="hotline", filer={"kind": "anonymous", "name": "张三"})
    operator = bearer(staff_token("operator", "话务员01"))
    assert (await client.post("/v1/complaints", json=with_contact, headers=operator)).status_code == 422

    filed = await client.post("/v1/complaints", json=anonymous, headers=operator)
    assert filed.status_code == 201, filed.text
    created = filed.json()
    caller = Actor(client, created["access_token"])  # told to the caller with the tracking number
    seen = (await caller.get(f"/v1/complaints/{created['id']}")).json()
    assert seen["tracking_number"] == created["tracking_number"]
    assert seen["filer"] == {"kind": "anonymous", "kind_zh": "匿名", "mobile": None}
    view = await wait_routed(caller, created["id"])
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    assert (await supervisor.get(f"/v1/complaints/{created['id']}/contact")).status_code == 404
    assert view["status"] in {"routed", "triage"}


async def test_a_citizens_repeat_is_linked_and_an_anonymous_complaint_never_is(embedded):
    _, client = embedded
    operator = bearer(staff_token("operator", "话务员01"))
    first = (await client.post("/v1/complaints", json=citizen_body())).json()
    again = (await client.post("/v1/complaints", json=citizen_body(name="李女士", id_number=None))).json()
    other = (await client.post("/v1/complaints", json=citizen_body(mobile="13712345678"))).json()
    assert again["duplicate_of"] == first["id"]  # the same number
    assert other["duplicate_of"] is None
    anonymous = complaint_body(channel="hotline", filer={"kind": "anonymous"})
    filed = [(await client.post("/v1/complaints", json=anonymous, headers=operator)).json() for _ in range(2)]
    assert [f["duplicate_of"] for f in filed] == [None, None]


async def test_a_citizens_bank_complaint_gets_the_standard_limit(embedded):
    _, client = embedded
    client = FilerClient(client)
    firm = (await client.post("/v1/complaints", json=complaint_body(LOAN_TITLE, LOAN_TEXT))).json()
    citizen = (await client.post("/v1/complaints", json=citizen_body(LOAN_TITLE, LOAN_TEXT))).json()
    calendar = WorkingCalendar.load()
    firm_view, citizen_view = await wait_routed(client, firm["id"]), await wait_routed(client, citizen["id"])
    assert firm_view["department"] == citizen_view["department"] == "center"
    assert firm_view["financial_service"] is citizen_view["financial_service"] is True
    assert (firm_view["sla_policy"], citizen_view["sla_policy"]) == ("financial_service", "standard")
    for created, view, limit, unit in ((firm, firm_view, 5, "working_days"),
                                       (citizen, citizen_view, 10, "calendar_days")):
        received = datetime.fromisoformat(created["received_at"])
        assert datetime.fromisoformat(view["due_at"]) == due_instant(received, limit, unit, calendar).due_at


async def test_an_enterprise_named_as_such_files_the_same_body_as_before(embedded):
    _, client = embedded
    key = {"Idempotency-Key": "same-enterprise-body"}
    first = await client.post("/v1/complaints", json=complaint_body(), headers=key)
    body = complaint_body()
    again = await client.post("/v1/complaints", json={**body, "filer": {"kind": "enterprise", **body["filer"]}},
                              headers=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_the_workbench_shows_a_citizen_as_such_and_the_identity_number_only_on_the_audited_page(embedded):
    from tests.workbench.helpers import Desk

    app, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=citizen_body())).json()
    view = await wait_routed(client, created["id"])
    desk = Desk(app)
    try:
        queue = await desk.login(staff_token("handler", "张三", view["department"]))
        assert f"{created['tracking_number']} · 个人" in queue.text
        page = (await desk.get(f"/workbench/complaints/{created['id']}")).text
        assert "个人" in page and "1****************X" in page and ID_NUMBER not in page and "李秀英" not in page
        contact = (await desk.get(f"/workbench/complaints/{created['id']}/contact")).text
        assert ID_NUMBER in contact and "李秀英" in contact
    finally:
        await desk.close()
