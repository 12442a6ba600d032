"""Townships as their own queues: a township handler's token names its 乡镇/街道 of the gazetteer (and only a township
handler's does); the complaint records the township the router's decision or the dispatch placed it with; a township
handler reads, queues and finds its township's complaints only — another township's is a 404 — and a dispatch to the
township department must name a township of the gazetteer."""

from __future__ import annotations

import pytest

from services.intake.domain.access import Relation, complaint_township, relation
from services.intake.models import Complaint
from shared.auth import InvalidToken, Principal, Role, issue_token, main, verify_token
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.pipeline.helpers import wait_routed
from tests.support import AUTH_SECRET, complaint_body, eventually

VAGUE = complaint_body("有个问题想反映", "我们公司遇到一些困难，希望政府能帮忙协调解决一下，具体情况电话里说。")
DONGCHENG = complaint_body("街道办乱检查", "东城街道办事处一个月来我店检查五次，每次都要求整改，影响经营。")


# --- the token ------------------------------------------------------------------------------------------------------


def test_a_township_handler_token_carries_its_township():
    principal = verify_token(AUTH_SECRET, staff_token("handler", "赵六", "township", township="baisha"))
    assert (principal.township, principal.township_name) == ("baisha", "白沙镇")
    assert verify_token(AUTH_SECRET, staff_token("handler", "张三", "power")).township is None


@pytest.mark.parametrize(("role", "department", "township"), [
    ("handler", "township", None),  # a township handler needs its township
    ("handler", "township", "atlantis"),  # not in the gazetteer
    ("handler", "township", "白沙镇"),  # the token carries the id
    ("handler", "power", "baisha"),  # other departments have no township
    ("supervisor", None, "baisha"),
])
def test_tokens_with_an_impossible_township_are_neither_issued_nor_accepted(role, department, township):
    with pytest.raises(ValueError):
        issue_token(AUTH_SECRET, role=role, name="赵六", department=department, township=township)
    import jwt

    claims = {"iss": "complaintline", "sub": "赵六", "role": role, "exp": 4102444800}
    claims |= {"department": department} if department else {}
    claims |= {"township": township} if township else {}
    with pytest.raises(InvalidToken):
        verify_token(AUTH_SECRET, jwt.encode(claims, AUTH_SECRET, algorithm="HS256"))


def test_the_issue_command_takes_the_township_by_id_or_name(capsys):
    for given in ("baisha", "白沙镇"):
        assert main(["issue", "--role", "handler", "--department", "township", "--township", given,
                     "--name", "赵六"]) == 0
        token = capsys.readouterr().out.strip()
        assert verify_token(AUTH_SECRET, token).township == "baisha"
    assert main(["issue", "--role", "handler", "--department", "township", "--township", "火星镇",
                 "--name", "赵六"]) == 2
    assert "火星镇" in capsys.readouterr().err
    assert main(["issue", "--role", "handler", "--department", "township", "--name", "赵六"]) == 2
    assert main(["issue", "--role", "handler", "--department", "power", "--township", "baisha",
                 "--name", "张三"]) == 2


def test_the_rule_reads_the_placed_township_before_the_filed_one():
    def complaint(**values) -> Complaint:
        return Complaint(id="c", tracking_number="t", title="t", text="t", channel="api", enterprise_name="e",
                         credit_code="c", status="routed", department="township", received_at=None,
                         updated_at=None, **values)

    baisha = Principal(name="赵六", role=Role.handler, department="township", township="baisha")
    assert relation(baisha, complaint(assigned_township="白沙镇", township="石桥镇"), ()) is Relation.lead
    assert relation(baisha, complaint(assigned_township="石桥镇", township="白沙镇"), ()) is None
    assert relation(baisha, complaint(township="白沙镇"), ()) is Relation.lead
    assert relation(baisha, complaint(), ()) is None
    assert complaint_township(complaint(township="白沙镇")) == "白沙镇"
    cooperating = complaint(assigned_township=None, township="白沙镇")
    cooperating.department = "power"
    assert relation(baisha, cooperating, ("township",)) is Relation.cooperating
    cooperating.township = "石桥镇"
    assert relation(baisha, cooperating, ("township",)) is None


# --- through the API ------------------------------------------------------------------------------------------------


@pytest.fixture
async def client(embedded):
    _, client = embedded
    return FilerClient(client)


async def _search(actor: Actor) -> list[str]:
    response = await actor.client.post("/v1/search", json={}, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def _queue(actor: Actor) -> list[str]:
    response = await actor.get("/v1/departments/township/queue")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_a_dispatch_to_the_township_department_names_a_township_of_the_gazetteer(client):
    cid = (await client.post("/v1/complaints", json=VAGUE)).json()["id"]
    assert (await wait_routed(client, cid))["status"] == "triage"
    dispatcher = Actor(client, staff_token("dispatcher", "钱七"))
    etag = await dispatcher.version(cid)
    for body, code in (({"department": "township"}, "township_required"),
                       ({"department": "township", "township": "  "}, "township_required"),
                       ({"department": "township", "township": "火星镇"}, "township_unknown")):
        refused = await dispatcher.act(cid, "dispatch", body, etag=etag, expect=422)
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("township", code)]
        assert await dispatcher.version(cid) == etag  # nothing changed

    await dispatcher.act(cid, "dispatch", {"department": "township", "township": "白沙镇"}, etag=etag)

    async def placed():
        shown = (await dispatcher.get(f"/v1/complaints/{cid}")).json()
        return shown if shown["status"] == "routed" else None

    shown = await eventually(placed)
    assert (shown["department"], shown["township"]) == ("township", "白沙镇")

    baisha = Actor(client, staff_token("handler", "赵六", "township", township="baisha"))
    shiqiao = Actor(client, staff_token("handler", "孙八", "township", township="shiqiao"))
    assert (await baisha.get(f"/v1/complaints/{cid}")).status_code == 200
    assert await _queue(baisha) == [cid] and await _search(baisha) == [cid]
    for url in (f"/v1/complaints/{cid}", f"/v1/complaints/{cid}/history", f"/v1/complaints/{cid}/contact"):
        assert (await shiqiao.get(url)).status_code == 404, url
    assert await _queue(shiqiao) == [] and await _search(shiqiao) == []
    assert (await shiqiao.act(cid, "claim", etag=await baisha.version(cid), expect=404)).json()["error"] == \
        "not_found"
    await baisha.act(cid, "claim")
    assert await _queue(Actor(client, staff_token("supervisor", "王督办"))) == [cid]


async def test_the_router_places_a_complaint_with_the_township_it_names(client):
    created = (await client.post("/v1/complaints", json=DONGCHENG)).json()
    shown = await wait_routed(client, created["id"])
    assert (shown["department"], shown["township"]) == ("township", "东城街道")
    dongcheng = Actor(client, staff_token("handler", "赵六", "township", township="dongcheng"))
    hexi = Actor(client, staff_token("handler", "孙八", "township", township="hexi"))
    assert await _queue(dongcheng) == [created["id"]] and await _queue(hexi) == []
    assert (await hexi.get(f"/v1/complaints/{created['id']}")).status_code == 404
