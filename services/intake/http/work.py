"""Intake's HTTP endpoints for working complaints: the lifecycle actions (each takes ``If-Match`` with the version
and answers with the updated complaint and its new ``ETag``), the department work queues and the dispatcher's triage.

The endpoints only translate HTTP into the commands of ``commands.py`` and queue reads of ``queue.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import StringConstraints
from fastapi.responses import JSONResponse

from services.intake import commands, filer_commands, returns
from services.intake.domain.access import Relation, may_dispatch, may_view_queue
from services.intake.http.complaints import render
from services.intake.http.deps import CallerDep, DatabaseDep, IfMatchDep, WorkRulesDep
from services.intake.errors import NotFound
from services.intake.domain.lifecycle import WORKING, Status
from services.intake.queue import QueueFilter, page, parse_statuses
from services.intake.schemas.replies import AnswerBody
from services.intake.review_queue import ReturnQueuePage, review_page
from services.intake.schemas import (
    ComplaintView,
    ContactBody,
    CooperatingBody,
    DispatchBody,
    QuestionBody,
    QueuePage,
    RatingBody,
    ReturnBody,
    TextBody,
)
from shared import clock
from shared.auth import Principal
from shared.catalog import CENTER_ID, load_catalog
from shared.instants import LocalInstant
from shared.problems import responses

router = APIRouter(prefix="/v1", tags=["work"], responses=responses(422, 503))

#: What an action may answer besides 200: a body that is not even text, no or a bad token, a role that may not, not the caller's to see, not allowed
#: now (the allowed actions listed) or claimed by a colleague, a stale or missing If-Match, a body too large.
_ACTION_RESPONSES = responses(400, 401, 403, 404, 409, 412, 413, 428)


async def _run(command: Callable[..., Awaitable[None]], db, caller: Principal, complaint_id: str,
               version: int | None, policy, *body: Any, acted_as: Relation | None = None) -> JSONResponse:
    await command(db, caller, complaint_id, version, clock.now(), policy, *body)
    return await render(db, caller, complaint_id, acted_as=acted_as)


def _action(path: str, summary: str):
    return router.post(f"/complaints/{{complaint_id}}/{path}", response_model=ComplaintView, summary=summary,
                       responses=_ACTION_RESPONSES)


@_action("claim", "Claim (签收) with a lease; a lapsed lease may be taken over by a colleague")
async def claim(complaint_id: str, db: DatabaseDep, caller: CallerDep, version: IfMatchDep, policy: WorkRulesDep):
    return await _run(commands.claim, db, caller, complaint_id, version, policy)


@_action("accept", "Accept (受理): the department works on it")
async def accept(complaint_id: str, db: DatabaseDep, caller: CallerDep, version: IfMatchDep, policy: WorkRulesDep):
    return await _run(commands.accept, db, caller, complaint_id, version, policy)


@_action("contact", "Record the call to the filer (the 1-day contact milestone)")
async def contact(complaint_id: str, db: DatabaseDep, caller: CallerDep, version: IfMatchDep, policy: WorkRulesDep,
                  body: ContactBody | None = None):
    return await _run(commands.contact, db, caller, complaint_id, version, policy, body or ContactBody())


@_action("request-info", "Ask the filer a question; their supplement answers it")
async def request_info(complaint_id: str, body: QuestionBody, db: DatabaseDep, caller: CallerDep,
                       version: IfMatchDep, policy: WorkRulesDep):
    return await _run(commands.request_info, db, caller, complaint_id, version, policy, body)


@_action("supplement", "The filer adds information (answers an open question)")
async def supplement(complaint_id: str, body: TextBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                     policy: WorkRulesDep):
    return await _run(filer_commands.supplement, db, caller, complaint_id, version, policy, body)


@_action("answer", "Answer the filer (答复): resolves the complaint and its duplicates")
async def answer(complaint_id: str, body: AnswerBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                 policy: WorkRulesDep):
    return await _run(commands.answer, db, caller, complaint_id, version, policy, body)


@_action("return", "Return (退回) a misrouted complaint, with a reason and optionally the right department: it goes "
                  "to the center's review")
async def return_(complaint_id: str, body: ReturnBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                  policy: WorkRulesDep):
    return await _run(returns.request_return, db, caller, complaint_id, version, policy, body, acted_as=Relation.lead)


@_action("approve-return", "Dispatcher: approve a return (同意退回); the router re-routes it and learns the department")
async def approve_return(complaint_id: str, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                         policy: WorkRulesDep, body: returns.ApproveReturnBody | None = None):
    return await _run(returns.approve_return, db, caller, complaint_id, version, policy,
                      body or returns.ApproveReturnBody())


@_action("reject-return", "Dispatcher: reject a return (驳回退回) with a reason; the same department handles it")
async def reject_return(complaint_id: str, body: returns.ReasonBody, db: DatabaseDep, caller: CallerDep,
                        version: IfMatchDep, policy: WorkRulesDep):
    return await _run(returns.reject_return, db, caller, complaint_id, version, policy, body)


@_action("permit-return", "Supervisor: permit the lead department's next return beyond the rules (准予退回)")
async def permit_return(complaint_id: str, body: returns.ReasonBody, db: DatabaseDep, caller: CallerDep,
                        version: IfMatchDep, policy: WorkRulesDep):
    return await _run(returns.permit_return, db, caller, complaint_id, version, policy, body)


@_action("cooperating", "Add a cooperating (协办) department")
async def add_cooperating(complaint_id: str, body: CooperatingBody, db: DatabaseDep, caller: CallerDep,
                          version: IfMatchDep, policy: WorkRulesDep):
    return await _run(commands.add_cooperating, db, caller, complaint_id, version, policy, body)


@_action("notes", "Add an internal note (a cooperating department adds its part this way)")
async def add_note(complaint_id: str, body: TextBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                   policy: WorkRulesDep):
    return await _run(commands.add_note, db, caller, complaint_id, version, policy, body)


@_action("dispatch", "Dispatcher: place the complaint by hand (from triage, or re-dispatch before it is claimed)")
async def dispatch(complaint_id: str, body: DispatchBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                   policy: WorkRulesDep):
    return await _run(commands.dispatch, db, caller, complaint_id, version, policy, body)


@_action("rating", "The filer rates the answer: 满意 / 基本满意 close it; 不满意 reopens it once")
async def rating(complaint_id: str, body: RatingBody, db: DatabaseDep, caller: CallerDep, version: IfMatchDep,
                 policy: WorkRulesDep):
    return await _run(filer_commands.rate, db, caller, complaint_id, version, policy, body)


# --- queues ---------------------------------------------------------------------------------------------------------

#: The status filter's values as a pattern: the OpenAPI document tells clients what the server accepts.
STATUS_LIST_PATTERN = "^({0})(,({0}))*$".format("|".join(s.value for s in Status))
StatusQuery = Annotated[list[Annotated[str, StringConstraints(pattern=STATUS_LIST_PATTERN)]] | None, Query(
    description="status filter, repeated or comma-separated")]
OverdueQuery = Annotated[bool | None, Query(description="only overdue (true) or only on time (false)")]
DueBeforeQuery = Annotated[LocalInstant | None, Query(
    description="only complaints due before this instant (ISO 8601; without an offset, Asia/Shanghai time)")]
CursorQuery = Annotated[str | None, Query(description="next_cursor of the previous page", pattern="^[A-Za-z0-9_-]+$")]
LimitQuery = Annotated[int, Query(ge=1, le=200)]


def _department_or_404(caller: Principal, department_id: str) -> None:
    if department_id not in load_catalog() or not may_view_queue(caller, department_id):
        raise NotFound("No such department queue", "未找到该部门的工作队列")


@router.get("/departments/{department_id}/queue", response_model=QueuePage, responses=responses(401, 404))
async def department_queue(
    department_id: str, db: DatabaseDep, caller: CallerDep, status: StatusQuery = None,
    overdue: OverdueQuery = None, due_before: DueBeforeQuery = None, cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> QueuePage:
    """The complaints the department handles (lead), most urgent first (deadline ascending, none last); by default
    the ones still being worked. Mobile numbers are masked."""
    _department_or_404(caller, department_id)
    filters = QueueFilter(parse_statuses(status, WORKING), overdue, due_before)
    return await page(db, now=clock.now(), filters=filters, cursor=cursor, limit=limit, role="lead",
                      department=department_id, township=caller.township_name)


@router.get("/departments/{department_id}/cooperating", response_model=QueuePage, responses=responses(401, 404))
async def cooperating_queue(
    department_id: str, db: DatabaseDep, caller: CallerDep, status: StatusQuery = None,
    overdue: OverdueQuery = None, due_before: DueBeforeQuery = None, cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> QueuePage:
    """The complaints the department cooperates on (协办): read-only; it adds its part as notes."""
    _department_or_404(caller, department_id)
    filters = QueueFilter(parse_statuses(status, WORKING), overdue, due_before)
    return await page(db, now=clock.now(), filters=filters, cursor=cursor, limit=limit, role="cooperating",
                      cooperating_department=department_id, township=caller.township_name)


@router.get("/triage", response_model=QueuePage, responses=responses(401, 404))
async def triage_queue(
    db: DatabaseDep, caller: CallerDep, cursor: CursorQuery = None, limit: LimitQuery = 50,
) -> QueuePage:
    """The dispatcher's queue: complaints the router could not place with confidence, oldest first, with the router's
    candidates. Dispatch each with ``POST /v1/complaints/{id}/dispatch``."""
    if not may_dispatch(caller) and not may_view_queue(caller, CENTER_ID):
        raise NotFound("No such queue", "未找到该队列")
    filters = QueueFilter((Status.triage.value,))
    return await page(db, now=clock.now(), filters=filters, cursor=cursor, limit=limit, role="triage",
                      order="received_at")


@router.get("/returns", response_model=ReturnQueuePage, responses=responses(401, 404))
async def return_review_queue(
    db: DatabaseDep, caller: CallerDep, cursor: CursorQuery = None, limit: LimitQuery = 50,
) -> ReturnQueuePage:
    """The center's review queue of returns (派单异议审核), most urgent first, each with the return's reason and
    suggested department. Decide each with ``approve-return`` or ``reject-return``."""
    if not may_dispatch(caller) and not may_view_queue(caller, CENTER_ID):
        raise NotFound("No such queue", "未找到该队列")
    return await review_page(db, now=clock.now(), cursor=cursor, limit=limit)
