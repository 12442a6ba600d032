"""The follow-up policy (pure rules, no I/O): which answers are called, the working day a call is due by, and when a
filer not reached is called again.

- **Which**: ``all`` answers of a complaint with a contact (一事一回访), or ``sample``: every answer given after a
  不满意 reopened the complaint, and a fixed share of the others, picked by a hash of the complaint and its answer
  (the same answer is always picked or not, whichever replica decides).
- **By when**: the last of ``working_days`` working days counted from the day after the answer (Asia/Shanghai).
- **First**: the first call may be made from the day of the answer.
- **Again**: a call that does not reach the filer is repeated on the next working day, ``max_attempts`` calls in all;
  after the last one the task ends as not reached.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from shared.calendar import SHANGHAI, WorkingCalendar

ALL, SAMPLE = "all", "sample"

#: What a call came to, by its API value.
REACHED, NOT_REACHED, DECLINED = "reached", "not_reached", "declined"
OUTCOMES = (REACHED, NOT_REACHED, DECLINED)

#: A task's states: waiting for a call, and how it ended.
OPEN, DONE, SUPERSEDED = "open", "done", "superseded"
ENDED_BY_OUTCOME = {REACHED: DONE, DECLINED: DECLINED, NOT_REACHED: NOT_REACHED}


@lru_cache(maxsize=4)
def _calendar(path: str | None) -> WorkingCalendar:
    return WorkingCalendar.load(path) if path else WorkingCalendar.load()


@dataclass(frozen=True)
class FollowUpPolicy:
    working_days: int = 2
    max_attempts: int = 3
    selection: str = ALL
    sample_percent: int = 20
    calendar_path: str | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Any) -> "FollowUpPolicy":
        return cls(working_days=settings.followup_working_days, max_attempts=settings.followup_max_attempts,
                   selection=settings.followup_selection, sample_percent=settings.followup_sample_percent,
                   calendar_path=getattr(settings, "calendar_overrides_path", None))

    @property
    def calendar(self) -> WorkingCalendar:
        return _calendar(self.calendar_path)

    def selects(self, complaint_id: str, answered_at: datetime, *, reopened_before: bool) -> bool:
        """Whether this answer is called back."""
        if self.selection == ALL or reopened_before:
            return True
        digest = hashlib.sha256(f"{complaint_id}|{answered_at.isoformat()}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 100 < self.sample_percent

    def due_on(self, answered_at: datetime) -> date:
        return self.calendar.add_working_days(answered_at.astimezone(SHANGHAI).date(), self.working_days)

    def next_call_on(self, now: datetime) -> date:
        """The working day of the next call after one that did not reach the filer today."""
        return self.calendar.next_working_day(now.astimezone(SHANGHAI).date())
