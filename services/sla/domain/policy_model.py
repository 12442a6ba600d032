"""What an SLA policy is: a named set of *milestones* (resolution, answer, dispatch, contact), each with a time limit
(in calendar days or working days, counted per services/sla/DEADLINES.md), an optional longer limit for complaints
marked difficult (疑难), the citation it comes from, and its escalation configuration: when to warn before the
deadline, which supervision levels follow a breach and whether the reminders repeat every working day "until it is
done". A *policy set* maps each SLA class the router assigns to a policy (:class:`PolicyFile`).

Frozen dataclasses and the words of the policy file; ``policy_file.py`` reads the file into them, ``policies.py``
serves them. Pure domain code: no web framework, database, bus or clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


class PolicyError(ValueError):
    """The policy file is invalid, or a policy / set / class name is unknown."""


@dataclass(frozen=True)
class EscalationLevel:
    level: str  # one of LEVELS
    after_working_days: int  # reached on the n-th working day after the breach (0 = the breach day itself)


DEFAULT_LEVELS = (EscalationLevel("department_lead", 0), EscalationLevel("center_supervision", 1))


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
    escalation_levels: tuple[EscalationLevel, ...] = DEFAULT_LEVELS
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
