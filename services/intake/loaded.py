"""A complaint loaded for a command or a read beside them: the row, the caller's relation to it and its cooperating
departments, inside an open unit of work — 404 when the caller may not see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.access import Relation, relation
from services.intake.errors import NotFound
from services.intake.models import Complaint
from services.intake.store import ComplaintRepository
from shared.auth import Principal
from shared.db import UnitOfWork


@dataclass
class LoadedComplaint:
    """A loaded complaint and the caller's relation to it, inside an open unit of work."""

    uow: UnitOfWork
    repo: ComplaintRepository
    complaint: Complaint
    principal: Principal
    rel: Relation
    cooperating: list[str]
    now: datetime


async def load(uow: UnitOfWork, principal: Principal, complaint_id: str, now: datetime) -> LoadedComplaint:
    repo = ComplaintRepository(uow)
    complaint = await repo.get(complaint_id)
    if complaint is None:
        raise NotFound()
    cooperating = await repo.cooperating(complaint_id)
    rel = relation(principal, complaint, cooperating)
    if rel is None:
        raise NotFound()
    return LoadedComplaint(uow, repo, complaint, principal, rel, cooperating, now)
