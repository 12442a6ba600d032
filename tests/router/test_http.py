"""POST /v1/classify: ranked departments with an explanation, exclusion of returning departments, field errors."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.router.http import router
from shared import problems


@pytest.fixture
def client(classifier):
    app = FastAPI()
    problems.install(app)
    app.include_router(router)
    app.state.classifier = classifier
    return TestClient(app)


def test_classify_returns_ranked_departments_and_explanation(client):
    r = client.post("/v1/classify", json={"title": "银行抽贷", "text": "农商行突然要求提前还款，抽贷断贷。"})
    assert r.status_code == 200
    body = r.json()
    assert body["department"] == "center" and body["financial_service"] is True
    assert body["department_name"] == "青山县营商环境服务中心"
    assert body["ranked"][0] == {"department": "center", "name": "青山县营商环境服务中心", "score": body["confidence"]}
    assert body["triage"] is False and body["township"] is None
    assert body["explanation"][0]["terms"]


def test_classify_with_exclusion(client):
    r = client.post("/v1/classify", json={"title": "停电", "text": "厂里老是停电。", "exclude": ["power"]})
    assert r.status_code == 200 and r.json()["department"] != "power"


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "t"},
        {"title": "t", "text": "   "},
        {"title": "t", "text": "x" * 5001},
        {"title": "t" * 201, "text": "x"},
        {"title": "t", "text": "x", "exclude": ["police"]},
        {"title": "t", "text": "x", "unknown": 1},
    ],
)
def test_bad_input_is_a_field_level_422(client, payload):
    r = client.post("/v1/classify", json=payload)
    assert r.status_code == 422
    [first, *_] = r.json()["errors"]
    assert first["field"] in {"title", "text", "exclude", "unknown"} and first["message_zh"]


def test_missing_classifier_is_503():
    app = FastAPI()
    app.include_router(router)
    r = TestClient(app).post("/v1/classify", json={"title": "t", "text": "x"})
    assert r.status_code == 503
