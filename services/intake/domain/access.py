"""Who may see and do what with a complaint (pure rules on the caller's token and the complaint).

- A handler sees the complaints of its own department (the *lead* department) and, read-only, those its department
  cooperates on; any other complaint answers 404, never 403, so its existence does not leak.
- A handler of the ``township`` department works for one 乡镇/街道 (its token's ``township``): of its department's
  complaints it sees only those of its township — the one the complaint was placed with (``assigned_township``), or,
  when it was placed with none, the one it was filed under (``township``) — as if the township were a department of
  its own. ``visible.py`` is the same rule as a query.
- A filer's token names one complaint: that complaint is all the filer sees.
- A hotline operator sees the complaints the operator filed.
- A partner system (Open311, by its API key) reads the complaints it filed (``filed_by`` = ``partner:<name>``) and no
  other; no bearer token is ever a partner's, so no token reads them as one (an operator's ``operator:<name>`` never
  equals a partner's ``partner:<name>``).
- Dispatchers, supervisors and admins oversee every complaint.
- The filer's contact data is shown only to the lead department's handlers and to supervisors (each read is audited).
- A department's reply templates are kept by supervisors and admins and read by its handlers.

``next_actions`` joins these rules with the lifecycle's: what this caller may do now, by role and claim lease.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import Enum

from services.intake.domain.lifecycle import API_NAMES, LEASED, Action, allowed_actions
from services.intake.models import Complaint
from shared.auth import Principal, Role


class Relation(str, Enum):
    lead = "lead"  # a handler of the department handling it
    cooperating = "cooperating"  # a handler of a cooperating department: read-only, may add notes
    oversight = "oversight"  # dispatcher, supervisor, admin, follow-up staff (回访员)
    filer = "filer"  # the filer, by the complaint's access token
    operator = "operator"  # the hotline operator who filed it


def relation(principal: Principal | None, complaint: Complaint, cooperating: Collection[str]) -> Relation | None:
    """How the caller relates to the complaint; None means it may not see it at all."""
    if principal is None:
        return None
    if principal.township is not None and complaint_township(complaint) != principal.township_name:
        return None  # another township's complaint, or one placed with no township: not this handler's
    match principal.role:
        case Role.admin | Role.supervisor | Role.dispatcher | Role.followup:
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


def complaint_township(complaint: Complaint) -> str | None:
    """The township (name) whose handlers see the complaint: the one it was placed with, else the one it was filed
    under."""
    return complaint.assigned_township or complaint.township


def partner_filed(partner_actor: str, complaint: Complaint) -> bool:
    """Whether a partner (``partner:<name>``) may read the complaint through Open311: it filed it."""
    return complaint.filed_by == partner_actor


def sees_contact(principal: Principal, rel: Relation) -> bool:
    """Unmasked contact data: the lead department's handlers and supervisors only."""
    return rel is Relation.lead or principal.role is Role.supervisor


def may_view_queue(principal: Principal, department: str) -> bool:
    """A department's work queue: its own handlers, and dispatchers, supervisors and admins."""
    if principal.role is Role.handler:
        return principal.department == department
    return principal.role in {Role.dispatcher, Role.supervisor, Role.admin}


def may_manage_templates(principal: Principal) -> bool:
    """Reply templates (答复模板) are kept by supervisors and admins."""
    return principal.role in {Role.supervisor, Role.admin}


def may_read_templates(principal: Principal, department: str) -> bool:
    """A department's reply templates: its own handlers, and those who keep them."""
    if principal.role is Role.handler:
        return principal.department == department
    return may_manage_templates(principal)


def may_export(principal: Principal) -> bool:
    """Exporting search results (CSV, Excel): supervisors and admins."""
    return principal.role in {Role.supervisor, Role.admin}


def may_search(principal: Principal) -> bool:
    """Searching complaints: staff (each finds only what it may see); filers follow their complaint by its token."""
    return principal.is_staff


def may_dispatch(principal: Principal) -> bool:
    return principal.role in {Role.dispatcher, Role.supervisor}


#: The actions each relation may take at all (the lifecycle and the lease narrow them further).
_BY_RELATION: dict[Relation, frozenset[Action]] = {
    Relation.lead: frozenset({Action.claim, Action.accept, Action.contact, Action.request_info, Action.answer,
                              Action.return_, Action.add_cooperating, Action.note}),
    Relation.cooperating: frozenset({Action.note}),
    Relation.filer: frozenset({Action.supplement, Action.rate_satisfied, Action.rate_dissatisfied}),
    Relation.operator: frozenset({Action.supplement, Action.rate_satisfied, Action.rate_dissatisfied}),
    Relation.oversight: frozenset(),
}
#: A handler's actions that need the claim's live lease on a claimed complaint.
_NEED_LEASE = frozenset({Action.accept, Action.contact, Action.request_info, Action.answer, Action.return_,
                         Action.add_cooperating})


def _oversight_actions(principal: Principal) -> frozenset[Action]:
    actions = {Action.dispatch, Action.approve_return, Action.reject_return} if may_dispatch(principal) else set()
    if principal.role is Role.supervisor:
        actions |= {Action.note, Action.permit_return}
    return frozenset(actions)


def next_actions(principal: Principal, rel: Relation, complaint: Complaint, now: datetime) -> list[str]:
    """What this caller may do next, by the API's action names: the lifecycle's allowed actions narrowed to the
    caller's relation and, for a handler, to the claim lease (a colleague's live claim leaves only notes; without a
    live claim of one's own, claiming comes first)."""
    permitted = _oversight_actions(principal) if rel is Relation.oversight else _BY_RELATION[rel]
    leased = complaint.status in {s.value for s in LEASED}
    live = bool(complaint.lease_until and complaint.lease_until > now)
    own = complaint.claimed_by == principal.actor
    names: list[str] = []
    for action in allowed_actions(complaint.status, reopened_before=bool(complaint.reopen_count)):
        if action not in permitted:
            continue
        if rel is Relation.lead and leased:
            if live and not own and action is not Action.note:
                continue  # a colleague holds it
            if action in _NEED_LEASE and not (live and own):
                continue  # claim (or renew) first
        name = API_NAMES[action]
        if name not in names:
            names.append(name)
    return names
