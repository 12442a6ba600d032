"""A deployment names its county: the gazetteer (GAZETTEER_PATH) and COUNTY_NAME decide the names every answer and
page shows (白河县税务局, not the catalog's placeholder 县/区税务局) and the townships intake accepts; ids stay."""

from __future__ import annotations

import json

import pytest

from shared import catalog
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import FilerClient
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body


def _forget_configuration() -> None:
    catalog.deployment.cache_clear()
    catalog.load_catalog.cache_clear()
    catalog._read_gazetteer.cache_clear()


@pytest.fixture
def county(tmp_path, monkeypatch):
    """A county of its own: 白河县 with two townships."""
    path = tmp_path / "baihe.json"
    path.write_text(json.dumps({"county": "白河县", "townships": [
        {"id": "liushu", "name": "柳树乡", "kind": "乡"}, {"id": "hexi", "name": "河西街道", "kind": "街道"}]},
        ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("GAZETTEER_PATH", str(path))
    _forget_configuration()
    yield path
    monkeypatch.delenv("GAZETTEER_PATH")
    _forget_configuration()


def test_the_shipped_names_carry_the_example_county():
    names = {d.id: d.name for d in catalog.load_catalog().departments}
    assert names["tax"] == "青山县税务局" and names["center"] == "青山县营商环境服务中心"
    assert not any(catalog.COUNTY_PLACEHOLDER in name for name in names.values())


def test_county_name_setting_overrides_the_gazetteer(monkeypatch):
    monkeypatch.setenv("COUNTY_NAME", "某某区")
    _forget_configuration()
    try:
        assert catalog.load_catalog().get("tax").name == "某某区税务局"
        assert catalog.load_catalog().get("tax").id == "tax"
    finally:
        monkeypatch.delenv("COUNTY_NAME")
        _forget_configuration()


async def test_answers_name_the_deployments_county_and_accept_its_townships(county, tmp_path):
    async with running_app(embedded_settings(tmp_path)) as (_app, raw):
        client = FilerClient(raw)
        body = complaint_body("一周停了四次电", "我厂本周已经停电四次，没有任何预告，请供电公司查明原因，保障供电。")
        refused = await client.post("/v1/complaints", json={**body, "township": "城关镇"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "township"
        assert "柳树乡" in refused.json()["errors"][0]["message_zh"]
        filed = await client.post("/v1/complaints", json={**body, "township": "柳树乡"})
        assert filed.status_code == 201, filed.text
        view = await wait_routed(client, filed.json()["id"])
        assert view["department"] == "power" and view["department_name"] == "白河县供电局"
        history = (await client.get(f"/v1/complaints/{filed.json()['id']}/history")).json()
        assert any("白河县供电局" in entry["summary"] for entry in history)
