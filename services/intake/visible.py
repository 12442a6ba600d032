"""Which complaints a staff member may see, as a query: the rules of ``access.relation`` as a SQL condition, for
lists that read many complaints at once (search, its export, the township queues).

- dispatchers, supervisors, admins and follow-up staff (回访员): every complaint;
- a handler: its department's complaints and those its department cooperates on — for a handler of the ``township``
  department, only those of its township (``access.complaint_township``);
- a hotline operator: the complaints it filed.

Filers and partner systems read single complaints by their own credentials and never list.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, func, or_, select, true

from services.intake.models import Complaint, Cooperation
from shared.auth import Principal, Role

COMPLAINT = Complaint.__table__
COOPERATION = Cooperation.__table__

#: The complaint's township as ``access.complaint_township`` reads it: the one it was placed with, else filed under.
COMPLAINT_TOWNSHIP = func.coalesce(COMPLAINT.c.assigned_township, COMPLAINT.c.township)


def in_township(name: str | None) -> ColumnElement[bool]:
    """The complaints of one township (by name); none when the name is None."""
    return COMPLAINT_TOWNSHIP == name if name is not None else false()


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``intake_complaint`` selecting what the caller may see."""
    match principal.role:
        case Role.admin | Role.supervisor | Role.dispatcher | Role.followup:
            return true()
        case Role.handler:
            cooperates = exists(select(COOPERATION.c.complaint_id).where(
                COOPERATION.c.complaint_id == COMPLAINT.c.id, COOPERATION.c.department == principal.department))
            mine = or_(COMPLAINT.c.department == principal.department, cooperates)
            return mine & in_township(principal.township_name) if principal.township is not None else mine
        case Role.operator:
            return COMPLAINT.c.filed_by == principal.actor
        case _:
            return false()
