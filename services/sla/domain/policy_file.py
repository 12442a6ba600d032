"""Reading ``shared/data/sla_policies.json``: validate its JSON into the frozen dataclasses of ``policy_model.py``
(:func:`parse_policies`, :func:`read_policy_file`); every error names the field at fault. Pure domain code: no web
framework, database, bus or clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from services.sla.domain.policy_model import (
    DEFAULT_LEVELS,
    DEFAULT_REST_DAY_RULE,
    DEFAULT_SET,
    LEVELS,
    POLICIES_FORMAT,
    REPEAT_EVERY_WORKING_DAY,
    REPEATS,
    REST_DAY_RULES,
    SLA_CLASSES,
    STOPS_ON,
    UNITS,
    EscalationLevel,
    Milestone,
    Policy,
    PolicyError,
    PolicyFile,
)


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
                                            for lv in DEFAULT_LEVELS])
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


def _rest_day_rule(raw: dict, default: str, prefix: str) -> str:
    """``raw``'s end-of-period rule (``default`` when it names none), one of :data:`REST_DAY_RULES`."""
    rule = raw.get("rest_day_rule", default)
    if rule not in REST_DAY_RULES:
        raise PolicyError(f"{prefix}rest_day_rule must be one of {REST_DAY_RULES}")
    return rule


def _parse_policies(raw: object) -> PolicyFile:
    if not isinstance(raw, dict):
        raise PolicyError("top level must be an object")
    if raw.get("format") != POLICIES_FORMAT:
        raise PolicyError(f'"format" must be {POLICIES_FORMAT}')
    file_rule = _rest_day_rule(raw, DEFAULT_REST_DAY_RULE, "")
    policies_raw = raw.get("policies")
    if not isinstance(policies_raw, dict) or not policies_raw:
        raise PolicyError('"policies" must be a non-empty object keyed by policy name')
    policies: dict[str, Policy] = {}
    for name, body in policies_raw.items():
        where = f"policies.{name}"
        if not isinstance(body, dict):
            raise PolicyError(f"{where} must be an object")
        rule = _rest_day_rule(body, file_rule, f"{where}.")
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
