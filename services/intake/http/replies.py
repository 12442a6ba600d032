"""Intake's HTTP endpoints for reply templates (答复模板): supervisors and admins keep a department's templates
(create, list, change, retire); its handlers list them and render one for a complaint, then answer with
``POST /v1/complaints/{id}/answer`` and the ``template_id``.

The endpoints only translate HTTP into the functions of ``replies.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.intake import replies
from services.intake.http.deps import CallerDep, DatabaseDep
from services.intake.schemas.replies import RenderedReply, TemplateCreate, TemplateUpdate, TemplateView
from shared import clock
from shared.problems import responses

router = APIRouter(prefix="/v1", tags=["reply templates"], responses=responses(422, 503))


@router.post("/departments/{department_id}/reply-templates", status_code=201, response_model=TemplateView,
             responses=responses(400, 401, 403, 404, 413))
async def create_template(department_id: str, body: TemplateCreate, db: DatabaseDep, caller: CallerDep
                          ) -> TemplateView:
    """Supervisors and admins: a new template of the department (placeholders: ``{filer_name}``,
    ``{tracking_number}``, ``{department}``)."""
    return await replies.create(db, caller, department_id, body, clock.now())


@router.get("/departments/{department_id}/reply-templates", response_model=list[TemplateView],
            responses=responses(401, 404))
async def list_templates(department_id: str, db: DatabaseDep, caller: CallerDep,
                         retired: Annotated[bool, Query(description="also retired ones (supervisors, admins)")] = False
                         ) -> list[TemplateView]:
    """The department's templates by name: for its handlers, supervisors and admins."""
    return await replies.listing(db, caller, department_id, retired=retired)


@router.patch("/reply-templates/{template_id}", response_model=TemplateView,
              responses=responses(400, 401, 403, 404, 409, 413))
async def change_template(template_id: str, body: TemplateUpdate, db: DatabaseDep, caller: CallerDep
                          ) -> TemplateView:
    """Supervisors and admins: change a template's name or text (a retired one: 409)."""
    return await replies.change(db, caller, template_id, body, clock.now())


@router.post("/reply-templates/{template_id}/retire", response_model=TemplateView,
             responses=responses(401, 403, 404))
async def retire_template(template_id: str, db: DatabaseDep, caller: CallerDep) -> TemplateView:
    """Supervisors and admins: offer the template no more (answers that name it keep naming it)."""
    return await replies.retire(db, caller, template_id, clock.now())


@router.get("/complaints/{complaint_id}/reply-templates/{template_id}", response_model=RenderedReply,
            responses=responses(401, 403, 404))
async def render_template(complaint_id: str, template_id: str, db: DatabaseDep, caller: CallerDep) -> RenderedReply:
    """The lead department's handler: the template filled for this complaint, to edit and send as the answer with
    its ``template_id``. ``{filer_name}`` is the enterprise's name as filed: rendering reads no contact data."""
    return await replies.render(db, caller, complaint_id, template_id, clock.now())
