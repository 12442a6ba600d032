"""SLA policies as data: load and validate ``shared/data/sla_policies.json`` into frozen dataclasses.

A *policy* is a named set of *milestones* (resolution, answer, dispatch, contact), each with a time limit (in calendar
days or working days, counted per services/sla/DEADLINES.md), an optional longer limit for complaints marked
difficult (疑难), the citation it comes from, and its escalation configuration: when to warn before the deadline,
which supervision levels follow a breach and whether the reminders repeat every working day "until it is done".

A *policy set* is what a deployment chooses: it maps each SLA class the router assigns (``standard``,
``financial_service``) to the policy applied to it. :class:`PolicyStore` holds the parsed file and re-reads it when
its modification time changes, keeping the last good version (and reporting the error) if an edit does not validate.

Pure domain code: no web framework, database, bus or clock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import shared

DEFAULT_POLICIES_PATH = Path(shared.__file__).resolve().parent / "data" / "sla_policies.json"
POLICIES_FORMAT = 1

CALENDAR_DAYS = "calendar_days"
WORKING_DAYS = "working_days"
UNITS = (CALENDAR_DAYS, WORKING_DAYS)

#: The SLA classes the router assigns; every policy set maps each of them to a policy.
SLA_CLASSES = ("standard", "financial_service")
DEFAULT_SET = "default"

#: Escalation levels, lowest first: the handling department's leader, the county 营商环境服务中心's 督办,
#: the 优化营商环境联席会议 (joint meeting convened by the county government).
LEVELS = ("department_lead", "center_supervision", "joint_meeting")

REPEAT_EVERY_WORKING_DAY = "every_working_day"
REPEAT_NONE = "none"
REPEATS = (REPEAT_EVERY_WORKING_DAY, REPEAT_NONE)
#: The lifecycle event that stops a milestone's clock: dispatched to a department, the filer contacted, answered.
STOPS_ON = ("routed", "contacted", "answered")

#: End-of-period rule (Civil Code art. 203): which days push a period's last day to the next working day.
#: "statutory_and_weekends" follows the judicial reading that 法定休假日 includes the weekly rest days (双休日);
#: "statutory_only" extends only over statutory holiday blocks.
REST_DAYS_STATUTORY_AND_WEEKENDS = "statutory_and_weekends"
REST_DAYS_STATUTORY_ONLY = "statutory_only"
REST_DAY_RULES = (REST_DAYS_STATUTORY_AND_WEEKENDS, REST_DAYS_STATUTORY_ONLY)
DEFAULT_REST_DAY_RULE = REST_DAYS_STATUTORY_AND_WEEKENDS

log = logging.getLogger("complaints.sla.policies")


class PolicyError(ValueError):
    """The policy file is invalid, or a policy / set / class name is unknown."""


@dataclass(frozen=True)
class EscalationLevel:
    level: str  # one of LEVELS
    after_working_days: int  # reached on the n-th working day after the breach (0 = the breach day itself)


_DEFAULT_LEVELS = (EscalationLevel("department_lead", 0), EscalationLevel("center_supervision", 1))


@dataclass(frozen=True)
class Milestone:
    name: str  # "resolution", "answer", "dispatch", "contact"
    limit: int  # ordinary limit
    unit: str  # "calendar_days" | "working_days"
    difficult_limit: int | None  # limit when the complaint is marked difficult (None = same as limit)
    source: str
    title: str = ""
    #: warnings at these fractions of the period (0.7 = when 70% of the time from receipt to due has passed)
    warn_fractions: tuple[float, ...] = (0.7,)
    #: warnings at the start of the k-th last working day of the period (1 = the last working day)
    warn_working_days_before: tuple[int, ...] = (1,)
    #: the escalation ladder after a breach, lowest level first
    escalation_levels: tuple[EscalationLevel, ...] = _DEFAULT_LEVELS
    #: "every_working_day": escalate again each working day while overdue, staying at the top level;
    #: "none": one escalation per ladder level, then nothing
    repeat: str = REPEAT_EVERY_WORKING_DAY
    #: the lifecycle event that stops this milestone's clock (one of STOPS_ON)
    stops_on: str = "answered"

    def limit_for(self, difficult: bool) -> int:
        if difficult and self.difficult_limit is not None:
            return self.difficult_limit
        return self.limit

    @property
    def repeats(self) -> bool:
        return self.repeat == REPEAT_EVERY_WORKING_DAY


@dataclass(frozen=True)
class Policy:
    name: str
    title: str
    milestones: tuple[Milestone, ...]
    source: str = ""
    rest_day_rule: str = DEFAULT_REST_DAY_RULE

    def milestone(self, name: str) -> Milestone:
        for m in self.milestones:
            if m.name == name:
                return m
        raise PolicyError(f"policy {self.name!r} has no milestone {name!r}")

    @property
    def supports_difficult(self) -> bool:
        """True when marking a complaint difficult changes at least one limit."""
        return any(m.difficult_limit is not None for m in self.milestones)


@dataclass(frozen=True)
class PolicyFile:
    policies: Mapping[str, Policy]
    sets: Mapping[str, Mapping[str, str]]  # set name -> SLA class -> policy name
    set_titles: Mapping[str, str] = field(default_factory=dict)


# -- parsing ---------------------------------------------------------------------------------------------------------


def _positive_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PolicyError(f"{what} must be a positive integer, got {value!r}")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{what} must be a non-empty string")
    return value.strip()


def _parse_milestone(raw: object, where: str) -> Milestone:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object")
    name = _text(raw.get("name"), f"{where}.name")
    where = f"{where} ({name})"
    limit = _positive_int(raw.get("limit"), f"{where}.limit")
    unit = raw.get("unit")
    if unit not in UNITS:
        raise PolicyError(f"{where}.unit must be one of {UNITS}, got {unit!r}")
    difficult = raw.get("difficult_limit")
    if difficult is not None:
        difficult = _positive_int(difficult, f"{where}.difficult_limit")
        if difficult < limit:
            raise PolicyError(f"{where}.difficult_limit ({difficult}) is shorter than the ordinary limit ({limit})")
    source = _text(raw.get("source"), f"{where}.source")
    stops_on = raw.get("stops_on", "answered")
    if stops_on not in STOPS_ON:
        raise PolicyError(f"{where}.stops_on must be one of {STOPS_ON}, got {stops_on!r}")

    warnings = raw.get("warnings", {})
    if not isinstance(warnings, dict):
        raise PolicyError(f"{where}.warnings must be an object")
    fractions = warnings.get("fractions", [0.7])
    if not isinstance(fractions, list) or not all(
        isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f < 1 for f in fractions
    ):
        raise PolicyError(f"{where}.warnings.fractions must be a list of numbers between 0 and 1 (exclusive)")
    days_before = warnings.get("working_days_before", [1])
    if not isinstance(days_before, list):
        raise PolicyError(f"{where}.warnings.working_days_before must be a list")
    days_before = [_positive_int(k, f"{where}.warnings.working_days_before[]") for k in days_before]

    escalation = raw.get("escalation", {})
    if not isinstance(escalation, dict):
        raise PolicyError(f"{where}.escalation must be an object")
    repeat = escalation.get("repeat", REPEAT_EVERY_WORKING_DAY)
    if repeat not in REPEATS:
        raise PolicyError(f"{where}.escalation.repeat must be one of {REPEATS}, got {repeat!r}")
    levels_raw = escalation.get("levels", [{"level": lv.level, "after_working_days": lv.after_working_days}
                                            for lv in _DEFAULT_LEVELS])
    if not isinstance(levels_raw, list):
        raise PolicyError(f"{where}.escalation.levels must be a list")
    levels: list[EscalationLevel] = []
    for i, lv in enumerate(levels_raw):
        if not isinstance(lv, dict) or lv.get("level") not in LEVELS:
            raise PolicyError(f"{where}.escalation.levels[{i}].level must be one of {LEVELS}")
        after = lv.get("after_working_days")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise PolicyError(f"{where}.escalation.levels[{i}].after_working_days must be an integer >= 0")
        if levels and (after <= levels[-1].after_working_days
                       or LEVELS.index(lv["level"]) <= LEVELS.index(levels[-1].level)):
            raise PolicyError(f"{where}.escalation.levels must rise: higher level, later day, one after another")
        levels.append(EscalationLevel(lv["level"], after))
    if repeat == REPEAT_EVERY_WORKING_DAY and not levels:
        raise PolicyError(f"{where}.escalation: repeating escalation needs at least one level")

    return Milestone(
        name=name,
        limit=limit,
        unit=unit,
        difficult_limit=difficult,
        source=source,
        title=str(raw.get("title", "")),
        warn_fractions=tuple(sorted(float(f) for f in fractions)),
        warn_working_days_before=tuple(sorted(set(days_before), reverse=True)),
        escalation_levels=tuple(levels),
        repeat=repeat,
        stops_on=stops_on,
    )


def parse_policies(raw: object, *, origin: str = "policy file") -> PolicyFile:
    """Validate the policy file's JSON; every error names the field at fault."""
    try:
        return _parse_policies(raw)
    except PolicyError as exc:
        raise PolicyError(f"{origin}: {exc}") from None


def _parse_policies(raw: object) -> PolicyFile:
    if not isinstance(raw, dict):
        raise PolicyError("top level must be an object")
    if raw.get("format") != POLICIES_FORMAT:
        raise PolicyError(f'"format" must be {POLICIES_FORMAT}')
    file_rule = raw.get("rest_day_rule", DEFAULT_REST_DAY_RULE)
    if file_rule not in REST_DAY_RULES:
        raise PolicyError(f"rest_day_rule must be one of {REST_DAY_RULES}")
    policies_raw = raw.get("policies")
    if not isinstance(policies_raw, dict) or not policies_raw:
        raise PolicyError('"policies" must be a non-empty object keyed by policy name')
    policies: dict[str, Policy] = {}
    for name, body in policies_raw.items():
        where = f"policies.{name}"
        if not isinstance(body, dict):
            raise PolicyError(f"{where} must be an object")
        rule = body.get("rest_day_rule", file_rule)
        if rule not in REST_DAY_RULES:
            raise PolicyError(f"{where}.rest_day_rule must be one of {REST_DAY_RULES}")
        ms_raw = body.get("milestones")
        if not isinstance(ms_raw, list) or not ms_raw:
            raise PolicyError(f"{where}.milestones must be a non-empty list")
        milestones = tuple(_parse_milestone(m, f"{where}.milestones[{i}]") for i, m in enumerate(ms_raw))
        names = [m.name for m in milestones]
        if len(set(names)) != len(names):
            raise PolicyError(f"{where}: duplicate milestone names {names}")
        policies[name] = Policy(
            name=name,
            title=_text(body.get("title"), f"{where}.title"),
            milestones=milestones,
            source=str(body.get("source", "")),
            rest_day_rule=rule,
        )

    sets_raw = raw.get("sets")
    if not isinstance(sets_raw, dict) or DEFAULT_SET not in sets_raw:
        raise PolicyError(f'"sets" must be an object with at least the "{DEFAULT_SET}" set')
    sets: dict[str, Mapping[str, str]] = {}
    titles: dict[str, str] = {}
    for set_name, mapping in sets_raw.items():
        if not isinstance(mapping, dict):
            raise PolicyError(f"sets.{set_name} must be an object")
        titles[set_name] = str(mapping.get("title", ""))
        classes = {k: v for k, v in mapping.items() if k != "title"}
        missing = [c for c in SLA_CLASSES if c not in classes]
        if missing:
            raise PolicyError(f"sets.{set_name} does not map the SLA class(es) {missing}")
        for sla_class, policy_name in classes.items():
            if sla_class not in SLA_CLASSES:
                raise PolicyError(f"sets.{set_name}: unknown SLA class {sla_class!r} (known: {SLA_CLASSES})")
            if policy_name not in policies:
                raise PolicyError(f"sets.{set_name}.{sla_class}: unknown policy {policy_name!r}")
        sets[set_name] = MappingProxyType(dict(classes))
    return PolicyFile(MappingProxyType(policies), MappingProxyType(sets), MappingProxyType(titles))


def read_policy_file(path: str | Path) -> PolicyFile:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{path}: not valid JSON: {exc}") from exc
    return parse_policies(raw, origin=str(path))


# -- the store -------------------------------------------------------------------------------------------------------


class PolicyStore:
    """The policies of one file; re-reads the file when its modification time (or size) changes.

    A changed file that fails validation is not applied: the store keeps serving the last good policies, logs the
    error on ``complaints.sla.policies`` and exposes it as :attr:`last_error` until a valid version is saved.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else DEFAULT_POLICIES_PATH
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._data = read_policy_file(self.path)  # the first load must succeed
        self.last_error: str | None = None
        self.generation = 1  # bumped on every applied reload

    @classmethod
    def load(cls, path: str | Path | None = None) -> PolicyStore:
        return cls(path)

    def _file_stamp(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size)

    def reload_if_changed(self) -> bool:
        """Re-read the file if it changed since the last read; True when new policies were applied."""
        try:
            stamp = self._file_stamp()
        except OSError as exc:
            self.last_error = f"{self.path}: {exc}"
            log.error("policy file unreadable, keeping the loaded policies: %s", self.last_error)
            return False
        if stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                data = read_policy_file(self.path)
            except (OSError, PolicyError) as exc:
                self.last_error = str(exc)
                log.error("policy file changed but is invalid, keeping the loaded policies: %s", exc)
                return False
            self._data = data
            self.last_error = None
            self.generation += 1
            log.info("policy file reloaded: %s", self.path)
            return True

    @property
    def data(self) -> PolicyFile:
        self.reload_if_changed()
        return self._data

    def names(self) -> tuple[str, ...]:
        return tuple(self.data.policies)

    def set_names(self) -> tuple[str, ...]:
        return tuple(self.data.sets)

    def get(self, name: str) -> Policy:
        data = self.data
        try:
            return data.policies[name]
        except KeyError:
            raise PolicyError(f"unknown policy {name!r} (known: {', '.join(data.policies)})") from None

    def policy_for(self, sla_class: str, set_name: str = DEFAULT_SET) -> Policy:
        """The policy the deployment's policy set applies to complaints of ``sla_class``."""
        data = self.data
        if set_name not in data.sets:
            raise PolicyError(f"unknown policy set {set_name!r} (known: {', '.join(data.sets)})")
        mapping = data.sets[set_name]
        if sla_class not in mapping:
            raise PolicyError(f"unknown SLA class {sla_class!r} (known: {', '.join(mapping)})")
        return data.policies[mapping[sla_class]]


def load_policies(path: str | Path | None = None) -> PolicyStore:
    """A :class:`PolicyStore` on ``path`` (default: shared/data/sla_policies.json)."""
    return PolicyStore(path)
