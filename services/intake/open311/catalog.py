"""The Open311 service types and what a filing of each needs, read from data files.

The service types are ``shared/data/open311_services.json``: one per group of the routing lexicon that points to a
department (the kinds of matter people file). A type's ``group`` is its department's name and whether it is a
financial service comes from its lexicon group; its keywords are the group's strongest terms. A service code is a
hint: the router places the complaint on its text.

Every type has a definition (``metadata`` true): the filer's fields as attributes — the enterprise today; individual
(citizen) filers come later — and the township as a ``singlevaluelist`` from the gazetteer. The time limit a type's
complaints get (``service_notice``) is read from the SLA policy file for the deployment's ``SLA_POLICY_SET``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.intake.views import department_name
from shared.catalog import DATA_DIR, load_gazetteer
from shared.settings import CommonSettings
from shared.vocabulary import limit_notice

SERVICES_PATH = DATA_DIR / "open311_services.json"
LEXICON_PATH = DATA_DIR / "routing_lexicon.json"
POLICIES_PATH = DATA_DIR / "sla_policies.json"
#: How many of a lexicon group's strongest terms a service type lists as its keywords.
KEYWORDS = 6


@dataclass(frozen=True)
class ServiceType:
    code: str
    name: str
    description: str
    department: str
    financial_service: bool
    keywords: tuple[str, ...]


@lru_cache(maxsize=1)
def service_types() -> tuple[ServiceType, ...]:
    groups = {g["id"]: g for g in json.loads(LEXICON_PATH.read_text(encoding="utf-8"))["groups"]}
    types = []
    for entry in json.loads(SERVICES_PATH.read_text(encoding="utf-8"))["services"]:
        group = groups[entry["lexicon_group"]]
        strongest = group["terms"][max(group["terms"], key=float)]
        types.append(ServiceType(entry["service_code"], entry["service_name"], entry["description"],
                                 group["department"], bool(group.get("financial_service")),
                                 tuple(strongest[:KEYWORDS])))
    return tuple(types)


def service_type(code: str) -> ServiceType | None:
    return next((t for t in service_types() if t.code == code), None)


def service_entry(service: ServiceType) -> dict[str, Any]:
    """A type as ``GET services`` lists it."""
    return {"service_code": service.code, "service_name": service.name, "description": service.description,
            "metadata": True, "type": "realtime", "keywords": ",".join(service.keywords),
            "group": department_name(service.department)}


def _attribute(order: int, code: str, description: str, *, required: bool, datatype: str = "string",
               datatype_description: str = "", values: list[dict[str, str]] | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {"variable": True, "code": code, "datatype": datatype, "required": required,
                                 "datatype_description": datatype_description, "order": order,
                                 "description": description}
    if values is not None:
        attribute["values"] = values
    return attribute


def township_keys() -> dict[str, str]:
    """Each township's key in the ``township`` list (its gazetteer id) → its name."""
    return {t.id: t.name for t in load_gazetteer().townships}


def definition(service: ServiceType) -> dict[str, Any]:
    """``GET services/{code}``: what a filing needs beyond the standard's fields (``description`` is the complaint's
    text, ``phone`` the contact's mobile, ``first_name``/``last_name`` the contact's name, ``address_string`` the
    address)."""
    return {"service_code": service.code, "attributes": [
        _attribute(1, "enterprise_name", "企业名称 Enterprise name", required=True, datatype_description="1–200 字"),
        _attribute(2, "credit_code", "统一社会信用代码 Unified social credit code", required=True,
                   datatype_description="18 位，GB 32100，含校验码"),
        _attribute(3, "contact_name", "联系人 Contact person (or last_name + first_name)", required=False,
                   datatype_description="1–60 字；不填时取 last_name + first_name"),
        _attribute(4, "title", "诉求标题 Title (default: the start of description)", required=False,
                   datatype_description="1–200 字"),
        _attribute(5, "township", "乡镇/街道 Township", required=False, datatype="singlevaluelist",
                   values=[{"key": key, "name": name} for key, name in township_keys().items()]),
    ]}


@lru_cache(maxsize=4)
def _policies(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _policy_file(settings: CommonSettings) -> dict[str, Any]:
    return _policies(Path(settings.sla_policies_path) if settings.sla_policies_path else POLICIES_PATH)


def notice(policy: str | None, settings: CommonSettings) -> str | None:
    """The time limit of ``policy`` as the filer is told it: its last milestone (10 日内办结, 5 个工作日内答复)."""
    found = _policy_file(settings)["policies"].get(policy or "")
    if not found:
        return None
    last = found["milestones"][-1]
    return limit_notice(last["limit"], last["unit"], last["name"])


def expected_policy(service: ServiceType, settings: CommonSettings) -> str | None:
    """The policy a type's complaints are expected to get under ``SLA_POLICY_SET`` (the router decides it)."""
    chosen = _policy_file(settings)["sets"].get(settings.sla_policy_set, {})
    return chosen.get("financial_service" if service.financial_service else "standard")
