"""Reply templates (答复模板): a department's stock answers, kept by supervisors and admins, rendered for a complaint
by its handler, who edits the draft and answers with it.

The placeholders are a fixed set (``schemas.replies.PLACEHOLDERS``). ``{filer_name}`` is filled with the enterprise's
name as filed — what everyone who sees the complaint already sees — not with the contact person's name: rendering a
template is not a read of the contact data (no ``contact_viewed``), and the answer, which the cooperating departments,
dispatchers and admins read in the correspondence, carries no contact data unless the handler, who may read it
(audited), types it in.

A retired template is offered no more and cannot be changed; its row stays, since answers name the template they
came from. Answering with ``template_id`` records the template (id and name) in the ``answered`` history entry; the
text sent is the one the handler confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.loaded import load
from services.intake.domain.access import Relation, may_manage_templates, may_read_templates
from services.intake.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.intake.models import Complaint, ReplyTemplate
from services.intake.schemas.replies import (
    PLACEHOLDERS,
    RenderedReply,
    TemplateCreate,
    TemplateUpdate,
    TemplateView,
    placeholders,
)
from services.intake.views import department_name
from shared.auth import Principal
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.db import Database
from shared.ids import new_id

TEMPLATE = ReplyTemplate.__table__
INSERT_TEMPLATE = insert(TEMPLATE)


class TemplateNotFound(NotFound):
    code, en, zh = "template_not_found", "No such reply template", "未找到该答复模板"


def view(row: ReplyTemplate) -> TemplateView:
    return TemplateView(
        id=row.id, department=row.department, name=row.name, text=row.text,
        placeholders=list(dict.fromkeys(placeholders(row.text))), created_at=row.created_at.astimezone(SHANGHAI),
        created_by=row.created_by, updated_at=row.updated_at.astimezone(SHANGHAI), updated_by=row.updated_by,
        retired_at=row.retired_at.astimezone(SHANGHAI) if row.retired_at else None,
    )


def fill(text: str, values: dict[str, str]) -> str:
    """The template's text with each placeholder replaced by its value (the text was checked when it was kept)."""
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values[name])
    return text


def _department_or_404(principal: Principal, department: str) -> None:
    if department not in load_catalog() or not may_read_templates(principal, department):
        raise NotFound("No such department", "未找到该部门")


def _manager(principal: Principal) -> None:
    if not may_manage_templates(principal):
        raise Forbidden("Only supervisors and admins keep reply templates", "仅督办人员和管理员可维护答复模板")


async def _get(session: AsyncSession, principal: Principal, template_id: str) -> ReplyTemplate:
    row = await session.get(ReplyTemplate, template_id, populate_existing=True)
    if row is None or not may_read_templates(principal, row.department):
        raise TemplateNotFound()
    return row


# --- kept by supervisors and admins ---------------------------------------------------------------------------------


async def create(db: Database, p: Principal, department: str, body: TemplateCreate, now: datetime) -> TemplateView:
    _department_or_404(p, department)
    _manager(p)
    row = {"id": new_id(), "department": department, "name": body.name, "text": body.text,
           "created_at": now, "created_by": p.actor, "updated_at": now, "updated_by": p.actor, "retired_at": None}
    async with db.unit_of_work() as uow:
        uow.write(INSERT_TEMPLATE, row)
        await uow.commit()
    return view(ReplyTemplate(**row))  # the template as written: nothing is read back


async def listing(db: Database, p: Principal, department: str, *, retired: bool) -> list[TemplateView]:
    """The department's templates by name; retired ones too when asked, for those who keep them."""
    _department_or_404(p, department)
    query = select(ReplyTemplate).where(ReplyTemplate.department == department)
    if not (retired and may_manage_templates(p)):
        query = query.where(ReplyTemplate.retired_at.is_(None))
    async with db.unit_of_work() as uow:
        rows = (await uow.session.scalars(query.order_by(ReplyTemplate.name, ReplyTemplate.id))).all()
    return [view(row) for row in rows]


async def change(db: Database, p: Principal, template_id: str, body: TemplateUpdate, now: datetime) -> TemplateView:
    values: dict[str, Any] = body.model_dump(exclude_none=True)
    async with db.unit_of_work() as uow:
        row = await _get(uow.session, p, template_id)
        _manager(p)
        if row.retired_at is not None:
            raise Conflict("A retired template is not changed; keep a new one", "已停用的模板不能修改，请新建模板",
                           template_id=template_id)
        if values:  # immediate: the answer is the template read back after it
            await uow.session.execute(update(TEMPLATE).where(TEMPLATE.c.id == template_id)
                                      .values(updated_at=now, updated_by=p.actor, **values))
            row = await _get(uow.session, p, template_id)
        await uow.commit()
    return view(row)


async def retire(db: Database, p: Principal, template_id: str, now: datetime) -> TemplateView:
    """Offer the template no more (retiring a retired one changes nothing)."""
    async with db.unit_of_work() as uow:
        row = await _get(uow.session, p, template_id)
        _manager(p)
        if row.retired_at is None:  # immediate: the answer is the template read back after it
            await uow.session.execute(update(TEMPLATE).where(TEMPLATE.c.id == template_id)
                                      .values(retired_at=now, updated_at=now, updated_by=p.actor))
            row = await _get(uow.session, p, template_id)
        await uow.commit()
    return view(row)


# --- used by the lead department's handlers -------------------------------------------------------------------------


async def render(db: Database, p: Principal, complaint_id: str, template_id: str, now: datetime) -> RenderedReply:
    """A template of the complaint's department, filled for it: for the lead department's handlers (403 for others
    who see the complaint, 404 for those who do not)."""
    async with db.unit_of_work() as uow:
        ctx = await load(uow, p, complaint_id, now)
        if ctx.rel is not Relation.lead:
            raise Forbidden("Only the handling department answers with its templates", "仅承办部门可使用答复模板")
        row = await _get(uow.session, p, template_id)
    complaint = ctx.complaint
    if row.department != complaint.department or row.retired_at is not None:
        raise TemplateNotFound()
    return RenderedReply(template_id=row.id, name=row.name, text=fill(row.text, values_for(complaint)))


def values_for(complaint: Complaint) -> dict[str, str]:
    return {"filer_name": complaint.enterprise_name, "tracking_number": complaint.tracking_number,
            "department": department_name(complaint.department) or ""}


async def answer_detail(session: AsyncSession, template_id: str | None, department: str | None) -> dict[str, Any]:
    """What the ``answered`` history entry records of the template an answer came from: a template of the complaint's
    department (one retired since it was picked still counts); any other id is a field error."""
    if template_id is None:
        return {}
    row = await session.get(ReplyTemplate, template_id)
    if row is None or row.department != department:
        raise Unprocessable("template_id", "template_unknown", "No reply template of this department has this id",
                            "本部门没有该编号的答复模板")
    return {"template_id": row.id, "template_name": row.name}
