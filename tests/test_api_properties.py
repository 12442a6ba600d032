"""The whole API under generated input (schemathesis over the OpenAPI document), without a token and with a staff
token: no answer is a 5xx, and every answer's status is one the document declares for that operation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.conftest import embedded_settings
from tests.support import Server
from tests.intake.helpers import staff_token

#: Examples per operation and caller: enough to reach every parameter's edges, small enough for CI.
EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance]


def _document() -> dict:
    """The OpenAPI document of the whole product, as the running app serves it (building the app starts nothing)."""
    from services.standalone import build_app

    return build_app(embedded_settings(Path(tempfile.mkdtemp(prefix="api-document-")))).openapi()


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api-properties")
    with Server(embedded_settings(tmp, filing_rate_per_minute=0)) as server:
        yield f"http://127.0.0.1:{server.port}"

_generated = settings(max_examples=EXAMPLES, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                             HealthCheck.function_scoped_fixture])


@schema.exclude(path="/v1/complaints", method="POST").parametrize()
@_generated
def test_no_request_without_a_token_fails_the_server_or_the_document(case, base_url):
    response = case.call(base_url=base_url, timeout=30)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@_generated
def test_no_request_with_a_supervisors_token_fails_the_server_or_the_document(case, base_url):
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {staff_token('supervisor', '督办甲')}"}, timeout=30)
    case.validate_response(response, checks=CHECKS)


@schema.include(path="/v1/complaints", method="POST").parametrize()
@_generated
def test_public_filing_under_generated_bodies(case, base_url):
    response = case.call(base_url=base_url, timeout=30)
    case.validate_response(response, checks=CHECKS)


def test_the_document_tells_clients_what_the_server_checks():
    document = _document()
    filer = document["components"]["schemas"]["FilerIn"]["properties"]
    assert filer["credit_code"]["pattern"] and filer["mobile"]["pattern"]
    queue = document["paths"]["/v1/departments/{department_id}/queue"]["get"]
    params = {p["name"]: p["schema"] for p in queue["parameters"]}
    assert "awaiting_info" in params["status"]["anyOf"][0]["items"]["pattern"]
    assert params["cursor"]["anyOf"][0]["pattern"]
    claim = document["paths"]["/v1/complaints/{complaint_id}/claim"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "412", "413", "422", "428", "503"} <= set(claim)
    problem = {"$ref": "#/components/schemas/Problem"}
    assert all(claim[s]["content"]["application/json"]["schema"] == problem for s in claim if s != "200")
    filing = document["paths"]["/v1/complaints"]["post"]["responses"]
    assert {"201", "400", "401", "413", "422", "429", "503"} <= set(filing)
