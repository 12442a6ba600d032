"""Returns (退回) and their review by the center (派单异议审核): a department asks to return a complaint, a dispatcher
approves or rejects the return, and a supervisor permits a return the rules would refuse.

The rules (:func:`return_rule`, pure, read from the complaint's history):

- A department may return a complaint until 24:00 of the ``RETURN_WINDOW_WORKING_DAYS``-th working day (default 1)
  after the day it was placed with it (the day of placement not counted, as the deadline law counts).
- Once the center has rejected a department's return, that department may not return the complaint again.
- Either return — late, or again after a rejection — needs a supervisor's permit (准予退回), given before it and good
  for that department's next return only. Without one the return is refused on the field ``permit`` (422).

A return puts the complaint in ``return_review``: the department still holds it (its clocks keep running) and may
add notes, nothing else. Approved, the complaint goes back to the router as a return always did
(``complaint.returned``: re-routed without that department, the suggestion — the reviewer's, else the handler's —
learnt once). Rejected, it is ``routed`` to the same department again, whose handler claims it and must handle it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, Field, field_validator

from services.intake.domain.access import Relation, may_dispatch
from services.intake.commands import WorkRules, apply_transition, prepare, require_lease
from services.intake.errors import Conflict, Forbidden, Unprocessable
from services.intake.domain.lifecycle import Action
from services.intake.schemas import NOTE_MAX, ReturnBody, RequestBody
from services.intake.schemas.base import check_department, not_blank
from shared.auth import Principal, Role
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.db import Database
from shared.events import ComplaintReturnedV1, ComplaintReturnRejectedV1, ComplaintReturnRequestedV1
from shared.vocabulary import deadline_text

#: Why a return needs a supervisor's permit.
LATE, AGAIN = "late", "again"


class Entry(Protocol):
    """A history entry, as far as the rules read it."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ReturnRule:
    """What the rules say of a return by ``department`` now."""

    #: When the department was given the complaint (its latest placement), and until when it may return it.
    placed_at: datetime | None
    window_end: datetime | None
    #: Why a permit is needed (:data:`LATE`, :data:`AGAIN`); empty: the return is within the rules.
    needs: tuple[str, ...]
    #: The supervisor whose permit stands for the department's next return (None: no permit).
    permitted_by: str | None

    @property
    def allowed(self) -> bool:
        return not self.needs or self.permitted_by is not None


def window_end(placed_at: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """24:00 (00:00 of the next day) of the ``working_days``-th working day after the day of ``placed_at``."""
    last = calendar.add_working_days(placed_at.astimezone(SHANGHAI).date(), working_days)
    return datetime.combine(last + timedelta(days=1), time(0), SHANGHAI)


def return_rule(history: Sequence[Entry], department: str, now: datetime, calendar: WorkingCalendar,
                working_days: int) -> ReturnRule:
    """The rules applied to the history (in order) of a complaint ``department`` leads now."""
    start = max((i for i, e in enumerate(history)
                 if e.action == "routed" and e.detail.get("department") == department), default=-1)
    placed_at = history[start].at if start >= 0 else None
    end = window_end(placed_at, working_days, calendar) if placed_at else None
    mine = [e for e in history[start + 1:] if e.detail.get("department") == department]
    needs = tuple(why for why, applies in (
        (LATE, end is not None and now >= end),
        (AGAIN, any(e.action == "return_rejected" for e in mine)),
    ) if applies)
    permitted_by = None
    for e in mine:
        if e.action == "return_permitted":
            permitted_by = e.actor
        elif e.action == "return_requested":
            permitted_by = None  # a permit is good for one return
    return ReturnRule(placed_at, end, needs, permitted_by)


def pending_request(history: Sequence[Entry]) -> Entry:
    """The return under review: the history's last request."""
    found = next((e for e in reversed(history) if e.action == "return_requested"), None)
    if found is None:
        raise Conflict("No return of this complaint waits for review", "该诉求没有待审核的退回")
    return found


@lru_cache(maxsize=4)
def _calendar(path: str | None) -> WorkingCalendar:
    return WorkingCalendar.load(path) if path else WorkingCalendar.load()


def _refusal(rule: ReturnRule, policy: WorkRules) -> Unprocessable:
    if LATE in rule.needs:
        until = deadline_text(rule.window_end) if rule.window_end else ""
        return Unprocessable(
            "permit", "return_window_passed",
            f"A return must come within {policy.return_window_working_days} working day(s) of placement; "
            "a supervisor's permit is needed now",
            f"退回须在分派后 {policy.return_window_working_days} 个工作日内提出（本件至{until}），已过时限，须经督办准予后方可退回")
    return Unprocessable(
        "permit", "return_rejected_before",
        "The center rejected this department's return; returning it again needs a supervisor's permit",
        "本部门的退回已被服务中心驳回，再次退回须经督办准予")


# --- bodies ---------------------------------------------------------------------------------------------------------


class ApproveReturnBody(RequestBody):
    department: str | None = Field(default=None, description="审核认定的承办部门（可选，默认采用退回部门的建议）")

    @field_validator("department")
    @classmethod
    def _d(cls, v: str | None) -> str | None:
        return check_department(v) if v else None


class ReasonBody(RequestBody):
    multiline = frozenset({"reason"})
    reason: Annotated[str, AfterValidator(lambda v: not_blank(v, "Reason", "理由"))] = Field(
        min_length=1, max_length=NOTE_MAX, description="理由")


# --- commands -------------------------------------------------------------------------------------------------------


async def request_return(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                         body: ReturnBody) -> None:
    """退回: the lead department's handler asks to return the complaint; it goes to the center's review queue."""
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.return_)
        require_lease(ctx)
        own = ctx.complaint.department
        if body.suggested_department == own:
            raise Unprocessable("suggested_department", "same_department",
                                "Suggest another department than your own", "建议的部门不能是本部门")
        rule = return_rule(await ctx.repo.history(cid), own, now, _calendar(policy.calendar_path),
                           policy.return_window_working_days)
        if not rule.allowed:
            raise _refusal(rule, policy)
        permitted_by = rule.permitted_by if rule.needs else None
        fields = {"returned_by": own, "reason": body.reason, "suggested_department": body.suggested_department,
                  "needed_permit": list(rule.needs), "permitted_by": permitted_by}
        await ctx.repo.add_message(cid, now, p.actor, own, "return_reason", body.reason, to_filer=False)
        await apply_transition(ctx, new, "return_requested", {"department": own, **fields}, ComplaintReturnRequestedV1,
                     event_fields=fields, claimed_by=None, lease_until=None)
        await uow.commit()


async def _review(uow, p: Principal, cid: str, if_match: int | None, now: datetime, action: Action):
    ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.oversight}, action=action)
    if not may_dispatch(p):
        raise Forbidden("Only dispatchers and supervisors review returns", "仅派单员和督办可审核退回")
    return ctx, new, pending_request(await ctx.repo.history(cid))


async def approve_return(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                         body: ApproveReturnBody) -> None:
    """同意退回: the complaint goes back to the router, which re-routes it without the returning department and
    learns the department the review holds right."""
    async with db.unit_of_work() as uow:
        ctx, new, request = await _review(uow, p, cid, if_match, now, Action.approve_return)
        own, reason = request.detail["department"], request.detail["reason"]
        suggested = body.department or request.detail.get("suggested_department")
        if suggested == own:
            raise Unprocessable("department", "same_department", "Name another department than the returning one",
                                "认定的承办部门不能是退回的部门")
        detail = {"department": own, "reason": reason, "suggested_department": suggested,
                  "requested_at": request.at.astimezone(SHANGHAI).isoformat()}
        version = await apply_transition(ctx, new, "returned", detail, None, department=None, claimed_by=None, lease_until=None)
        uow.outbox.add(ComplaintReturnedV1(
            complaint_id=cid, actor=p.actor, department=own, status=new.value, version=version, at=now,
            returned_by=own, reason=reason, suggested_department=suggested, requested_at=request.at,
        ), time=now)
        await uow.commit()


async def reject_return(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                        body: ReasonBody) -> None:
    """驳回退回: the complaint is back with the department that returned it, which must handle it."""
    async with db.unit_of_work() as uow:
        ctx, new, request = await _review(uow, p, cid, if_match, now, Action.reject_return)
        own = request.detail["department"]
        await ctx.repo.add_message(cid, now, p.actor, None, "return_rejection", body.reason, to_filer=False)
        await apply_transition(ctx, new, "return_rejected", {
            "department": own, "reason": body.reason, "requested_at": request.at.astimezone(SHANGHAI).isoformat(),
        }, ComplaintReturnRejectedV1, event_fields={"returned_by": own, "reason": body.reason,
                                                    "requested_at": request.at})
        await uow.commit()


async def permit_return(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                        body: ReasonBody) -> None:
    """准予退回: a supervisor lets the lead department return the complaint once more than the rules allow (late, or
    again after a rejection). History only, as a note is; the return it permits names the supervisor."""
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.oversight},
                                  action=Action.permit_return)
        if p.role is not Role.supervisor:
            raise Forbidden("Only a supervisor permits a return out of rule", "仅督办可准予退回")
        department = ctx.complaint.department
        if department is None:
            raise Conflict("No department holds this complaint", "该诉求尚无承办部门")
        await ctx.repo.add_message(cid, now, p.actor, None, "return_permit", body.reason, to_filer=False)
        await apply_transition(ctx, new, "return_permitted", {"department": department, "reason": body.reason}, None)
        await uow.commit()
