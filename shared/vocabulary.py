"""The product's Chinese words for statuses, actions, ratings and timeline entries — one place for all of them.
Who did something (actors), through which channel, and what the SLA service said (milestones, warnings, escalation
levels) are named here too, so no page shows a code such as ``handler:power:张三``, ``hotline`` or ``70pct``.

The API's Chinese messages and fields (``status_zh``, history summaries, refusals), the supervisors' dashboard and the
README use these words and no others, so a handler, a filer and a supervisor read the same word for the same thing:
签收 is taking a complaint on (claim), 受理 is the department accepting it for handling (accept), 登记 is the line
registering a filing. ``REPLACED`` lists the words these replace; a test keeps them out of the product's pages and
messages.

Deadlines read as people count them: a period ends at 24:00 of its last day (stored as 00:00 of the next), so
``deadline_text`` shows 2026-12-17T00:00+08:00 as 12月16日（周三）24:00 前 — never as the 17th, which reads a day late.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from shared.calendar import SHANGHAI
from shared.catalog import CENTER_ID

#: Each status's name, as every page, queue and message shows it.
STATUS_NAMES: dict[str, str] = {
    "received": "已登记",
    "triage": "待人工分派",
    "rerouting": "重新分派中",
    "return_review": "退回待审核",
    "routed": "已分派",
    "claimed": "已签收",
    "accepted": "已受理",
    "awaiting_info": "待补充材料",
    "answered": "已答复",
    "reopened": "重新办理",
    "closed": "已办结",
}

#: What each status means to the filer, in plain language; each sentence starts with the status's name.
STATUS_EXPLAINED: dict[str, str] = {
    "received": "已登记，正在分派承办部门",
    "triage": "待人工分派，营商环境服务中心正在确定承办部门",
    "rerouting": "重新分派中，正在确定新的承办部门",
    "return_review": "退回待审核，营商环境服务中心正在审核承办部门的退回理由，其间仍由原承办部门负责",
    "routed": "已分派，等待承办部门签收",
    "claimed": "已签收，承办人正在处理",
    "accepted": "已受理，承办部门正在办理",
    "awaiting_info": "待补充材料，请您补充承办部门询问的信息",
    "answered": "已答复，请您评价",
    "reopened": "重新办理，因您不满意，承办部门正在重新办理",
    "closed": "已办结",
}

#: Each action people take through the API (by its API name), as buttons, history and refusals name it.
ACTION_NAMES: dict[str, str] = {
    "dispatch": "人工分派",
    "claim": "签收",
    "accept": "受理",
    "contact": "联系诉求人",
    "request-info": "要求补充材料",
    "supplement": "补充材料",
    "answer": "答复",
    "return": "退回",
    "cooperating": "增加协办部门",
    "notes": "备注",
    "rating": "评价",
    "approve-return": "同意退回",
    "reject-return": "驳回退回",
    "permit-return": "准予退回",
}

#: Each kind of timeline entry (lifecycle and SLA events), as the dashboard's drill-down labels it.
EVENT_NAMES: dict[str, str] = {
    "received": "登记",
    "duplicate_linked": "并入重复件",
    "routed": "分派",
    "triage_required": "转人工分派",
    "dispatched": ACTION_NAMES["dispatch"],
    "return_requested": "申请退回",
    "returned": ACTION_NAMES["approve-return"],
    "return_rejected": ACTION_NAMES["reject-return"],
    "claimed": ACTION_NAMES["claim"],
    "accepted": ACTION_NAMES["accept"],
    "contacted": ACTION_NAMES["contact"],
    "info_requested": ACTION_NAMES["request-info"],
    "supplemented": ACTION_NAMES["supplement"],
    "answered": ACTION_NAMES["answer"],
    "cooperating_added": ACTION_NAMES["cooperating"],
    "rated": ACTION_NAMES["rating"],
    "reopened": STATUS_NAMES["reopened"],
    "closed": "办结",
    "clock_opened": "开始计时",
    "warning": "临期预警",
    "breached": "超期",
    "escalated": "升级督办",
    "deadline_changed": "时限调整",
    "met": "按时办结",
    "missed": "超时办结",
    "followed_up": "电话回访",
}

#: Each history entry in plain language, for the filer and anyone reading the history (placeholders filled by intake).
HISTORY_SUMMARIES: dict[str, str] = {
    "received": "诉求已登记",
    "duplicate_linked": "与您 30 天内提交的相同诉求合并办理（重复件）",
    "routed": "已分派给{department_name}",
    "triage_required": "待人工分派：由营商环境服务中心确定承办部门",
    "dispatched": "服务中心已人工分派给{department_name}",
    "return_requested": "原承办部门认为不属其职责，申请退回，服务中心审核中",
    "returned": "服务中心审核同意退回，重新分派中",
    "return_rejected": "服务中心审核后驳回退回，仍由原承办部门办理",
    "return_permitted": "督办准予承办部门退回",
    "claimed": "承办人已签收",
    "claim_taken_over": "改由同部门其他承办人签收办理",
    "accepted": "承办部门已受理，正在办理",
    "contacted": "承办人已与您电话联系",
    "info_requested": "承办部门请您补充材料",
    "supplemented": "您补充了材料",
    "answered": "承办部门已答复",
    "answered_with_original": "已随首次诉求一并答复",
    "cooperating_added": "已增加协办部门：{cooperating_name}",
    "rated": "您已评价：{rating_zh}",
    "reopened": "因您不满意，诉求重新办理，并报督办",
    "closed": "诉求已办结",
    "closed_unrated": "答复后未在评价期限内评价，诉求已办结",
    "clock_opened": "办理时限已确定：{deadline}",
    "deadline_changed": "办理时限已调整为{deadline}",
    "warning": "临期预警",
    "breached": "已超过办理时限",
    "escalated": "已升级督办",
    "note": "办理备注",
    "contact_viewed": "工作人员查看了联系方式",
    "sms_sent": "已短信告知诉求人",
    "sms_retry": "短信发送失败，稍后重试",
    "sms_dead": "短信多次发送失败，已停止发送",
    "sms_skipped": "诉求人不接收短信，未发送",
    "sms_opt_out": "您已选择不接收短信",
    "sms_opt_in": "您已选择接收短信",
    "attached": "添加{attachment}",
    "followup_scheduled": "已安排电话回访",
    "followup_reached": "回访员已电话回访：{rating_zh}",
    "followup_not_reached": "电话回访未接通",
    "followup_declined": "诉求人谢绝回访",
}

#: The kinds of file a complaint may carry as attachments (附件), by the media type recognised from their content.
ATTACHMENT_KINDS: dict[str, str] = {
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/webp": "WebP 图片",
    "image/heic": "HEIC 图片",
    "application/pdf": "PDF 文档",
}


def size_text(size: int) -> str:
    """A file's size as people read it: 850 KB, 1.2 MB, 10 MB (1 MB = 1024 KB)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    megabytes = round(size / (1024 * 1024), 1)
    return f"{megabytes:g} MB"


def attachment_text(number: object, kind: object, size: object) -> str:
    """How a history entry names an attachment: 附件 2（JPEG 图片，1.2 MB）."""
    parts = [part for part in (ATTACHMENT_KINDS.get(str(kind)), size_text(size) if isinstance(size, int) else None)
             if part]
    return f"附件 {number}" + (f"（{'，'.join(parts)}）" if parts else "")


#: Each kind of message on a complaint (intake's correspondence and internal notes), as the workbench labels it.
MESSAGE_KIND_NAMES: dict[str, str] = {
    "question": ACTION_NAMES["request-info"],
    "supplement": ACTION_NAMES["supplement"],
    "answer": ACTION_NAMES["answer"],
    "note": ACTION_NAMES["notes"],
    "cooperation": "协办意见",
    "contact_note": "通话情况",
    "return_reason": "退回理由",
    "return_rejection": "驳回退回理由",
    "return_permit": "准予退回理由",
    "rating_reason": "不满意理由",
}

#: A department's part in a routing decision (the router's explanation), as the workbench shows it.
DECISION_ROLE_NAMES: dict[str, str] = {"lead": "主办", "also": "协办", "candidate": "候选", "suggested": "退回部门建议"}

#: The three ratings of an answer (回访评价), by their API values.
RATINGS: dict[str, str] = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}

#: Who files a complaint (``filer_kind`` of ``complaint.received``): the public pages and the dashboard's split.
FILER_KINDS: dict[str, str] = {"enterprise": "企业", "individual": "个人", "anonymous": "匿名"}

#: Words the ones above replace, each with the word to use instead. Kept out of pages and messages by a test.
REPLACED: dict[str, str] = {
    "认领": "签收",
    "已认领": "已签收",
    "受理编号": "诉求编号",
    "已受理，正在分派": "已登记，正在分派",
    "正在重新分派": "重新分派中",
    "已交办承办部门": "已分派",
}


def status_name(status: str | None) -> str:
    """The status's name (the status itself when unknown, the empty string for none)."""
    return STATUS_NAMES.get(status or "", status or "")


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def deadline_text(due: datetime, *, now: datetime | None = None) -> str:
    """``due`` as a person reads a deadline, in Asia/Shanghai: 12月16日（周三）24:00 前 (midnight is the end of the day
    before), 12月16日（周三）17:30 前 otherwise; the year is named when it is not ``now``'s."""
    local = due.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        day, clock_time = local - timedelta(days=1), "24:00"
    else:
        day, clock_time = local, f"{local:%H:%M}"
    year = f"{day.year}年" if now is not None and now.astimezone(SHANGHAI).year != day.year else ""
    return f"{year}{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）{clock_time} 前"


# -- who did it, through which channel, and what the SLA service said (the dashboard's drill-down) -----------------

#: Each filing channel (intake's ``channel``), as people know it.
CHANNEL_NAMES: dict[str, str] = {
    "web": "网站",
    "app": "手机App",
    "api": "系统对接",
    "hotline": "12345热线",
}

#: Each role of a role-qualified actor (``handler:power:张三``, ``dispatcher:李四``, ``filer`` …).
ROLE_NAMES: dict[str, str] = {
    "filer": "诉求人",
    "operator": "话务员",
    "dispatcher": "派单员",
    "handler": "承办人",
    "supervisor": "督办",
    "admin": "管理员",
    "followup": "回访员",
    "partner": "对接平台",
}

#: Actors that are a service of the product, not a person.
SYSTEM_ACTOR_NAMES: dict[str, str] = {
    "router": "系统自动分派",
    "sla": "时限监控",
    "intake": "系统自动登记",
    "system": "系统自动办结",
}

#: Each SLA milestone of ``shared/data/sla_policies.json`` by the lifecycle step that stops it; read "{name}时限".
MILESTONE_NAMES: dict[str, str] = {
    "dispatch": "分派",
    "contact": ACTION_NAMES["contact"],
    "answer": ACTION_NAMES["answer"],
    "resolution": "办结",
}

#: The units of a time limit (``shared/data/sla_policies.json``), as a notice reads them: 10 日内办结, 5 个工作日内答复.
LIMIT_UNITS: dict[str, str] = {"calendar_days": "日", "working_days": "个工作日"}


def limit_notice(limit: int, unit: str, milestone: str) -> str:
    """A time limit as the filer is told it (Open311's ``service_notice``): 10 日内办结, 5 个工作日内答复."""
    return f"{limit} {LIMIT_UNITS.get(unit, unit)}内{MILESTONE_NAMES.get(milestone, milestone)}"


#: The escalation levels after a breach, lowest first.
ESCALATION_LEVEL_NAMES: dict[str, str] = {
    "department_lead": "部门负责人督办",
    "center_supervision": "营商中心督办",
    "joint_meeting": "联席会议",
}

#: Why a deadline moved (``sla.deadline_changed``'s ``cause``).
DEADLINE_CAUSE_NAMES: dict[str, str] = {
    "difficult": "认定为疑难",
    "extension": "延期",
    "reopened": "不满意重办",
    "rerouted": "改派",
}

#: The SLA policies, as the dashboard's filter and lists name them.
POLICY_NAMES: dict[str, str] = {
    "standard": "一般投诉（10日）",
    "financial_service": "金融服务投诉（5个工作日）",
    "guizhou": "贵州条例时限",
    "shanxi": "山西“六最”时限",
}

_SMALL_NUMBERS = ("零", "一", "两", "三", "四", "五", "六", "七", "八", "九")


def warning_name(level: str | None) -> str:
    """An ``sla.warning``'s level in words: ``70pct`` is 时限过七成预警 (when 70% of the period has passed),
    ``1_working_day`` 剩一个工作日预警 (at the start of the period's last working day), ``2_working_days``
    剩两个工作日预警 — whatever fractions and days a policy configures."""
    level = level or ""
    if level.endswith("pct"):
        try:
            percent = float(level[:-3])
        except ValueError:
            return EVENT_NAMES["warning"]
        if percent % 10 == 0 and 0 < percent < 100:
            return f"时限过{_SMALL_NUMBERS[int(percent) // 10]}成预警"
        return f"时限过{percent:g}%预警"
    days, _, unit = level.partition("_")
    if days.isdigit() and unit in ("working_day", "working_days"):
        k = int(days)
        return f"剩{_SMALL_NUMBERS[k] if k < 10 else k}个工作日预警"
    return EVENT_NAMES["warning"]


def sla_step_name(kind: str, level: str | None) -> str:
    """What an SLA step (``warning``, ``breached``, ``escalated``) says: 时限过七成预警, 超期, 营商中心督办 …"""
    if kind == "warning":
        return warning_name(level)
    if kind == "escalated":
        return ESCALATION_LEVEL_NAMES.get(level or "", EVENT_NAMES["escalated"])
    return EVENT_NAMES.get(kind, kind)


def actor_name(actor: str | None, department_names: Mapping[str, str]) -> str:
    """Who an actor is, in words: 青山县自然资源和规划局 张三 for ``handler:natural_resources:张三``, 青山县营商环境服务中心
    派单员 李四 for ``dispatcher:李四``, 系统自动分派 for ``router``, 时限监控 for ``sla``, 诉求人 for ``filer`` …
    ``department_names`` maps department ids to their names (``shared.catalog``); an unknown actor stays as it is."""
    if not actor:
        return ""
    if actor in SYSTEM_ACTOR_NAMES:
        return SYSTEM_ACTOR_NAMES[actor]
    role, _, rest = actor.partition(":")
    if role not in ROLE_NAMES:
        return actor
    if role == "handler":
        department, _, name = rest.partition(":")
        return " ".join(p for p in (department_names.get(department, department), name) if p)
    words = [ROLE_NAMES[role], rest]
    if role in ("dispatcher", "followup"):
        words.insert(0, department_names.get(CENTER_ID, ""))
    return " ".join(p for p in words if p)
