"""Complaint statuses and how routing and SLA events move a complaint between them (pure rules, no I/O)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    received = "received"
    routed = "routed"
    triage = "triage"


STATUS_ZH: dict[str, str] = {
    Status.received: "已受理，正在分派",
    Status.routed: "已交办承办部门",
    Status.triage: "待人工分派",
}

#: Which statuses each routing outcome may follow (a later, re-routing decision may replace an earlier one).
ROUTABLE_FROM = frozenset({Status.received, Status.triage, Status.routed})


def status_zh(status: str) -> str:
    return STATUS_ZH.get(status, status)
