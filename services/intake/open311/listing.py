"""Complaints as Open311 service requests, and the filters of ``GET requests``.

A partner reads back only what it filed (``filed_by`` = ``partner:<name>``). The mapping (README, "Open311 GeoReport
v2"): ``status`` is ``closed`` once the complaint is closed (answered and rated, or unrated past the rating window),
``open`` before; ``extended_status`` takes mySociety's words where they fit; ``status_notes`` is the last entry of the
history as the filer reads it; ``agency_responsible`` the lead department's name; ``expected_datetime`` the SLA
deadline; ``service_notice`` the time limit that applies; times are ISO 8601 in Asia/Shanghai (``+08:00``). Nothing
of the filer's contact data is ever part of a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from services.intake.models import Complaint, HistoryEntry
from services.intake.open311.catalog import expected_policy, notice, service_type
from services.intake.open311.formats import BAD_REQUEST, Open311Error
from services.intake.views import FILER_ACTIONS, department_name, summary
from shared.calendar import SHANGHAI
from shared.instants import LocalInstant
from shared.problems import describe
from shared.settings import IntakeSettings

#: The standard's default window and the most requests one answer holds.
WINDOW = timedelta(days=90)
LIMIT = 1000
MAX_IDS = 100
_INSTANT = TypeAdapter(LocalInstant)

#: mySociety's extended statuses (FixMyStreet's Open311 extensions) where the lifecycle has one.
EXTENDED = {"claimed": "investigating", "accepted": "in_progress", "awaiting_info": "in_progress",
            "reopened": "in_progress", "closed": "closed"}


def extended_status(complaint: Complaint, last_action: str | None) -> str:
    if complaint.status == "closed":
        return "closed"
    if complaint.original_id:
        return "duplicate"
    if complaint.status == "rerouting" and last_action == "returned":  # 退回: not this department's duty
        return "not_councils_responsibility"
    return EXTENDED.get(complaint.status, "open")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def request_entry(complaint: Complaint, last: HistoryEntry | None, settings: IntakeSettings) -> dict[str, Any]:
    """One complaint as ``GET requests`` shows it, in the standard's order of fields (``extended_status`` last)."""
    service = service_type(complaint.service_code or "")
    policy = complaint.sla_policy or (expected_policy(service, settings) if service else None)
    return {
        "service_request_id": complaint.id,
        "status": "closed" if complaint.status == "closed" else "open",
        "status_notes": summary(last.action, last.detail) if last else None,
        "service_name": service.name if service else None,
        "service_code": complaint.service_code,
        "description": complaint.text,
        "agency_responsible": department_name(complaint.department),
        "service_notice": notice(policy, settings),
        "requested_datetime": _iso(complaint.received_at),
        "updated_datetime": _iso(complaint.updated_at),
        "expected_datetime": _iso(complaint.due_at),
        "address": complaint.address,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
        "extended_status": extended_status(complaint, last.action if last else None),
    }


async def last_entries(session, ids: list[str]) -> dict[str, HistoryEntry]:
    """Each complaint's last history entry the filer sees (one query for all)."""
    if not ids:
        return {}
    rows = await session.scalars(select(HistoryEntry).where(HistoryEntry.complaint_id.in_(ids),
                                                            HistoryEntry.action.in_(FILER_ACTIONS))
                                 .order_by(HistoryEntry.id))
    return {entry.complaint_id: entry for entry in rows.all()}


def _problem(field: str, code: str, en: str, zh: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": en, "message_zh": zh}


@dataclass(frozen=True)
class Filters:
    ids: list[str] | None
    codes: list[str] | None
    start: datetime
    end: datetime
    statuses: frozenset[str] | None


def _listed(value: str | None) -> list[str] | None:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def _instant(params: Mapping[str, str], name: str, problems: list[dict[str, str]]) -> datetime | None:
    if not params.get(name):
        return None
    try:
        return _INSTANT.validate_python(params[name].replace("Z", "+00:00"))
    except ValidationError as exc:
        problems += [{**p, "field": name} for p in describe(list(exc.errors()))]
        return None


def filters(params: Mapping[str, str], now: datetime) -> Filters:
    """``GET requests``' parameters: ``service_request_id`` (a list; it overrides the others), ``service_code`` and
    ``status`` (lists), ``start_date``/``end_date`` (w3c date-times, without an offset in Asia/Shanghai) — at most 90
    days apart, the last 90 days by default."""
    problems: list[dict[str, str]] = []
    ids = _listed(params.get("service_request_id"))
    if ids and len(ids) > MAX_IDS:
        problems.append(_problem("service_request_id", "too_long", f"At most {MAX_IDS} ids",
                                 f"最多 {MAX_IDS} 个编号"))
    statuses = _listed(params.get("status"))
    if statuses and not set(statuses) <= {"open", "closed"}:
        problems.append(_problem("status", "enum", "Input should be 'open' or 'closed'", "取值无效，可选：open、closed"))
    start, end = _instant(params, "start_date", problems), _instant(params, "end_date", problems)
    if problems:
        raise Open311Error(BAD_REQUEST, problems)
    if start is None and end is None:
        end = now
    start = start or end - WINDOW
    end = end or start + WINDOW
    if end < start or end - start > WINDOW:
        raise Open311Error(BAD_REQUEST, [_problem("end_date", "date_range", "end_date must follow start_date by at "
                                                  "most 90 days", "end_date 须晚于 start_date，且相隔不超过 90 天")])
    return Filters(ids, _listed(params.get("service_code")), start, end, frozenset(statuses) if statuses else None)


def partner_query(actor: str, chosen: Filters):
    """The partner's complaints the filters choose, newest first, at most ``LIMIT``."""
    query = select(Complaint).where(Complaint.filed_by == actor)
    if chosen.ids:
        query = query.where(Complaint.id.in_(chosen.ids))
    else:
        query = query.where(Complaint.received_at >= chosen.start, Complaint.received_at <= chosen.end)
        if chosen.codes:
            query = query.where(Complaint.service_code.in_(chosen.codes))
        if chosen.statuses and len(chosen.statuses) == 1:
            closed = Complaint.status == "closed"
            query = query.where(closed if "closed" in chosen.statuses else ~closed)
    return query.order_by(Complaint.received_at.desc(), Complaint.id).limit(LIMIT)
