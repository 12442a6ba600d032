"""The dashboard over HTTP on the whole product (embedded default): login, roles, the JSON endpoints, the
projection following real filings — and no contact data anywhere."""

from __future__ import annotations

import re

from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.support import complaint_body, eventually

MOBILE = re.compile(r"1[3-9]\d{9}")


async def test_login_roles_and_endpoints(tmp_path):
    settings = embedded_settings(tmp_path)
    supervisor = issue_token(settings.auth_secret, role="supervisor", name="王督办")
    handler = issue_token(settings.auth_secret, role="handler", name="张三", department="power")
    async with running_app(settings) as (app, client):
        assert (await client.get("/dashboard")).status_code == 303
        assert (await client.get("/dashboard/api/summary")).status_code == 401
        assert (await client.get("/dashboard/api/summary",
                                 headers={"Authorization": f"Bearer {handler}"})).status_code == 403
        denied = await client.post("/dashboard/login", content=f"token={handler}",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert denied.status_code == 403 and "dashboard" not in denied.cookies.keys()
        bad = await client.post("/dashboard/login", content="token=nonsense",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert bad.status_code == 401

        created = await client.post("/v1/complaints", json=complaint_body())
        assert created.status_code == 201, created.text
        cid = created.json()["id"]

        login = await client.post("/dashboard/login", content=f"token={supervisor}",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert login.status_code == 303 and login.headers["location"] == "/dashboard"
        assert "httponly" in login.headers["set-cookie"].lower()

        async def projected():
            detail = await client.get(f"/dashboard/api/complaints/{cid}")
            return detail.status_code == 200 and "clock_opened" in [e["kind"] for e in detail.json()["timeline"]]

        await eventually(projected)
        summary = (await client.get("/dashboard/api/summary")).json()
        assert summary["total"]["received"] == 1 and summary["total"]["open"] == 1
        power = next(d for d in summary["departments"] if d["department"] == "power")
        assert power["received"] == 1 and power["display"]["on_time_rate"] == "—"

        page = await client.get("/dashboard")
        assert page.status_code == 200 and "按时办结率" in page.text and "回访满意率" in page.text
        assert not MOBILE.search(page.text)

        detail = await client.get(f"/dashboard/api/complaints/{cid}")
        assert detail.status_code == 200
        assert [e["kind"] for e in detail.json()["timeline"]][:2] == ["received", "routed"]
        assert not MOBILE.search(detail.text)
        assert (await client.get("/dashboard/api/trend")).status_code == 200
        assert (await client.get("/dashboard/api/overdue")).json() == []
        assert (await client.get("/dashboard/api/summary?from=2026-13-01")).status_code == 422
        assert (await client.get("/dashboard/api/summary?policy=nope")).status_code == 422

        metrics = (await client.get("/metrics")).text
        assert "complaints_sla_open_clocks" in metrics
