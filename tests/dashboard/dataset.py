"""A generated month of complaints as events (a few hundred, seeded), plus the plain facts each complaint ends with,
so a test can compute the dashboard's figures on its own and compare them with what the page shows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from shared import events as ev
from shared.calendar import SHANGHAI
from tests.dashboard.helpers import Feed

DEPARTMENTS = ("power", "market", "housing", "natural_resources", "hrss", "tax", "finance")
LEVELS = ("department_lead", "center_supervision", "joint_meeting")
TITLES = ("一周停了四次电", "办照材料反复要求补交", "工程款拖欠半年未付", "用地审批久拖不决", "社保转移办不下来",
          "退税迟迟不到账", "续贷被抽贷", "联系电话13812345678，请尽快回复")
LONG = "CLONG"
LONG_TITLE = ("白沙镇工业集中区陶瓷厂反映：本月以来厂区所在线路已经连续停电七次，既没有预告也没有说明，窑炉突然断电造成整窑"
              "产品报废，损失超过二十万元，多次询问供电所均称正在排查，请求尽快查明原因、恢复稳定供电并研究赔偿事宜")
REASONS = ("问题没有解决", "答复敷衍，停电照旧", "只回了电话，没有人来现场看过，请再打13812345678联系")


@dataclass
class Truth:
    complaint_id: str
    department: str | None
    first_department: str | None
    policy: str
    received_at: datetime
    due_at: datetime | None
    routed_count: int = 0
    answered_at: datetime | None = None  # the last answer, when the complaint is answered now
    rating: str | None = None  # the first (and only) rating
    rated_at: datetime | None = None
    reopened_at: datetime | None = None  # the 不满意 reopened it (then answered_at is the answer after it, if any)
    title: str = ""


def _midnight_after(day) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def generate(now: datetime, count: int = 300, seed: int = 12345) -> tuple[list[ev.Envelope], list[Truth]]:
    rng = random.Random(seed)
    feed = Feed()
    truths: list[Truth] = []
    for n in range(count):
        cid = f"C{n:04d}"
        received = now - timedelta(days=28) + timedelta(minutes=rng.randrange(0, 28 * 24 * 60 - 120))
        title = rng.choice(TITLES)
        feed.received(cid, received, title=title)
        if rng.random() < 0.03:
            feed.triage(cid, received)
            truths.append(Truth(cid, None, None, "standard", received, None, title=title))
            continue
        dept = rng.choice(DEPARTMENTS)
        policy = "financial_service" if dept == "finance" else "standard"
        local_day = received.astimezone(SHANGHAI).date()
        due = _midnight_after(local_day + timedelta(days=7 if policy == "financial_service" else 10))
        feed.routed(cid, dept, received, received + timedelta(minutes=1), policy=policy)
        feed.clock(cid, dept, due, policy=policy, at=received + timedelta(minutes=1))
        truth = Truth(cid, dept, dept, policy, received, due, routed_count=1, title=title)
        truths.append(truth)
        if rng.random() < 0.08:
            other = rng.choice([d for d in DEPARTMENTS if d != dept and d != "finance"])
            at = received + timedelta(hours=3)
            feed.transition(ev.ComplaintReturnedV1, cid, dept, at, "rerouting", returned_by=dept,
                            reason="不属于本部门职责", suggested_department=other)
            feed.routed(cid, other, received, at + timedelta(minutes=1), policy=policy, attempt=1)
            truth.department, truth.routed_count = other, 2
        dept = truth.department
        u = rng.random()
        if u < 0.06:
            answer = due                                    # exactly at the deadline: on time
        elif u < 0.10:
            answer = due + timedelta(minutes=1)             # a minute late
        else:
            answer = received + timedelta(hours=rng.uniform(6, 400))
        if answer >= now:
            _overdue_steps(feed, rng, cid, dept, due, now, policy)
            continue
        feed.answered(cid, dept, answer)
        truth.answered_at = answer
        rated = answer + timedelta(hours=rng.uniform(2, 48))
        if rng.random() < 0.7 and rated < now:
            rating = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], [0.6, 0.25, 0.15])[0]
            feed.rated(cid, dept, rated, rating)
            truth.rating, truth.rated_at = rating, rated
            reopen = rated + timedelta(hours=1)
            if rating == "dissatisfied" and reopen < now:
                feed.reopened(cid, dept, reopen, reason=rng.choice(REASONS))
                new_due = _midnight_after(reopen.astimezone(SHANGHAI).date() + timedelta(days=10))
                feed.deadline(cid, new_due, due, reopen, policy)
                truth.due_at, truth.answered_at, truth.reopened_at = new_due, None, reopen
                again = reopen + timedelta(hours=rng.uniform(10, 200))
                if again < now:
                    feed.answered(cid, dept, again)
                    truth.answered_at = again
    # A title as long as filings may have them: the lists show two lines of it.
    received = now - timedelta(days=15)
    due = _midnight_after(received.astimezone(SHANGHAI).date() + timedelta(days=10))
    feed.received(LONG, received, title=LONG_TITLE)
    feed.routed(LONG, "natural_resources", received, received + timedelta(minutes=1))
    feed.clock(LONG, "natural_resources", due, at=received + timedelta(minutes=1))
    _overdue_steps(feed, rng, LONG, "natural_resources", due, now, "standard")
    truths.append(Truth(LONG, "natural_resources", "natural_resources", "standard", received, due, routed_count=1,
                        title=LONG_TITLE))
    return feed.envelopes, truths


def _overdue_steps(feed: Feed, rng: random.Random, cid: str, dept: str, due: datetime, now: datetime,
                   policy: str) -> None:
    if due < now:
        feed.step("breached", cid, dept, due, due, None, policy)
        for i, level in enumerate(LEVELS[1:], start=1):
            if due + timedelta(days=i * 2) < now:
                feed.step("escalated", cid, dept, due, due + timedelta(days=i * 2), level, policy)
