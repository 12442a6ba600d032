"""What the dashboard shows, as people read it: the summary table's columns (grouped by the population each figure
counts, with its definition), figures and times as display strings, the overdue and reopened lists, and one
complaint's drill-down with its timeline in words — who acted (青山县自然资源和规划局 张三, 系统自动分派, 时限监控 …),
through which channel, which milestone and which warning or escalation step.

Every word comes from ``shared.vocabulary``; department names from ``shared.catalog``. The JSON endpoints, the live
stream and the page all use these, so they show the same strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.sla.dashboard.figures import DepartmentFigures
from services.sla.dashboard.rows import department_name, holder, is_overdue
from services.sla.dashboard.worklists import OverdueItem, ReopenedItem
from shared import clock
from shared.calendar import SHANGHAI
from shared.vocabulary import (
    CHANNEL_NAMES,
    DEADLINE_CAUSE_NAMES,
    ESCALATION_LEVEL_NAMES,
    EVENT_NAMES,
    MILESTONE_NAMES,
    POLICY_NAMES,
    RATINGS,
    ROLE_NAMES,
    actor_name,
    deadline_text,
    sla_step_name,
    status_name,
)

# -- the summary table -------------------------------------------------------------------------------------------------

#: The summary table's column groups, one per population a figure counts (``figures.py``): (heading, what the group
#: counts, its columns); each column (field, heading, sort key in the figures, definition). Headings and definitions
#: are on the page: the definitions as each heading's tooltip.
GROUPS: tuple[tuple[str, str, tuple[tuple[str, str, str, str], ...]], ...] = (
    ("当前", "此刻的数，与统计区间无关", (
        ("open", "在办", "open", "此刻尚未答复、未办结的投诉件数"),
        ("due_soon", "一个工作日内到期", "due_soon", "在办、未超期，且办理时限在下一个工作日 24:00 前的件数"),
        ("overdue", "超期", "overdue", "在办且已过办理时限的件数"),
        ("overdue_max", "最长超期", "overdue_max_hours", "超期件中超过办理时限最久的时长"),
    )),
    ("区间内登记", "统计区间内登记的投诉（重复件不计）", (
        ("received", EVENT_NAMES["received"], "received", "统计区间内登记的投诉件数，计入此刻承办的部门"),
        ("received_answered", "其中已办结", "received_answered", "区间内登记的投诉中此刻已答复的件数，不会多于登记"),
        ("completion_rate", "办结率", "completion_rate", "其中已办结 ÷ 登记：区间内登记的投诉中已答复的比例"),
        ("reroute_rate", "改派率", "reroute_rate",
         "区间内登记并已分派的投诉中改派过的比例，计入最初分派的部门"),
    )),
    ("区间内办结", "答复在统计区间内的投诉，含区间前登记的，故可多于登记", (
        ("answered", "办结", "answered", "最后一次答复在统计区间内的件数，含区间前登记的"),
        ("on_time_rate", "按时办结率", "on_time_rate", "区间内办结的投诉中，在办理时限内答复的比例"),
        ("avg_handling", "平均办理时长", "avg_handling_hours", "区间内办结的投诉从登记到答复的平均天数"),
        ("follow_up_rate", "评价率", "follow_up_rate", "区间内办结的投诉中，诉求人已评价其答复的比例"),
        ("callback_rate", "回访率", "callback_rate",
         "已回访 ÷ 留有联系方式的办结：区间内办结且留有联系方式的投诉中，回访员在最后一次答复后已电话回访到诉求人的比例"),
    )),
    ("区间内回访", "回访员在统计区间内接通的电话回访，计入被回访答复的部门", (
        ("call_satisfaction_rate", "回访满意率", "call_satisfaction_rate", "区间内接通的回访中，满意和基本满意的比例"),
        ("solved_rate", "解决率", "solved_rate", "区间内接通的回访中，诉求人表示问题已解决的比例"),
    )),
    ("区间内评价", "统计区间内的评价（诉求人自评，或答复后经电话回访评价），计入被评价答复的部门", (
        ("satisfaction_rate", "评价满意率", "satisfaction_rate", "区间内的评价中，满意和基本满意的比例"),
        ("reopened", "重办", "reopened", "区间内评价不满意、重新办理的件数，计入被评价为不满意的答复部门"),
    )),
    ("区间内退回", "统计区间内提出的退回申请及营商环境服务中心的审核，计入申请退回的部门", (
        ("returns", "退回", "returns", "区间内本部门申请退回的件次"),
        ("return_approval_rate", "合理退单率", "return_approval_rate",
         "区间内的退回申请中已审核的，服务中心同意退回的比例（待审核的不计）"),
        ("avg_review", "平均审核时长", "avg_review_hours", "区间内的退回申请从提出到服务中心审核同意或驳回的平均小时数"),
    )),
)

#: The table's columns in order: (field, heading, sort key in the figures).
COLUMNS = tuple((field, heading, key) for _, _, columns in GROUPS for field, heading, key, _ in columns)


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def fmt_days(hours: float | None) -> str:
    return "—" if hours is None else f"{hours / 24:.1f} 天"


def fmt_hours(hours: float | None) -> str:
    return "—" if hours is None else f"{hours:.1f} 小时"


def fmt_overdue(hours: float) -> str:
    return "—" if hours <= 0 else f"{hours / 24:.1f} 天"


def fmt_deadline(value: datetime | None) -> str:
    return "" if value is None else deadline_text(value, now=clock.now())


def fmt_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def display(f: DepartmentFigures) -> dict[str, str]:
    """Each column's text for one department's figures."""
    return {
        "received": str(f.received), "received_answered": str(f.received_answered), "open": str(f.open),
        "due_soon": str(f.due_soon), "overdue": str(f.overdue), "overdue_max": fmt_overdue(f.overdue_max_hours),
        "answered": str(f.answered), "on_time_rate": fmt_rate(f.on_time_rate),
        "completion_rate": fmt_rate(f.completion_rate), "avg_handling": fmt_days(f.avg_handling_hours),
        "follow_up_rate": fmt_rate(f.follow_up_rate), "satisfaction_rate": fmt_rate(f.satisfaction_rate),
        "reroute_rate": fmt_rate(f.reroute_rate), "reopened": str(f.reopened),
        "callback_rate": fmt_rate(f.callback_rate), "call_satisfaction_rate": fmt_rate(f.call_satisfaction_rate),
        "solved_rate": fmt_rate(f.solved_rate),
        "returns": str(f.returns), "return_approval_rate": fmt_rate(f.return_approval_rate),
        "avg_review": fmt_hours(f.avg_review_hours),
    }


def policy_name(policy: str | None) -> str:
    return POLICY_NAMES.get(policy or "", policy or "")


def user_name(name: str, role: str) -> str:
    """The signed-in person as the page's header shows them: 王督办（督办）."""
    return f"{name}（{ROLE_NAMES.get(role, role)}）"


# -- the lists ---------------------------------------------------------------------------------------------------------


def overdue_item(item: OverdueItem) -> dict[str, Any]:
    data = item.as_dict()
    data["display"] = {
        "due_at": fmt_deadline(item.due_at), "received_at": fmt_time(item.received_at),
        "overdue": fmt_overdue(item.overdue_hours),
        "level": ESCALATION_LEVEL_NAMES.get(item.escalation_level or "", ""),
        "policy": policy_name(item.policy), "status": status_name(item.status),
    }
    return data


def reopened_item(item: ReopenedItem) -> dict[str, Any]:
    data = item.as_dict()
    data["display"] = {"reopened_at": fmt_time(item.reopened_at), "status": status_name(item.status),
                       "policy": policy_name(item.policy)}
    return data


# -- one complaint: the drill-down ----------------------------------------------------------------------------------


def complaint_view(row: Any, events: list[Any], names: dict[str, str]) -> dict[str, Any]:
    """A complaint's facts and its timeline, every entry in words."""
    now = clock.now()
    overdue_hours = (now - row.due_at).total_seconds() / 3600 if is_overdue(row, now) else 0.0
    department = holder(row)
    return {
        "complaint_id": row.complaint_id,
        "tracking_number": row.tracking_number,
        "title": row.title,
        "department": department,
        "department_name": department_name(department, names),
        "policy": row.policy,
        "policy_name": policy_name(row.policy),
        "channel_name": CHANNEL_NAMES.get(row.channel or "", row.channel or ""),
        "status": row.status,
        "status_name": status_name(row.status),
        "received_at": fmt_time(row.received_at),
        "due_at": fmt_deadline(row.due_at),
        "answered_at": fmt_time(row.last_answered_at),
        "overdue": fmt_overdue(overdue_hours),
        "reopened_count": row.reopened_count,
        "routed_count": row.routed_count,
        "rating": RATINGS.get(row.rating or "", ""),
        "escalation_level": ESCALATION_LEVEL_NAMES.get(row.escalation_level or "", ""),
        "timeline": [timeline_entry(e.kind, e.at, e.actor, e.department, e.detail, names) for e in events],
    }


def timeline_entry(kind: str, at: datetime, actor: str | None, department: str | None, detail: dict[str, Any],
                   names: dict[str, str]) -> dict[str, str]:
    """One line of the timeline: when, what (``label``), who (``actor``), the department it concerns when the actor
    does not name it already, and the details — none of them a code."""
    if kind == "received":  # by whom it was filed for the filer (an operator, a partner system), else the filer
        who = actor_name(detail["filed_by"], names) if detail.get("filed_by") else received_by(detail.get("channel"))
    else:
        who = actor_name(actor, names)
    where = names.get(department or "", department or "")
    return {
        "at": fmt_time(at), "kind": kind, "label": EVENT_NAMES.get(kind, kind), "actor": who,
        "department": "" if where and where in who else where, "detail": detail_text(kind, detail, names),
    }


def received_by(channel: str | None) -> str:
    """Who files through a channel: an operator takes hotline calls (话务员), the filer uses the others (诉求人)."""
    return ROLE_NAMES["operator" if channel == "hotline" else "filer"]


def milestone_text(milestone: str | None) -> str:
    """``resolution`` as 办结时限, ``contact`` as 联系诉求人时限 …"""
    return f"{MILESTONE_NAMES.get(milestone or '', milestone or '')}时限"


def _iso_deadline(value: str | None) -> str:
    return fmt_deadline(datetime.fromisoformat(value)) if value else ""


def _departments(ids: list[str] | str, names: dict[str, str]) -> str:
    return "、".join(names.get(d, d) for d in ([ids] if isinstance(ids, str) else ids))


def detail_text(kind: str, detail: dict[str, Any], names: dict[str, str]) -> str:
    parts: list[str] = []
    if kind == "received":
        parts.append(f"诉求编号 {detail.get('tracking_number', '')}")
        parts.append(f"渠道 {CHANNEL_NAMES.get(detail.get('channel', ''), detail.get('channel', ''))}")
    if kind == "routed":
        parts.append(f"置信度 {detail.get('confidence', '')}，第 {int(detail.get('attempt', 0)) + 1} 次分派")
    if kind == "triage_required" and detail.get("ranked"):
        parts.append(f"候选部门：{_departments(detail['ranked'], names)}")
    if detail.get("also"):
        parts.append(f"协办：{_departments(detail['also'], names)}")
    if "rating" in detail:
        parts.append(f"评价：{RATINGS.get(detail['rating'], detail['rating'])}")
    if "returned_by" in detail:
        parts.append(f"退回部门：{_departments(detail['returned_by'], names)}")
    if "suggested_department" in detail:
        parts.append(f"建议：{_departments(detail['suggested_department'], names)}")
    if detail.get("permitted_by"):
        parts.append(f"经{actor_name(detail['permitted_by'], names)}准予")
    if kind == "clock_opened":
        if detail.get("policy"):
            parts.append(f"时限政策 {policy_name(detail['policy'])}")
        for m in detail.get("milestones", []):
            parts.append(f"{milestone_text(m['milestone'])} {_iso_deadline(m['due_at'])}")
    if kind in ("warning", "breached", "escalated"):
        step = sla_step_name(kind, detail.get("level"))
        if step != EVENT_NAMES.get(kind):
            parts.append(step)
    if kind == "deadline_changed" and detail.get("cause"):
        parts.append(DEADLINE_CAUSE_NAMES.get(detail["cause"], detail["cause"]))
    if "due_at" in detail and kind in ("warning", "breached", "escalated", "deadline_changed", "met", "missed"):
        deadline = f"{milestone_text(detail.get('milestone'))} {_iso_deadline(detail['due_at'])}"
        if detail.get("previous_due_at"):
            deadline += f"（原 {_iso_deadline(detail['previous_due_at'])}）"
        parts.append(deadline)
    if "cooperating" in detail:
        parts.append(f"协办：{_departments(detail['cooperating'], names)}")
    if "reason" in detail:
        parts.append(f"理由：{detail['reason']}")
    return "；".join(p for p in parts if p)
