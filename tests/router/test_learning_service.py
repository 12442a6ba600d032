"""Learning from people's corrections in the running product: a dispatcher places a triaged complaint by hand, the
router stores the correction, and after a restart it places a similar complaint the same way — while a product that
never saw the correction still sends it to triage."""

from __future__ import annotations

from sqlalchemy import select

from services.router.models import Correction
from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.support import complaint_body, eventually

# A railing at the park's gate: the lexicon knows no owner for it (street lights would be urban management's).
FIRST = complaint_body("园区门口的桥栏杆断了", "新兴镇园区门口那座小桥的栏杆断了一个多月，晚上下班员工走路很危险，希望尽快修好。")
LATER = {"title": "园区门口的栏杆还没修", "text": "新兴镇园区门口那座小桥的栏杆断了快两个月了，晚上员工下班走路很危险，请尽快修好。"}


def token(app, **claims) -> dict[str, str]:
    secret = app.state.runtimes["intake"].components["settings"].auth_secret
    return {"Authorization": f"Bearer {issue_token(secret, **claims)}"}


async def classify(client) -> dict:
    response = await client.post("/v1/classify", json=LATER)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_dispatchers_placement_is_learned_and_survives_a_restart(tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    async with running_app(embedded_settings(fresh)) as (_, client):
        before = await classify(client)
    assert before["triage"] is True

    data = tmp_path / "county"
    data.mkdir()
    async with running_app(embedded_settings(data)) as (app, client):
        created = (await client.post("/v1/complaints", json=FIRST)).json()
        dispatcher = token(app, role="dispatcher", name="李四")

        async def in_triage():
            view = await client.get(f"/v1/complaints/{created['id']}", headers=dispatcher)
            return view if view.json()["status"] == "triage" else None

        view = await eventually(in_triage)
        response = await client.post(
            f"/v1/complaints/{created['id']}/dispatch",
            headers={**dispatcher, "If-Match": view.headers["etag"]},
            json={"department": "township", "township": "新兴镇", "financial_service": False, "also": []},
        )
        assert response.status_code == 200, response.text

        router_db = app.state.runtimes["router"].db

        async def stored():
            async with router_db.unit_of_work() as uow:
                return (await uow.session.scalars(select(Correction))).all()

        corrections = await eventually(stored)
        assert [(c.department, c.township, c.source) for c in corrections] == [("township", "新兴镇", "dispatch")]

    async with running_app(embedded_settings(data)) as (_, client):  # a restart: the classifier is loaded anew
        after = await classify(client)
    assert (after["department"], after["township"], after["triage"]) == ("township", "新兴镇", False)
    assert any("memory" in entry for entry in after["explanation"])
