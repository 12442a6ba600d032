"""What the workbench's pages show, in words: queue rows with their clocks, history entries with who acted, messages
by kind, the router's decision with its reasons, and the choices of the forms (departments, townships).

Every word comes from ``shared.vocabulary``, every department name from the catalog; the values come from the API's
own views (``services.intake.views``), so the pages show what the API answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.intake.pages.clocks import time_left
from services.intake.review_queue import ReturnQueueItem
from services.intake.schemas import HistoryItem, MessageItem, QueueItem
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.catalog import load_catalog, load_gazetteer
from shared.vocabulary import (
    DECISION_ROLE_NAMES,
    FILER_KINDS,
    MESSAGE_KIND_NAMES,
    actor_name,
    deadline_text,
    sla_step_name,
)


def names() -> dict[str, str]:
    return {d.id: d.name for d in load_catalog().departments}


def departments() -> list[tuple[str, str]]:
    """(id, name) of every department of the catalog, for the forms' choices."""
    return [(d.id, d.name) for d in load_catalog().departments]


def townships() -> list[str]:
    return [t.name for t in load_gazetteer().townships]


def when(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def percent(score: Any) -> str:
    return f"{float(score) * 100:.0f}%" if isinstance(score, (int, float)) else ""


def queue_row(item: QueueItem, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    """One row of a queue: the complaint, its status and its clock (time left, overdue or due within a working
    day)."""
    state, left = (time_left(item.due_at, now, calendar, overdue=item.overdue) if item.due_at
                   else ("none", "尚未计时"))
    department_names = names()
    return {
        "id": item.id, "tracking_number": item.tracking_number, "title": item.title, "excerpt": item.excerpt,
        "status": item.status_zh, "enterprise": item.enterprise_name or FILER_KINDS.get(item.filer_kind, ""),
        "received": when(item.received_at),
        "deadline": deadline_text(item.due_at, now=now) if item.due_at else "", "left": left, "state": state,
        "claimed_by": actor_name(item.claimed_by, department_names) if item.lease_active else "",
        "version": item.version, "duplicate": bool(item.duplicate_of),
        "candidates": candidates(item.candidates),
    }


def candidates(raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The router's candidates for a complaint in triage: department, score and the terms that pointed to it."""
    department_names = names()
    return [{"department": c.get("department"), "name": department_names.get(c.get("department"), c.get("department")),
             "score": percent(c.get("score")), "terms": "、".join(c.get("terms") or [])} for c in raw or []]


def decision(history: list[HistoryItem]) -> dict[str, Any] | None:
    """The latest routing decision (or the router's hand-over to triage) and its reasons."""
    department_names = names()
    for item in reversed(history):
        if item.action not in ("routed", "triage_required"):
            continue
        detail = item.detail
        reasons = [{"role": DECISION_ROLE_NAMES.get(r.get("role"), r.get("role")),
                    "name": department_names.get(r.get("department"), r.get("department")),
                    "score": percent(r.get("score")), "terms": "、".join(r.get("terms") or [])}
                   for r in detail.get("reasons") or []]
        return {"summary": item.summary, "by": actor_name(item.actor, department_names), "at": when(item.at),
                "confidence": percent(detail.get("confidence")), "reasons": reasons,
                "triage": item.action == "triage_required"}
    return None


def history_row(item: HistoryItem, department_names: dict[str, str]) -> dict[str, str]:
    detail = item.detail
    extra = []
    if item.action in ("warning", "escalated", "breached"):
        extra.append(sla_step_name(item.action, detail.get("level")))
    if item.action == "returned":
        extra.append(f"理由：{detail.get('reason', '')}")
        if detail.get("suggested_department"):
            extra.append(f"建议：{department_names.get(detail['suggested_department'], '')}")
    if item.action == "note" and detail.get("kind") == "cooperation":
        extra.append(MESSAGE_KIND_NAMES["cooperation"])
    return {"at": when(item.at), "who": actor_name(item.actor, department_names), "what": item.summary,
            "detail": "；".join(e for e in extra if e)}


def history_rows(history: list[HistoryItem]) -> list[dict[str, str]]:
    department_names = names()
    return [history_row(item, department_names) for item in history]


def message_rows(messages: list[MessageItem]) -> list[dict[str, str]]:
    department_names = names()
    return [{"at": when(m.at), "who": actor_name(m.actor, department_names),
             "kind": MESSAGE_KIND_NAMES.get(m.kind, m.kind), "text": m.text} for m in messages]


def review(history: list[HistoryItem]) -> dict[str, str] | None:
    """The return under review (the history's last request), in words, for the complaint's review forms."""
    department_names = names()
    for item in reversed(history):
        if item.action == "return_requested":
            detail = item.detail
            return {"returned_by": department_names.get(detail.get("department"), detail.get("department") or ""),
                    "reason": detail.get("reason") or "",
                    "suggested": department_names.get(detail.get("suggested_department") or "", "")}
    return None


def review_row(item: ReturnQueueItem, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    """A row of the center's review queue: the complaint's row, and the return's department, reason, suggestion, when
    it was asked and whether a supervisor permitted it."""
    department_names = names()
    return {**queue_row(item, now, calendar), "returned_by": department_names.get(item.returned_by, item.returned_by),
            "reason": item.reason, "requested": when(item.requested_at),
            "suggested": department_names.get(item.suggested_department or "", ""),
            "suggested_id": item.suggested_department or "",
            "permitted_by": actor_name(item.permitted_by, department_names) if item.permitted_by else ""}
