"""The router's statements: its complaints, decisions and corrections (the tables are in ``models.py``).

A unit of work reads a complaint once and works on it as plain values (``shared.rows``): a complaint received and
returned in the same batch is one row, written at commit with what the batch made of it. Decisions and corrections
are new rows, each kind written in one statement at commit.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import select

from services.router.models import Correction, Decision, RoutedComplaint
from shared.db import UnitOfWork
from shared.rows import Row, Rows

COMPLAINTS = Rows(RoutedComplaint.__table__)
INSERT_DECISION = insert(Decision.__table__)
INSERT_CORRECTION = insert(Correction.__table__)
#: The corrections with their complaints, oldest first (the model learns those after its horizon).
UNSEEN = (
    select(Correction, RoutedComplaint)
    .join(RoutedComplaint, RoutedComplaint.complaint_id == Correction.complaint_id)
    .order_by(Correction.id)
)


async def complaint(uow: UnitOfWork, complaint_id: str) -> Row | None:
    """The complaint as this unit of work has it so far; None when the router never received it."""
    row = COMPLAINTS.known(uow, complaint_id)
    if row is None:
        found = await COMPLAINTS.read(uow, COMPLAINTS.columns.where(COMPLAINTS.table.c.complaint_id == complaint_id))
        row = found[0] if found else None
    return row
