"""The workbench's pages (GET): the queues and a complaint's page, and the filer's contact on an explicit, audited
request.

- ``/workbench`` — a handler's department queue, most urgent first, with each clock's time left, overdue and
  due-within-a-working-day rows marked, and the complaints the department cooperates on; a dispatcher's (or
  supervisor's) triage queue with the router's candidates and their reasons, a dispatch form on each row, and any
  department's queue to look at (``?department=``).
- ``/workbench/complaints/{id}`` — the text, the router's decision and its reasons, the SLA clocks, messages, history,
  and a form for every action the caller may take now (``next_actions`` of the API).
- ``/workbench/complaints/{id}/contact`` — the filer's name and number, written to the history as the API's read is.

Every read goes through the JSON API's own functions (``http/complaints.py``, ``http/work.py``), so a page shows exactly what the
caller may see there; a complaint the caller may not see is the 404 page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake import commands, replies
from services.intake.http import complaints as complaints_http
from services.intake.http import work
from services.intake.attachments import ADDERS, attachments_of
from services.intake.http.attachments import attachment_desk
from services.intake.http.deps import DatabaseDep
from services.intake.errors import IntakeError, NotFound
from services.intake.pages import clocks, shown
from services.intake.pages.session import PAGES, PATH, HERE, Staff, StaffDep
from services.intake.domain.lifecycle import Status
from services.intake.schemas.replies import TemplateView
from services.intake.schemas import ComplaintView, show_mobile
from shared import clock
from shared.auth import Principal, Role
from shared.calendar import WorkingCalendar
from shared.db import Database
from shared.vocabulary import ACTION_NAMES, ATTACHMENT_KINDS, actor_name, size_text

STATIC = {"workbench.css": "text/css; charset=utf-8"}
#: Queue rows a page shows.
QUEUE_ROWS = 100

#: What a form done says, by the ``done`` it redirects with.
DONE = {**ACTION_NAMES, "attach": "添加附件"}

router = APIRouter(prefix=PATH, include_in_schema=False)


def calendar(request: Request) -> WorkingCalendar:
    state = request.app.state
    found = getattr(state, "workbench_calendar", None)
    if found is None:
        path = getattr(state.intake_settings, "calendar_overrides_path", None)
        found = state.workbench_calendar = WorkingCalendar.load(path) if path else WorkingCalendar.load()
    return found


def page(request: Request, template: str, staff: Staff | None, status_code: int = 200, **values: Any) -> Response:
    return PAGES.TemplateResponse(request, template, {"staff": staff, **values}, status_code=status_code)


def refusal_page(request: Request, staff: Staff, exc: IntakeError) -> Response:
    """A refusal as a page: the 404 page for what the caller may not see, else the refusal's own words."""
    if isinstance(exc, NotFound):
        return page(request, "error.html", staff, 404, title="未找到", message="未找到该诉求或页面，或您无权查看。")
    return page(request, "error.html", staff, exc.status, title="无法办理", message=exc.zh_text)


def done_notice(done: str | None) -> str:
    return f"{DONE[done]}：已完成" if done in DONE else ""


@router.get("")
async def queue_page(request: Request, db: DatabaseDep, staff: StaffDep, department: str | None = None,
                     done: str | None = None) -> Response:
    p, now, cal = staff.principal, clock.now(), calendar(request)
    if p.role is Role.operator:
        return RedirectResponse(f"{PATH}/operator", status_code=303)
    if p.role is Role.followup:
        return RedirectResponse(f"{PATH}/followups", status_code=303)
    sections: list[dict[str, Any]] = []
    try:
        if p.role is Role.handler:
            lead = await work.department_queue(p.department, db, p, limit=QUEUE_ROWS)
            cooperating = await work.cooperating_queue(p.department, db, p, limit=QUEUE_ROWS)
            sections.append({"title": "本部门待办（最紧急的在前）", "kind": "lead", "rows": lead.items})
            sections.append({"title": "本部门协办（只读，可添加协办意见）", "kind": "cooperating",
                             "rows": cooperating.items})
        else:
            triage = await work.triage_queue(db, p, limit=QUEUE_ROWS)
            sections.append({"title": "待人工分派（先到先办）", "kind": "triage", "rows": triage.items})
            review = await work.return_review_queue(db, p, limit=QUEUE_ROWS)
            sections.append({"title": "退回待审核（最紧急的在前，审核期间时限照常计算）", "kind": "review",
                             "rows": review.items})
            if department:
                chosen = await work.department_queue(department, db, p, limit=QUEUE_ROWS)
                sections.append({"title": f"{shown.names().get(department, department)} 待办", "kind": "lead",
                                 "rows": chosen.items})
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    for section in sections:
        row = shown.review_row if section["kind"] == "review" else shown.queue_row
        section["rows"] = [row(item, now, cal) for item in section["rows"]]
    return page(request, "queue.html", staff, sections=sections, notice=done_notice(done),
                departments=shown.departments(), townships=shown.townships(), chosen=department or "",
                may_dispatch=p.role in (Role.dispatcher, Role.supervisor))


async def answer_choices(db: Database, p: Principal, view: ComplaintView, template: str | None,
                         values: dict[str, dict[str, Any]]) -> tuple[list[TemplateView], str]:
    """The department's templates for the answer form; with ``template`` picked, the answer's values become the
    template rendered for the complaint (the draft to edit) — or a refusal saying why it could not be."""
    if "answer" not in view.next_actions or not view.department:
        return [], ""
    offered = await replies.listing(db, p, view.department, retired=False)
    if not template:
        return offered, ""
    try:
        draft = await replies.render(db, p, view.id, template, clock.now())
    except IntakeError as exc:
        return offered, exc.zh_text
    values["answer"] = {"text": draft.text, "template_id": draft.template_id}
    return offered, ""


async def attachment_rows(db: Database, p: Principal, view: ComplaintView) -> tuple[list[dict[str, Any]], bool]:
    """The complaint's attachments as the page lists them, and whether the caller may add one now."""
    rel, found = await attachments_of(db, p, view.id)
    names = shown.names()
    rows = [{"number": a.number, "kind": ATTACHMENT_KINDS.get(a.kind, a.kind), "size": size_text(a.size),
             "at": shown.when(a.added_at), "by": actor_name(a.added_by, names),
             "url": f"{PATH}/complaints/{view.id}/attachments/{a.number}"} for a in found]
    return rows, rel in ADDERS and view.status != Status.closed.value


async def complaint_page(request: Request, db: Database, staff: Staff, complaint_id: str, *, status_code: int = 200,
                         notice: str = "", refusal: str = "", conflict: bool = False,
                         errors: dict[str, dict[str, str]] | None = None,
                         values: dict[str, dict[str, Any]] | None = None, template: str | None = None,
                         caller: Principal | None = None) -> Response:
    """A complaint's page as the caller may see it, with a form for each action they may take now; a refused form
    comes back with its values, its errors by field, or the conflict notice and the fresh version. ``caller`` (a
    filer's access an operator opened for a caller on the line) shows the page as that caller sees it, read-only."""
    p, values = caller or staff.principal, dict(values or {})
    try:
        view = await complaints_http.complaint_shown(db, p, complaint_id)
        history = await complaints_http.get_history(complaint_id, db, p)
        messages = await complaints_http.get_messages(complaint_id, db, p)
        templates, not_rendered = await answer_choices(db, p, view, template, values)
        attachments, may_attach = await attachment_rows(db, p, view)
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    now = clock.now()
    department_names = shown.names()
    staff_side = caller is None and p.role is not Role.operator
    return page(
        request, "complaint.html", staff, status_code, c=view, notice=notice, refusal=refusal or not_rendered,
        conflict=conflict, errors=errors or {}, values=values, actions=view.next_actions if staff_side else [],
        names=department_names, department=department_names.get(view.department or "", "尚未分派"),
        cooperating=[department_names.get(d, d) for d in view.cooperating],
        claimed_by=actor_name(view.claimed_by, department_names) if view.claimed_by else "",
        lease_until=shown.when(view.lease_until), received=shown.when(view.received_at),
        mine=view.claimed_by == p.actor and bool(view.lease_until and view.lease_until > now),
        clocks=clocks.clocks(history, view.due_at, view.overdue, now, calendar(request)),
        decision=shown.decision(history), candidates=shown.candidates(view.candidates), review=shown.review(history),
        history=shown.history_rows(history), messages=shown.message_rows(messages),
        shows_contact=staff_side and (view.role == "lead" or p.role is Role.supervisor),
        departments=shown.departments(), townships=shown.townships(), templates=templates,
        attachments=attachments, may_attach=may_attach and caller is None,
        max_size=size_text(attachment_desk(request).rules.max_bytes),
    )


@router.get("/complaints/{complaint_id}")
async def complaint(request: Request, complaint_id: str, db: DatabaseDep, staff: StaffDep,
                    done: str | None = None, template: str | None = None) -> Response:
    return await complaint_page(request, db, staff, complaint_id, notice=done_notice(done), template=template)


@router.get("/complaints/{complaint_id}/contact")
async def contact(request: Request, complaint_id: str, db: DatabaseDep, staff: StaffDep) -> Response:
    """The filer's contact, unmasked, on this explicit request only; the read is written to the history."""
    try:
        row = await commands.read_contact(db, staff.principal, complaint_id, clock.now())
        view = await complaints_http.complaint_shown(db, staff.principal, complaint_id)
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    return page(request, "contact.html", staff, c=view, name=row.contact_name, number=show_mobile(row.mobile),
                id_number=row.id_number)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache"})
