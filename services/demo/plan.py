"""What the demo plans: the complaints every demo has (:data:`SHOWCASE`), one complaint and how it will be worked
(:class:`Case`), a step of the walk (:class:`Task`), and the answer deadline the SLA service will set
(:class:`Deadlines`), computed with the product's own policies, policy set and calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.sla.domain.deadlines import milestone_deadlines
from services.sla.domain.policies import load_policies
from services.sla.domain.policy_model import SLA_CLASSES
from shared.calendar import WorkingCalendar
from shared.settings import AllInOneSettings

#: A late answer comes this many hours (uniform) after the deadline.
LATE_HOURS = (6.0, 96.0)
#: Complaints every demo has, whatever its length, filed far enough back that their deadlines pass before the end:
#: (fate, returned as misrouted by the first department, the filer's rating of the first answer), one a day back
#: from the last day early enough, once more per 50 complaints a day. Forgotten ones are overdue at the end; the
#: late ones are not reopened, so that they stay answered late.
SHOWCASE = (
    ("forgotten", False, None), ("late", False, "基本满意"), ("on_time", True, "满意"), ("on_time", False, "不满意"),
    ("forgotten", False, None), ("late", False, "满意"),
)



class Deadlines:
    """The answer deadline the SLA service sets, from the same policies, policy set and calendar (the product's
    settings): handlers plan their answers around it, and the showcase is filed early enough for it to pass."""

    def __init__(self, settings: AllInOneSettings) -> None:
        self.policies = load_policies(settings.sla_policies_path)
        self.policy_set = settings.sla_policy_set
        self.calendar = WorkingCalendar.load(settings.calendar_overrides_path)

    def due(self, sla_class: str, since: datetime) -> datetime:
        """When a complaint of ``sla_class`` received (or reopened) at ``since`` must be answered."""
        policy = self.policies.policy_for(sla_class, self.policy_set)
        return max(due.due_at for milestone, due in milestone_deadlines(policy, since, self.calendar)
                   if milestone.stops_on == "answered")

    def latest(self, since: datetime) -> datetime:
        """The latest answer deadline of any SLA class for a complaint received at ``since``."""
        return max(self.due(sla_class, since) for sla_class in SLA_CLASSES)


@dataclass
class Case:
    """One demo complaint and how it will be worked."""

    n: int
    intended: str
    received_at: datetime
    fate: str  # on_time | late | forgotten
    returns: bool
    #: The filer's rating of the first answer when planned (the showcase); otherwise drawn when rating.
    first_rating: str | None = None
    #: When the deadline running now started: the receipt intake recorded, then the reopening.
    since: datetime | None = None
    id: str = ""
    access_token: str = ""
    reopened: bool = False
    answers: int = 0
    done: bool = False


@dataclass(order=True)
class Task:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    case: Case = field(compare=False)
