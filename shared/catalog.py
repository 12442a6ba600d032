"""The department catalog (Appendix A of the county guide) and the county gazetteer, read from data files.

Every other part of the product takes department ids and township names from here; the files live in
``shared/data/`` and a deployment points ``GAZETTEER_PATH`` at its own county's list. The catalog's names carry the
placeholder 县/区 (``县/区税务局``); ``load_catalog`` gives them with the county's name (``青山县税务局``): the
``COUNTY_NAME`` setting, else the gazetteer's ``county``. Ids never change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.settings import CountySettings

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOG_PATH = DATA_DIR / "departments.json"
GAZETTEER_PATH = DATA_DIR / "townships.json"

#: The department that runs the dispatcher's triage queue and coordinates what no other department owns.
CENTER_ID = "center"
#: The catalog entry standing for "a named 乡镇/街道 government"; decisions carry the township's name beside it.
TOWNSHIP_ID = "township"


@dataclass(frozen=True)
class Department:
    seq: int
    id: str
    name: str
    duties: str


@dataclass(frozen=True)
class Catalog:
    departments: tuple[Department, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.departments)

    def get(self, department_id: str) -> Department:
        for department in self.departments:
            if department.id == department_id:
                return department
        raise KeyError(department_id)

    def __contains__(self, department_id: object) -> bool:
        return any(d.id == department_id for d in self.departments)


@dataclass(frozen=True)
class Township:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()  # short names people write (白沙 for 白沙镇); optional in the gazetteer file


@dataclass(frozen=True)
class Gazetteer:
    county: str
    townships: tuple[Township, ...]

    def by_name(self, name: str) -> Township | None:
        return next((t for t in self.townships if t.name == name), None)

    def by_id(self, township_id: str) -> Township | None:
        return next((t for t in self.townships if t.id == township_id), None)


#: What the catalog's names say where the county's name belongs.
COUNTY_PLACEHOLDER = "县/区"


@lru_cache(maxsize=1)
def deployment() -> tuple[Path, str | None]:
    """The gazetteer file and county name this deployment configured (settings, read once per process)."""
    settings = CountySettings()
    return Path(settings.gazetteer_path) if settings.gazetteer_path else GAZETTEER_PATH, settings.county_name or None


def county_name() -> str:
    configured_path, configured_name = deployment()
    return configured_name or load_gazetteer(configured_path).county


@lru_cache(maxsize=4)
def load_catalog(path: str | Path = CATALOG_PATH) -> Catalog:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    county = county_name()
    departments = tuple(
        Department(seq=d["seq"], id=d["id"], name=d["name"].replace(COUNTY_PLACEHOLDER, county), duties=d["duties"])
        for d in raw["departments"]
    )
    ids = [d.id for d in departments]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate department ids in {path}")
    return Catalog(departments=departments)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """The gazetteer at ``path``; without one, the deployment's (``GAZETTEER_PATH``, else the shipped example)."""
    return _read_gazetteer(Path(path) if path else deployment()[0])


@lru_cache(maxsize=4)
def _read_gazetteer(path: Path) -> Gazetteer:
    raw = json.loads(path.read_text(encoding="utf-8"))
    townships = tuple(
        Township(id=t["id"], name=t["name"], kind=t["kind"], aliases=tuple(t.get("aliases") or ()))
        for t in raw["townships"]
    )
    return Gazetteer(county=raw["county"], townships=townships)
