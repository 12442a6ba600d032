"""The workbench's page of reply templates (答复模板), for supervisors and admins: a department's templates (retired
ones too), a form to keep a new one, one to change each, and one to retire it — each calling the function the JSON
endpoint calls (``replies.py``), so every rule (placeholders, lengths, who may) is the API's own.

A refused form comes back with its errors by field and what was typed; done, it redirects (303) to the list.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.intake import replies
from services.intake.domain.access import may_manage_templates
from services.intake.http.deps import DatabaseDep
from services.intake.errors import Forbidden, IntakeError
from services.intake.pages import shown
from services.intake.pages.forms import field_errors, form_values
from services.intake.pages.session import PATH, PostedDep, Staff, StaffDep
from services.intake.pages.workbench import page, refusal_page
from services.intake.schemas.replies import PLACEHOLDERS, TemplateCreate, TemplateUpdate, TemplateView
from shared import clock
from shared.db import Database
from shared.problems import describe

PAGE = f"{PATH}/templates"
#: The form that keeps a new template, in the page's errors and values.
NEW = "new"
DONE = {"created": "已新建模板", "changed": "已保存修改", "retired": "已停用模板"}

router = APIRouter(prefix=PATH, include_in_schema=False)


def _manager(staff: Staff) -> None:
    if not may_manage_templates(staff.principal):
        raise Forbidden("Only supervisors and admins keep reply templates", "仅督办人员和管理员可维护答复模板")


async def templates_page(request: Request, db: Database, staff: Staff, department: str, *, status_code: int = 200,
                         notice: str = "", errors: dict[str, dict[str, str]] | None = None,
                         values: dict[str, dict[str, Any]] | None = None) -> Response:
    try:
        _manager(staff)
        rows = await replies.listing(db, staff.principal, department, retired=True) if department else []
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    listed = [{"id": t.id, "name": t.name, "text": t.text, "retired": t.retired_at is not None,
               "updated": shown.when(t.updated_at)} for t in rows]
    return page(request, "reply_templates.html", staff, status_code, department=department, rows=listed,
                departments=shown.departments(), notice=notice, errors=errors or {}, values=values or {},
                placeholders=["{" + name + "}" for name in PLACEHOLDERS])


@router.get("/templates")
async def list_page(request: Request, db: DatabaseDep, staff: StaffDep, department: str = "",
                    done: str = "") -> Response:
    return await templates_page(request, db, staff, department, notice=DONE.get(done, ""))


def _department(form: FormData) -> str:
    value = form.get("department")
    return value if isinstance(value, str) else ""


async def _keep(request: Request, db: Database, staff: Staff, form: FormData, key: str, keep) -> Response:
    """Validate the form against its body and keep it (``keep``); refused, the page with the errors by field."""
    department = _department(form)
    schema = TemplateCreate if key == NEW else TemplateUpdate
    values = form_values(form, schema)
    try:
        _manager(staff)
        kept = await keep(schema.model_validate(values))
    except ValidationError as exc:
        errors = field_errors(describe(list(exc.errors())))
    except IntakeError as exc:
        if exc.status != 422:
            return refusal_page(request, staff, exc)
        errors = field_errors(exc.extra.get("errors") or [])
    else:
        return RedirectResponse(f"{PAGE}?department={kept.department}&done={'created' if key == NEW else 'changed'}",
                                status_code=303)
    return await templates_page(request, db, staff, department, status_code=422, errors={key: errors},
                                values={key: values})


@router.post("/templates")
async def create(request: Request, db: DatabaseDep, posted: PostedDep) -> Response:
    staff, form = posted

    async def keep(body: TemplateCreate) -> TemplateView:
        return await replies.create(db, staff.principal, _department(form), body, clock.now())

    return await _keep(request, db, staff, form, NEW, keep)


@router.post("/templates/{template_id}")
async def change(request: Request, template_id: str, db: DatabaseDep, posted: PostedDep) -> Response:
    staff, form = posted

    async def keep(body: TemplateUpdate) -> TemplateView:
        return await replies.change(db, staff.principal, template_id, body, clock.now())

    return await _keep(request, db, staff, form, template_id, keep)


@router.post("/templates/{template_id}/retire")
async def retire(request: Request, template_id: str, db: DatabaseDep, posted: PostedDep) -> Response:
    staff, form = posted
    try:
        _manager(staff)
        kept = await replies.retire(db, staff.principal, template_id, clock.now())
    except IntakeError as exc:
        return refusal_page(request, staff, exc)
    return RedirectResponse(f"{PAGE}?department={kept.department}&done=retired", status_code=303)
