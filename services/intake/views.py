"""How a complaint, its history, its correspondence and queue rows are shown to each caller.

Contact data is masked everywhere here (``138****5678``); the unmasked read is a separate, audited endpoint. Filers get
their history in plain language without internal entries (notes, contact reads, staff names).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.domain.access import Relation
from services.intake.domain.lifecycle import status_zh
from services.intake.models import Complaint, FilerContact, HistoryEntry, Message
from services.intake.schemas import (
    ComplaintView,
    HistoryItem,
    MessageItem,
    QueueItem,
    mask_id_number,
    mask_mobile,
)
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.vocabulary import FILER_KINDS, HISTORY_SUMMARIES, RATINGS, attachment_text, deadline_text

#: History entries a filer sees that say where the complaint stands (the rest are internal: notes, contact reads, SLA
#: reminders, claims by name); Open311's ``status_notes`` is the last of them.
FILER_ACTIONS = frozenset({
    "received", "duplicate_linked", "routed", "triage_required", "dispatched", "return_requested", "returned",
    "return_rejected", "claimed", "accepted", "contacted", "info_requested", "supplemented", "answered",
    "answered_with_original", "cooperating_added", "rated", "reopened", "closed", "closed_unrated", "clock_opened",
    "sms_opt_out", "sms_opt_in",
})
#: Entries a filer sees too that do not change where it stands: attachments added.
FILER_ALSO = frozenset({"attached"})
_FILER_DETAIL = ("status", "department", "rating", "cooperating", "number", "kind", "size")


def department_name(department_id: str | None) -> str | None:
    if not department_id:
        return None
    catalog = load_catalog()
    return catalog.get(department_id).name if department_id in catalog else department_id


#: Characters of a complaint's text a queue row shows.
EXCERPT_CHARS = 60


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(SHANGHAI) if value else None


def excerpt(text: str) -> str:
    """The start of a complaint's text on one line, cut at ``EXCERPT_CHARS`` with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS - 1] + "…"


#: History details that are instants, shown in Asia/Shanghai like every other time a person reads.
_INSTANT_KEYS = ("lease_until", "due_at")


def _local_detail(detail: dict[str, Any]) -> dict[str, Any]:
    shown = dict(detail)
    for key in _INSTANT_KEYS:
        if isinstance(shown.get(key), str):
            shown[key] = _local_iso(shown[key])
    if isinstance(shown.get("milestones"), dict):
        shown["milestones"] = {m: _local_iso(v) for m, v in shown["milestones"].items()}
    return shown


def _local_iso(value: Any) -> Any:
    try:
        return datetime.fromisoformat(value).astimezone(SHANGHAI).isoformat()
    except (TypeError, ValueError):
        return value


def filer_shown(complaint: Complaint, contact: FilerContact | None) -> dict[str, Any]:
    """The filer as a complaint's view shows it: the kind, an enterprise's name, the number and a citizen's
    identity number masked (the name of a person is contact data: only the audited read shows it)."""
    shown: dict[str, Any] = {"kind": complaint.filer_kind, "kind_zh": FILER_KINDS.get(complaint.filer_kind, ""),
                             "mobile": mask_mobile(contact.mobile) if contact else None}
    if complaint.enterprise_name:
        shown["enterprise_name"] = complaint.enterprise_name
    if contact is not None and contact.id_number:
        shown["id_number"] = mask_id_number(contact.id_number)
    return shown


def complaint_view(
    complaint: Complaint, *, contact: FilerContact | None, rel: Relation | None, cooperating: list[str],
    next_actions: list[str],
) -> ComplaintView:
    """The whole complaint for someone who may see it (its text and address included: the filer wrote them for the
    staff who handle it); staff also see the claim and the router's candidates."""
    staff = rel not in {Relation.filer, Relation.operator, None}
    return ComplaintView(
        id=complaint.id,
        tracking_number=complaint.tracking_number,
        title=complaint.title,
        text=complaint.text,
        address=complaint.address,
        channel=complaint.channel,
        status=complaint.status,
        status_zh=status_zh(complaint.status),
        department=complaint.department,
        department_name=department_name(complaint.department),
        also=list(complaint.also or []),
        township=complaint.assigned_township or complaint.township,
        financial_service=complaint.financial_service,
        sla_policy=complaint.sla_policy,
        due_at=_local(complaint.due_at),
        due_text=deadline_text(complaint.due_at) if complaint.due_at else None,
        overdue=complaint.overdue,
        received_at=_local(complaint.received_at),
        updated_at=_local(complaint.updated_at),
        version=complaint.version,
        filer=filer_shown(complaint, contact),
        role=rel.value if rel else None,
        claimed_by=complaint.claimed_by if staff else None,
        lease_until=_local(complaint.lease_until) if staff else None,
        answered_at=_local(complaint.answered_at),
        closed_at=_local(complaint.closed_at),
        rating=complaint.rating,
        reopen_count=complaint.reopen_count or 0,
        duplicate_of=complaint.original_id,
        cooperating=cooperating,
        candidates=complaint.candidates if staff else None,
        next_actions=next_actions,
    )


def _deadline_in(detail: dict[str, Any]) -> str:
    """The deadline a clock entry announces (the latest milestone's), as people read it."""
    instants = list((detail.get("milestones") or {}).values()) or [detail.get("due_at")]
    try:
        return deadline_text(max(datetime.fromisoformat(v) for v in instants if v))
    except (TypeError, ValueError):
        return ""


def summary(action: str, detail: dict[str, Any]) -> str:
    template = HISTORY_SUMMARIES.get(action)
    if template is None:
        return action
    try:
        return template.format(
            department_name=department_name(detail.get("department")) or "承办部门",
            cooperating_name=department_name(detail.get("cooperating")) or "",
            rating_zh=RATINGS.get(detail.get("rating") or "", detail.get("rating") or ""),
            deadline=_deadline_in(detail) if "{deadline}" in template else "",
            attachment=attachment_text(detail.get("number"), detail.get("kind"), detail.get("size"))
            if "{attachment}" in template else "",
        )
    except (KeyError, IndexError):
        return template


def filer_actor(actor: str) -> str:
    role, _, rest = actor.partition(":")
    if role == "handler":
        return f"handler:{rest.split(':', 1)[0]}"
    if role in {"dispatcher", "supervisor", "admin", "operator", "followup"}:
        return role
    return actor


def history_items(entries: list[HistoryEntry], *, for_filer: bool) -> list[HistoryItem]:
    items = []
    for e in entries:
        if for_filer and e.action not in FILER_ACTIONS and e.action not in FILER_ALSO:
            continue
        detail = {k: v for k, v in e.detail.items() if k in _FILER_DETAIL} if for_filer else _local_detail(e.detail)
        items.append(HistoryItem(
            at=_local(e.at), actor=filer_actor(e.actor) if for_filer else e.actor, action=e.action,
            summary=summary(e.action, e.detail), detail=detail,
        ))
    return items


def message_items(messages: list[Message], *, for_filer: bool) -> list[MessageItem]:
    return [
        MessageItem(at=_local(m.at), actor=filer_actor(m.actor) if for_filer else m.actor, department=m.department,
                    kind=m.kind, text=m.text)
        for m in messages
    ]


def queue_item(complaint: Complaint, mobile: str | None, *, role: str, now: datetime) -> QueueItem:
    lease_active = bool(complaint.claimed_by and complaint.lease_until and complaint.lease_until > now)
    overdue = complaint.overdue or bool(complaint.due_at and complaint.due_at < now)
    return QueueItem(
        id=complaint.id, tracking_number=complaint.tracking_number, title=complaint.title,
        excerpt=excerpt(complaint.text), status=complaint.status,
        status_zh=status_zh(complaint.status), department=complaint.department, role=role,
        filer_kind=complaint.filer_kind, enterprise_name=complaint.enterprise_name or None,
        mobile=mask_mobile(mobile) if mobile else None,
        due_at=_local(complaint.due_at), due_text=deadline_text(complaint.due_at) if complaint.due_at else None,
        overdue=overdue, claimed_by=complaint.claimed_by,
        lease_until=_local(complaint.lease_until), lease_active=lease_active, duplicate_of=complaint.original_id,
        received_at=_local(complaint.received_at), version=complaint.version, candidates=complaint.candidates,
    )
