"""Intake's HTTP endpoints: file a complaint, read its status and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from services.intake import metrics
from services.intake.errors import error_body, problem
from services.intake.lifecycle import status_zh
from services.intake.models import Complaint
from services.intake.repository import ComplaintRepository
from services.intake.schemas import ComplaintCreate, ComplaintCreated, ComplaintView, HistoryItem, mask_mobile
from services.intake.service import IdempotencyConflict, file_complaint
from shared import clock
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.db import Database

router = APIRouter(prefix="/v1", tags=["complaints"])


def get_db(request: Request) -> Database:
    return request.app.state.runtimes["intake"].db


DatabaseDep = Annotated[Database, Depends(get_db)]

_NOT_FOUND = ("not_found", "No such complaint", "未找到该诉求")


@router.post("/complaints", status_code=201, response_model=ComplaintCreated)
async def create_complaint(
    body: ComplaintCreate,
    db: DatabaseDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JSONResponse:
    try:
        filed = await file_complaint(db, body, idempotency_key=idempotency_key, now=clock.now())
    except IdempotencyConflict:
        metrics.REJECTED.labels("idempotency_conflict").inc()
        return JSONResponse(status_code=422, content=error_body([{
            "field": "Idempotency-Key", "code": "idempotency_key_reused",
            "message": "This Idempotency-Key was already used for a different complaint",
            "message_zh": "该幂等键已用于另一件不同的诉求",
        }]))
    complaint = filed.complaint
    if not filed.replayed:
        metrics.ACCEPTED.labels(complaint.channel).inc()
    created = ComplaintCreated(
        id=complaint.id, tracking_number=complaint.tracking_number, status=complaint.status,
        received_at=complaint.received_at,
    )
    headers = {"Location": f"/v1/complaints/{complaint.id}"}
    if filed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(status_code=201, content=created.model_dump(mode="json"), headers=headers)


@router.get("/complaints/{complaint_id}", response_model=ComplaintView)
async def get_complaint(complaint_id: str, db: DatabaseDep) -> ComplaintView | JSONResponse:
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow.session)
        complaint = await repo.get(complaint_id)
        if complaint is None:
            return problem(404, *_NOT_FOUND)
        contact = await repo.contact(complaint_id)
    return view(complaint, masked_mobile=mask_mobile(contact.mobile) if contact else None)


@router.get("/complaints/{complaint_id}/history", response_model=list[HistoryItem])
async def get_history(complaint_id: str, db: DatabaseDep) -> list[HistoryItem] | JSONResponse:
    async with db.unit_of_work() as uow:
        repo = ComplaintRepository(uow.session)
        if await repo.get(complaint_id) is None:
            return problem(404, *_NOT_FOUND)
        entries = await repo.history(complaint_id)
    return [HistoryItem(at=e.at, actor=e.actor, action=e.action, detail=e.detail) for e in entries]


def view(complaint: Complaint, *, masked_mobile: str | None) -> ComplaintView:
    department_name = None
    if complaint.department:
        department_name = load_catalog().get(complaint.department).name
    return ComplaintView(
        id=complaint.id,
        tracking_number=complaint.tracking_number,
        title=complaint.title,
        channel=complaint.channel,
        status=complaint.status,
        status_zh=status_zh(complaint.status),
        department=complaint.department,
        department_name=department_name,
        also=list(complaint.also or []),
        township=complaint.assigned_township or complaint.township,
        financial_service=complaint.financial_service,
        sla_policy=complaint.sla_policy,
        due_at=complaint.due_at.astimezone(SHANGHAI) if complaint.due_at else None,
        overdue=complaint.overdue,
        received_at=complaint.received_at.astimezone(SHANGHAI),
        updated_at=complaint.updated_at.astimezone(SHANGHAI),
        version=complaint.version,
        filer={"enterprise_name": complaint.enterprise_name, "mobile": masked_mobile},
    )

