"""The scale-out files, checked without Docker: every container of ``docker-compose.yml`` runs a module of the product
with settings the product knows, listening where it is published, and Prometheus scrapes every service container at
the address compose gives it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from shared.settings import AllInOneSettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
PROMETHEUS = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text(encoding="utf-8"))
#: The settings every process of the product reads (all of them: the whole product's settings hold each service's).
KNOWN = {name.upper() for name in AllInOneSettings.model_fields}


def _product_containers() -> dict[str, dict]:
    return {name: spec for name, spec in COMPOSE["services"].items()
            if spec.get("command", [])[:2] == ["python", "-m"]}


def _listening_port(spec: dict) -> int:
    """The port the container's process listens on, by its settings (``<X>_PORT`` with ``<X>_HOST`` 0.0.0.0)."""
    hosts = [key for key, value in spec["environment"].items() if key.endswith("_HOST") and value == "0.0.0.0"]
    assert len(hosts) == 1, spec["environment"]
    return AllInOneSettings.model_fields[hosts[0].lower().replace("_host", "_port")].default


def test_each_container_runs_a_module_of_the_product_with_known_settings():
    containers = _product_containers()
    assert {"intake", "intake-notify", "router", "sla"} <= set(containers)
    for name, spec in containers.items():
        module = spec["command"][2]
        assert importlib.util.find_spec(f"{module}.__main__") is not None, name
        assert set(spec["environment"]) <= KNOWN, (name, set(spec["environment"]) - KNOWN)


def test_each_container_publishes_the_port_it_listens_on():
    for name, spec in _product_containers().items():
        port = _listening_port(spec)
        assert spec["ports"] == [f"{port}:{port}"], name


def test_prometheus_scrapes_every_product_container_where_it_listens():
    targets = {target for job in PROMETHEUS["scrape_configs"] for config in job["static_configs"]
               for target in config["targets"]}
    assert targets == {f"{name}:{_listening_port(spec)}" for name, spec in _product_containers().items()}


def test_the_replicas_taking_filings_leave_the_sms_to_the_notifier():
    containers = _product_containers()
    assert containers["intake"]["environment"]["NOTIFIER_IN_INTAKE"] == "false"
    assert containers["intake-notify"]["command"] == ["python", "-m", "services.intake.notify"]
