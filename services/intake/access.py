"""Who may see and do what with a complaint (pure rules on the caller's token and the complaint).

- A handler sees the complaints of its own department (the *lead* department) and, read-only, those its department
  cooperates on; any other complaint answers 404, never 403, so its existence does not leak.
- A filer's token names one complaint: that complaint is all the filer sees.
- A hotline operator sees the complaints the operator filed.
- Dispatchers, supervisors and admins oversee every complaint.
- The filer's contact data is shown only to the lead department's handlers and to supervisors (each read is audited).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

from services.intake.models import Complaint
from shared.auth import Principal, Role


class Relation(str, Enum):
    lead = "lead"  # a handler of the department handling it
    cooperating = "cooperating"  # a handler of a cooperating department: read-only, may add notes
    oversight = "oversight"  # dispatcher, supervisor, admin
    filer = "filer"  # the filer, by the complaint's access token
    operator = "operator"  # the hotline operator who filed it


def relation(principal: Principal | None, complaint: Complaint, cooperating: Collection[str]) -> Relation | None:
    """How the caller relates to the complaint; None means it may not see it at all."""
    if principal is None:
        return None
    match principal.role:
        case Role.admin | Role.supervisor | Role.dispatcher:
            return Relation.oversight
        case Role.handler if principal.department == complaint.department:
            return Relation.lead
        case Role.handler if principal.department in cooperating:
            return Relation.cooperating
        case Role.filer if principal.complaint == complaint.id:
            return Relation.filer
        case Role.operator if complaint.filed_by and complaint.filed_by == principal.actor:
            return Relation.operator
        case _:
            return None


def sees_contact(principal: Principal, rel: Relation) -> bool:
    """Unmasked contact data: the lead department's handlers and supervisors only."""
    return rel is Relation.lead or principal.role is Role.supervisor


def may_view_queue(principal: Principal, department: str) -> bool:
    """A department's work queue: its own handlers, and dispatchers, supervisors and admins."""
    if principal.role is Role.handler:
        return principal.department == department
    return principal.role in {Role.dispatcher, Role.supervisor, Role.admin}


def may_dispatch(principal: Principal) -> bool:
    return principal.role in {Role.dispatcher, Role.supervisor}
