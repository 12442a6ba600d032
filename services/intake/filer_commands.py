"""What the filer does on a complaint — supplement (补充材料) and rate the answer (满意 / 基本满意 / 不满意, also when a
follow-up call records it for the filer) — and the sweep closing answered complaints nobody rated within the window.

Like the staff's commands (``commands.py``), each runs in one unit of work through the same guarded transition.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from services.intake.domain.access import Relation
from services.intake.commands import SYSTEM, WorkRules, apply_transition, prepare
from services.intake.errors import Unprocessable
from services.intake.domain.lifecycle import Action, Status, transition
from services.intake.schemas import Rating, RatingBody, TextBody
from services.intake.store import ComplaintRepository
from shared.auth import Principal
from shared.db import Database, UnitOfWork
from shared.events import ComplaintClosedV1, ComplaintRatedV1, ComplaintReopenedV1, ComplaintSupplementedV1


# --- the filer ----------------------------------------------------------------------------------------------------------


async def supplement(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
                     body: TextBody) -> None:
    async with db.unit_of_work() as uow:
        ctx, new = await prepare(uow, p, cid, if_match, now, allowed={Relation.filer, Relation.operator},
                                  action=Action.supplement)
        await ctx.repo.add_message(cid, now, p.actor, None, "supplement", body.text, to_filer=True)
        answers_question = ctx.complaint.status == Status.awaiting_info.value
        await apply_transition(ctx, new, "supplemented", {"answers_question": answers_question}, ComplaintSupplementedV1)
        await uow.commit()


async def rate(db: Database, p: Principal, cid: str, if_match: int | None, now: datetime, policy: WorkRules,
               body: RatingBody) -> None:
    """回访 rating. 满意 / 基本满意 close the complaint; 不满意 reopens it once (with the reason, which notifies the
    supervisors through ``complaint.reopened``); a second 不满意 closes it with that rating."""
    async with db.unit_of_work() as uow:
        await rate_in(uow, p, cid, if_match, now, body, allowed={Relation.filer, Relation.operator})
        await uow.commit()


async def rate_in(uow: UnitOfWork, p: Principal, cid: str, if_match: int | None, now: datetime, body: RatingBody,
                  *, allowed: Collection[Relation]) -> None:
    """The rating inside an open unit of work: the filer's own, and the follow-up staff's by phone (回访)."""
    dissatisfied = body.rating is Rating.dissatisfied
    if dissatisfied and not body.reason:
        raise Unprocessable("reason", "reason_required", "Say why you are dissatisfied", "请说明不满意的理由")
    action = Action.rate_dissatisfied if dissatisfied else Action.rate_satisfied
    ctx, new = await prepare(uow, p, cid, if_match, now, allowed=allowed, action=action)
    c = ctx.complaint
    rating = body.rating.value
    if body.reason:
        await ctx.repo.add_message(cid, now, p.actor, None, "rating_reason", body.reason, to_filer=True)
    if new is Status.reopened:
        version = await apply_transition(
            ctx, new, "rated", {"rating": rating}, ComplaintRatedV1, event_fields={"rating": rating},
            extra_events=[(ComplaintReopenedV1, {"reason": body.reason})],
            rating=rating, reopen_count=c.reopen_count + 1, answered_at=None, claimed_by=None, lease_until=None,
        )
        await ctx.repo.record(cid, now, p.actor, "reopened", {"reason": body.reason, "notified": "supervisor",
                                                              "status": new.value, "version": version})
    else:
        version = await apply_transition(
            ctx, new, "rated", {"rating": rating}, ComplaintRatedV1, event_fields={"rating": rating},
            extra_events=[(ComplaintClosedV1, {"rating": rating})], rating=rating, closed_at=now,
        )
        await ctx.repo.record(cid, now, p.actor, "closed", {"rating": rating, "status": new.value,
                                                            "version": version})



# --- the sweep ------------------------------------------------------------------------------------------------------


async def close_unrated(db: Database, now: datetime, policy: WorkRules, limit: int = 200) -> int:
    """Close answered complaints nobody rated within the window (``complaint.closed`` with no rating). Idempotent:
    a complaint rated or closed meanwhile is skipped by the version guard."""
    closed = 0
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow)
        for complaint in await repo.unrated_answered(now - policy.rating_window, limit):
            new = transition(complaint.status, Action.close_unrated)
            if not await repo.update_if_version(complaint.id, complaint.version, now, status=new.value,
                                                closed_at=now):
                continue
            version = complaint.version + 1
            await repo.record(complaint.id, now, SYSTEM, "closed_unrated", {"status": new.value, "version": version})
            uow.outbox.add(ComplaintClosedV1(
                complaint_id=complaint.id, actor=SYSTEM, department=complaint.department, status=new.value,
                version=version, at=now, rating=None,
            ), time=now)
            closed += 1
        await uow.commit()
    return closed
