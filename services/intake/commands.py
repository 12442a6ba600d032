"""The lifecycle commands staff issue on a complaint — claim, accept, contact, request-info, answer, cooperating
departments, notes, dispatch — and the audited read of the filer's contact. A return (退回) and its review are in
``returns.py``; what the filer does (supplement, rating) and the sweep closing unrated answers in ``filer_commands.py``,
each through the steps (``prepare``, ``apply_transition``) defined here.

Every command runs in one unit of work and follows the same steps: load the complaint (404 when the caller may not see
it), require ``If-Match`` (428) and a permitted role (403), compare the version (412), apply the pure transition
(409 listing the allowed actions), check the handler's claim lease (409), then change the row guarded by the version,
write the history entry and emit the event of ``shared.events`` through the outbox — all committed together.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.intake.domain.access import Relation, may_dispatch, next_actions, sees_contact
from services.intake.errors import (
    Conflict,
    Forbidden,
    LeaseHeld,
    LeaseRequired,
    NotFound,
    PreconditionRequired,
    StaleVersion,
    TransitionRefused,
)
from services.intake.followups import opening as followup
from services.intake.followups.rules import FollowUpPolicy
from services.intake.domain.lifecycle import (
    API_NAMES,
    LEASED,
    OPEN,
    Action,
    IllegalTransition,
    Status,
    transition,
)
from services.intake import replies
from services.intake.models import FilerContact
from services.intake.schemas.replies import AnswerBody
from services.intake.loaded import LoadedComplaint, load
from services.intake.schemas import (
    ContactBody,
    CooperatingBody,
    DispatchBody,
    QuestionBody,
    TextBody,
)
from shared.auth import Principal, Role
from shared.calendar import SHANGHAI
from shared.db import Database, UnitOfWork
from shared.settings import IntakeSettings
from shared.events import (
    ComplaintAcceptedV1,
    ComplaintAnsweredV1,
    ComplaintClaimedV1,
    ComplaintContactedV1,
    ComplaintCooperatingAddedV1,
    ComplaintDispatchedV1,
    ComplaintInfoRequestedV1,
    EventData,
)

SYSTEM = "system"


@dataclass(frozen=True)
class WorkRules:
    """The county's rules for working complaints that commands apply: the claim lease, the rating window, which
    answers are called back (回访) and the window for returns."""

    lease: timedelta = timedelta(minutes=30)
    rating_window: timedelta = timedelta(days=7)
    followup: FollowUpPolicy = FollowUpPolicy()
    #: Working days after the day of placement within which a department may return a complaint (``returns.py``).
    return_window_working_days: int = 1
    calendar_path: str | None = None

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> "WorkRules":
        return cls(lease=timedelta(minutes=settings.claim_lease_minutes),
                   rating_window=timedelta(days=settings.rating_window_days),
                   followup=FollowUpPolicy.from_settings(settings),
                   return_window_working_days=settings.return_window_working_days,
                   calendar_path=settings.calendar_overrides_path)


async def prepare(
    uow: UnitOfWork, principal: Principal, complaint_id: str, if_match: int | None, now: datetime,
    *, allowed: Collection[Relation], action: Action, reopened_before: bool | None = None,
) -> tuple[LoadedComplaint, Status]:
    ctx = await load(uow, principal, complaint_id, now)
    if if_match is None:
        raise PreconditionRequired()
    if ctx.rel not in allowed:
        raise Forbidden()
    complaint = ctx.complaint
    if complaint.version != if_match:
        raise StaleVersion(complaint.version)
    try:
        new = transition(complaint.status, action, reopened_before=bool(complaint.reopen_count)
                         if reopened_before is None else reopened_before)
    except IllegalTransition as exc:
        raise TransitionRefused(exc.status.value, _api_name(action),
                                next_actions(principal, ctx.rel, complaint, now)) from None
    return ctx, new


def _api_name(action: Action) -> str:
    return API_NAMES.get(action, action.value)


def require_lease(ctx: LoadedComplaint) -> None:
    """A handler acting on a claimed complaint must hold a live claim; a colleague's live claim is named."""
    complaint = ctx.complaint
    if complaint.status not in {s.value for s in LEASED}:
        return
    live = complaint.lease_until is not None and complaint.lease_until > ctx.now
    if complaint.claimed_by == ctx.principal.actor and live:
        return
    if complaint.claimed_by and complaint.claimed_by != ctx.principal.actor and live:
        raise LeaseHeld(complaint.claimed_by, complaint.lease_until)
    raise LeaseRequired()


async def apply_transition(
    ctx: LoadedComplaint, new: Status, history_action: str, detail: dict[str, Any], event: type[EventData] | None,
    *, event_fields: dict[str, Any] | None = None,
    extra_events: Collection[tuple[type[EventData], dict[str, Any]]] = (),
    **values: Any,
) -> int:
    """Write the transition guarded by the version read, its history entry and its events; returns the new version."""
    complaint = ctx.complaint
    if not await ctx.repo.update_if_version(complaint.id, complaint.version, ctx.now, status=new.value, **values):
        current = await ctx.repo.get(complaint.id)
        raise StaleVersion(current.version if current else complaint.version)
    version = complaint.version + 1
    department = values.get("department", complaint.department)
    actor = ctx.principal.actor
    await ctx.repo.record(complaint.id, ctx.now, actor, history_action, {**detail, "status": new.value,
                                                                            "version": version})
    for cls, fields in ([(event, event_fields or {})] if event else []) + list(extra_events):
        ctx.uow.outbox.add(cls(
            complaint_id=complaint.id, actor=actor, department=department, status=new.value, version=version,
            at=ctx.now, **fields,
        ), time=ctx.now)
    return version


def _renewed_lease(ctx: LoadedComplaint, policy: WorkRules) -> dict[str, Any]:
    return {"claimed_by": ctx.principal.actor, "lease_until": ctx.now + policy.lease}


# --- the lead department's handler ----------------------------------------------------------------------------------


async def claim(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.claim)
        c = ctx.complaint
        holder = c.claimed_by
        live = c.lease_until is not None and c.lease_until > now
        if holder and holder != p.actor and live and c.status in {s.value for s in LEASED}:
            raise LeaseHeld(holder, c.lease_until)
        taken_over = holder if holder and holder != p.actor and c.status in {s.value for s in LEASED} else None
        lease = _renewed_lease(ctx, policy)
        detail: dict[str, Any] = {"lease_until": lease["lease_until"].astimezone(SHANGHAI).isoformat()}
        if taken_over:
            detail["taken_over_from"] = taken_over
        await apply_transition(ctx, new, "claim_taken_over" if taken_over else "claimed", detail, ComplaintClaimedV1,
                     event_fields={"lease_until": lease["lease_until"]}, **lease)
        await uow.commit()


async def accept(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.accept)
        require_lease(ctx)
        await apply_transition(ctx, new, "accepted", {}, ComplaintAcceptedV1, accepted_at=ctx.complaint.accepted_at or now,
                     **_renewed_lease(ctx, policy))
        await uow.commit()


async def contact(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                  body: ContactBody) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.contact)
        require_lease(ctx)
        if body.note:
            await ctx.repo.add_message(cid, now, p.actor, p.department, "contact_note", body.note, to_filer=False)
        await apply_transition(ctx, new, "contacted", {"first": ctx.complaint.contacted_at is None}, ComplaintContactedV1,
                     contacted_at=ctx.complaint.contacted_at or now, **_renewed_lease(ctx, policy))
        await uow.commit()


async def request_info(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                       body: QuestionBody) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.request_info)
        require_lease(ctx)
        await ctx.repo.add_message(cid, now, p.actor, p.department, "question", body.question, to_filer=True)
        await apply_transition(ctx, new, "info_requested", {}, ComplaintInfoRequestedV1, **_renewed_lease(ctx, policy))
        await uow.commit()


async def answer(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                 body: AnswerBody) -> None:
    """Answer the filer: the complaint is resolved; its open duplicates are answered with it, each with its own
    ``complaint.answered`` event. The history names the reply template the answer came from, if any."""
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.answer)
        require_lease(ctx)
        template = await replies.answer_detail(uow.session, body.template_id, ctx.complaint.department)
        await ctx.repo.add_message(cid, now, p.actor, p.department, "answer", body.text, to_filer=True)
        has_contact = await ctx.repo.contact(cid) is not None
        await apply_transition(ctx, new, "answered", template, ComplaintAnsweredV1, event_fields={"has_contact": has_contact},
                     answered_at=now, lease_until=None)
        await followup.open_task(uow, ctx.complaint, now, policy.followup)
        for duplicate in await ctx.repo.linked_duplicates(cid):
            if duplicate.status not in {s.value for s in OPEN}:
                continue
            status = transition(duplicate.status, Action.answer_with_original)
            await ctx.repo.update(duplicate.id, now, status=status.value, answered_at=now, lease_until=None)
            await ctx.repo.add_message(duplicate.id, now, p.actor, p.department, "answer", body.text, to_filer=True)
            await ctx.repo.record(duplicate.id, now, p.actor, "answered_with_original", {
                "original_id": cid, "status": status.value, "version": duplicate.version + 1,
            })
            uow.outbox.add(ComplaintAnsweredV1(
                complaint_id=duplicate.id, actor=p.actor, department=duplicate.department, status=status.value,
                version=duplicate.version + 1, at=now,
                has_contact=await followup.open_task(uow, duplicate, now, policy.followup),
            ), time=now)
        await uow.commit()


async def add_cooperating(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                          body: CooperatingBody) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead}, action=Action.add_cooperating)
        require_lease(ctx)
        if body.department == ctx.complaint.department or body.department in ctx.cooperating:
            raise Conflict("That department already works on this complaint", "该部门已在办理此诉求",
                           department=body.department)
        await ctx.repo.add_cooperation(cid, body.department, now, p.actor)
        also = [*ctx.cooperating, body.department]
        await apply_transition(ctx, new, "cooperating_added", {"cooperating": body.department}, ComplaintCooperatingAddedV1,
                     event_fields={"cooperating": body.department}, also=also, **_renewed_lease(ctx, policy))
        await uow.commit()


async def add_note(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                   body: TextBody) -> None:
    """An internal note; a cooperating department adds its part this way. Not a transition: no event."""
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.lead, Relation.cooperating,
                                                                       Relation.oversight}, action=Action.note)
        if ctx.rel is Relation.oversight and p.role is not Role.supervisor:
            raise Forbidden()
        kind = "cooperation" if ctx.rel is Relation.cooperating else "note"
        department = p.department
        await ctx.repo.add_message(cid, now, p.actor, department, kind, body.text, to_filer=False)
        await apply_transition(ctx, new, "note", {"kind": kind, "department": department}, None)
        await uow.commit()


# --- dispatcher -----------------------------------------------------------------------------------------------------


async def dispatch(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                   body: DispatchBody) -> None:
    """Manual dispatch from triage (or re-dispatch before a handler claims it); the router turns it into
    ``complaint.routed`` and learns from it."""
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.oversight}, action=Action.dispatch)
        if not may_dispatch(p):
            raise Forbidden()
        c = ctx.complaint
        also = [d for d in dict.fromkeys(body.also) if d != body.department]
        financial = body.financial_service if body.financial_service is not None else bool(c.financial_service)
        township = body.township or c.assigned_township or c.township
        await apply_transition(
            ctx, new, "dispatched", {"department": body.department, "also": also, "financial_service": financial,
                                     "township": township}, None, department=None, claimed_by=None, lease_until=None,
        )
        uow.outbox.add(ComplaintDispatchedV1(
            complaint_id=cid, actor=p.actor, department=body.department, status=new.value, version=c.version + 1,
            at=now, also=also, financial_service=financial, township=township,
        ), time=now)
        await uow.commit()


# --- reads that are audited -----------------------------------------------------------------------------------------


async def read_contact(db: Database, p: Principal, cid: str, now: datetime) -> FilerContact:
    """The filer's contact data, unmasked, for the lead department's handlers and supervisors; every read is written
    to the complaint's history (who, when)."""
    async with db.unit_of_work() as uow:
        ctx = await load(uow, p, cid, now)
        if not sees_contact(p, ctx.rel):
            raise Forbidden("Only the handling department and supervisors see the filer's contact data",
                            "仅承办部门和督办人员可查看诉求人联系方式")
        contact_row = await ctx.repo.contact(cid)
        if contact_row is None:
            raise NotFound()
        await ctx.repo.record(cid, now, p.actor, "contact_viewed", {})
        await uow.commit()
    return contact_row
