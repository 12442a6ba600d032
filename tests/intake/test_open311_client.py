"""A partner system drives Open311 with a maintained client from PyPI (``georeport`` 0.3.1) against the product
running under uvicorn: it lists the services, reads a definition, files with a valid and with an invalid key (the
client reads but does not file, so filing is the spec's form POST with ``requests``, the client's own HTTP library),
reads the request back and follows it through routing to ``closed`` after the department's answer and the filer's
rating. The partner's key comes from the command line, and never reaches the access log."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import georeport.georeport
import httpx
import pytest
import requests
from georeport import GeoReport

from tests.conftest import embedded_settings
from tests.intake.helpers import bearer, staff_token
from tests.support import ROOT, Server, credit_code

TEXT = "白沙镇工业集中区的陶瓷厂，这周已经停电四次，没有任何预告，窑炉突然断电，损失好几万，请供电公司尽快处理。"


def partner_key(tmp, name: str) -> str:
    """``python -m services.intake.partners create`` as the README runs it; the key is its ``api_key`` line."""
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/{{service}}.db"}
    out = subprocess.run([sys.executable, "-m", "services.intake.partners", "create", "--name", name, "--rate", "30"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.split("\t", 1) for line in out.splitlines())["api_key"]


def act(server: Server, token: str, complaint_id: str, action: str, body: dict | None = None) -> dict:
    with httpx.Client(base_url=server.url, headers=bearer(token)) as client:
        etag = client.get(f"/v1/complaints/{complaint_id}").headers["etag"]
        response = client.post(f"/v1/complaints/{complaint_id}/{action}", json=body, headers={"If-Match": etag})
        assert response.status_code == 200, response.text
        return response.json()


def test_a_partner_files_and_follows_a_complaint_with_an_open311_client(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    with Server(embedded_settings(tmp_path), log_level="info", log_config=None) as server:
        key = partner_key(tmp_path, "市12345平台")
        client = GeoReport(f"{server.url}/open311/v2", jurisdiction="青山县", api_key=key)

        services = client.get_service_list()
        assert {"power-supply", "center-finance-lending", "tax-tax"} <= {s["service_code"] for s in services}
        power = next(s for s in services if s["service_code"] == "power-supply")
        assert power["group"] == "青山县供电局"
        assert power["metadata"] is True
        definition = client.get_service_definition("power-supply")
        assert [a["code"] for a in definition["attributes"] if a["required"]] == ["enterprise_name", "credit_code"]

        filing = {"jurisdiction_id": client.jurisdiction, "service_code": "power-supply", "description": TEXT,
                  "phone": "13812345678", "last_name": "王", "first_name": "先生",
                  "attribute[enterprise_name]": "青山县白沙陶瓷厂", "attribute[credit_code]": credit_code(3),
                  "attribute[township]": "baisha"}
        refused = requests.post(f"{client.root_address}/requests.json", data={**filing, "api_key": "o311_forged"})
        assert refused.status_code == 403 and refused.json()[0]["code"] == 403
        filed = requests.post(f"{client.root_address}/requests.json", data={**filing, "api_key": client.api_key})
        assert filed.status_code == 201, filed.text
        created = filed.json()[0]
        request_id, access_token = created["service_request_id"], created["access_token"]

        session = requests.Session()  # the client's reads carry the key, as a jurisdiction may require
        session.params = {"api_key": key}
        monkeypatch.setattr(georeport.georeport, "requests", session)
        read = client.get_service_request(request_id)
        assert read["service_request_id"] == request_id and read["status"] == "open"
        assert read["requested_datetime"].endswith("+08:00")

        routed = _eventually(lambda: client.get_service_request(request_id), lambda r: r["expected_datetime"])
        assert routed["agency_responsible"] and routed["service_notice"] == "10 日内办结"
        department = httpx.get(f"{server.url}/v1/complaints/{request_id}", headers=bearer(access_token)).json()
        handler = staff_token("handler", "张三", department["department"])
        for action, body in [("claim", None), ("accept", None), ("answer", {"text": "已排查线路，更换变压器。"})]:
            act(server, handler, request_id, action, body)
        assert client.get_service_request(request_id)["status"] == "open"
        act(server, access_token, request_id, "rating", {"rating": "满意"})
        closed = client.get_service_request(request_id)
        assert closed["status"] == "closed" and closed["extended_status"] == "closed"
        assert closed["status_notes"] == "诉求已办结"
        assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [request_id]
        assert client.get_service_requests(status="open") == []
        xml_client = GeoReport(client.root_address, jurisdiction="青山县", output_format="xml")
        assert xml_client.get_service_request(request_id)["status"] == "closed"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/open311/v2/requests" in logged and key not in logged and "13812345678" not in logged


def _eventually(read, ready, attempts: int = 200):
    import time

    for _ in range(attempts):
        found = read()
        if ready(found):
            return found
        time.sleep(0.1)
    pytest.fail(f"not routed: {found}")
