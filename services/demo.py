"""A realistic month for the supervisors' dashboard: ``python -m services.demo`` (``make demo``).

Runs the whole product in this process (a fresh embedded database directory, or with ``--configured`` the database
and broker of the environment), shifts :mod:`shared.clock` back and walks forward to the present through the last
``--days`` days: enterprises file complaints through ``POST /v1/complaints`` (Chinese texts generated from templates
per department, so the router spreads them across the catalog), handlers work them through the lifecycle endpoints
(claim, accept, contact, answer — most on time, some late, a few returned as misrouted or forgotten), the dispatcher
places what the router sent to triage, and filers rate the answers (some 不满意, which reopens the complaint).

Deadlines run for days (10 days, 5 working days, counted from receipt), longer than a short demo: in a walk of
``--days 10`` no complaint could be overdue yet nor answered late. So whatever ``--days``, a few complaints
(:data:`SHOWCASE`) are filed further back, early enough that their deadlines and a late answer after them pass before
the present: some left unanswered (overdue at the end), some answered late, some returned by their first department
and re-routed, some reopened after a 不满意 rating. Handlers plan on-time and late answers around the deadline the SLA
service sets, computed with the same policies, policy set and calendar (:class:`Deadlines`).

Everything goes through HTTP on the address of the environment's settings (``HOST``/``PORT``, default
127.0.0.1:8000; ``--host``/``--port`` override them); the routing, deadlines, escalations and the dashboard's figures
are the product's own. Afterwards the product keeps serving (the dashboard at ``/dashboard``, a supervisor token is
printed) unless ``--exit`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import logging
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from stdnum.cn import uscc

from services.sla.domain.deadlines import milestone_deadlines
from services.sla.domain.policies import SLA_CLASSES, load_policies
from services.standalone import build_app
from shared import clock
from shared.auth import issue_token
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.catalog import TOWNSHIP_ID, load_catalog
from shared.logs import setup_logging
from shared.settings import AllInOneSettings

log = logging.getLogger("complaints.demo")

#: Per department: (title, text) templates; {place}, {firm}, {n}, {item} are filled in.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "power": [
        ("一周停电{n}次影响生产", "{place}我们{firm}所在的工业园区这周已经停电{n}次，没有任何预告，生产线被迫停工，请供电部门尽快处理。"),
        ("厂区电压不稳烧坏设备", "{place}{firm}厂区电压长期不稳，上周烧坏两台{item}，多次找供电所没有结果。"),
        ("新装变压器报装迟迟不接电", "{firm}在{place}新建厂房，变压器报装申请提交两个月了，供电公司一直没有来接电。"),
    ],
    "market": [
        ("营业执照变更材料被反复退回", "{firm}在{place}办理营业执照经营范围变更，市场监管窗口三次退回材料，每次说法都不一样。"),
        ("食品经营许可证办理超时", "{firm}申请食品经营许可证已经超过承诺时限，市场监管局一直说在审核。"),
        ("同行虚假宣传无人查处", "{place}有商户长期虚假宣传、以次充好，我们{firm}举报到市场监管部门后没有下文。"),
    ],
    "tax": [
        ("出口退税迟迟不到账", "{firm}的出口退税申报已经三个月了，税务局一直没有办理退税，资金周转困难。"),
        ("电子税务局发票无法开具", "{firm}在电子税务局开具发票一直报错，打12366和去办税服务厅都没解决。"),
        ("留抵退税审核反复要求补资料", "{firm}申请增值税留抵退税，税务分局反复要求补交资料，已经拖了两个多月。"),
    ],
    "housing": [
        ("施工许可证审批拖延", "{firm}在{place}的厂房项目施工许可证申请提交很久了，住建局一直没有批下来。"),
        ("工程款拖欠半年未付", "{firm}承建的{place}政府投资项目完工半年，工程款一直被拖欠，住建部门协调无果。"),
        ("竣工验收备案久拖不办", "{firm}项目已经完工，竣工验收备案材料交到住建局一个多月没有回复。"),
    ],
    "natural_resources": [
        ("工业用地审批久拖不决", "{firm}在{place}申请的工业用地规划许可一直没有批复，自然资源局说还要研究。"),
        ("不动产登记办证慢", "{firm}购买的{place}厂房不动产权证办理超过法定时限，自然资源和规划局窗口一直推诿。"),
        ("规划条件迟迟不出", "{firm}的项目用地规划条件申请三个月没有出具，影响项目开工。"),
    ],
    "hrss": [
        ("社保转移办不下来", "{firm}员工的社保关系转移在人社局窗口办了几次都办不下来，职工意见很大。"),
        ("稳岗补贴没有发放", "{firm}符合稳岗返还条件，申请材料交到人力资源和社会保障局半年了，补贴一直没有发放。"),
        ("劳动仲裁立案拖延", "{firm}与员工的劳动争议申请仲裁，人社局仲裁院一直不立案。"),
    ],
    "finance": [
        ("政府采购货款迟迟不支付", "{firm}中标的政府采购项目已验收，财政局国库支付一直没有到账。"),
        ("企业奖补资金未兑现", "{firm}获得县里的技改奖补资金，文件发了一年了，财政局一直没有拨付。"),
    ],
    "gov_service": [
        ("政务服务大厅窗口推诿", "{firm}在县政务服务中心办理业务，窗口工作人员互相推诿，一件事跑了五趟。"),
        ("一网通办系统无法提交", "{firm}在政务服务网一网通办提交申请一直失败，政务服务管理局客服没有解决。"),
    ],
    "ndrc": [
        ("项目备案迟迟不通过", "{firm}的技改项目在发改委备案提交一个多月，一直没有通过，影响后续审批。"),
        ("节能审查久拖不办", "{firm}新建项目的节能审查在发展和改革委员会拖了两个月。"),
    ],
    "industry": [
        ("专精特新认定材料无人受理", "{firm}申报专精特新企业，材料交到工信局后一直没有人受理。"),
    ],
    "commerce": [
        ("外贸企业补贴申报无回应", "{firm}申报外贸发展专项资金，商务局一直没有回应。"),
    ],
    "justice": [
        ("行政执法检查过于频繁", "{firm}一个月内被不同部门检查六次，严重影响经营，希望司法局协调规范涉企执法检查。"),
    ],
    "court": [
        ("胜诉判决迟迟不执行", "{firm}的买卖合同纠纷胜诉一年多了，法院一直没有执行到位。"),
    ],
    "financial": [
        ("续贷被抽贷", "{firm}在农商行的贷款到期，银行不给续贷还要求追加抵押，企业资金链马上断了。"),
        ("担保公司乱收费", "{firm}申请政策性担保贷款，担保公司额外收取咨询费和保证金。"),
        ("银行贷款审批超时", "{firm}申请的小微企业信用贷款，银行审批拖了两个月没有结果。"),
    ],
}
ITEMS = ("电机", "数控机床", "空压机", "烘干设备", "冷库机组")
FIRM_WORDS = ("禾丰", "青山", "白沙", "瑞达", "恒通", "金穗", "宏远", "兴农", "鑫源", "华泰", "永康", "天成")
FIRM_KINDS = ("食品有限公司", "陶瓷厂", "机械制造有限公司", "建筑工程有限公司", "农业开发有限公司", "商贸有限公司",
              "纺织有限公司", "物流有限公司")
REOPEN_REASONS = ("答复没有解决实际问题", "只是电话说了一下，问题还在", "答复内容与事实不符")
DEPARTMENTS = list(TEMPLATES)
WEIGHTS = [4 if d in ("market", "housing", "natural_resources", "tax", "power", "hrss") else
           3 if d in ("financial", "gov_service", "finance") else 1 for d in DEPARTMENTS]
#: A late answer comes this many hours (uniform) after the deadline.
LATE_HOURS = (6.0, 96.0)
#: Complaints every demo has, whatever its length, filed far enough back that their deadlines pass before the end:
#: (fate, returned as misrouted by the first department, the filer's rating of the first answer), one a day back
#: from the last day early enough, once more per 50 complaints a day. Forgotten ones are overdue at the end; the
#: late ones are not reopened, so that they stay answered late.
SHOWCASE = (
    ("forgotten", False, None), ("late", False, "基本满意"), ("on_time", True, "满意"), ("on_time", False, "不满意"),
    ("forgotten", False, None), ("late", False, "满意"),
)


def credit_code(n: int = 0) -> str:
    """A valid 统一社会信用代码 (GB 32100) that differs by ``n``."""
    body = f"91{330000 + n % 99999:06d}{(600000000 + n) % 1000000000:09d}"[:17]
    return body + uscc.calc_check_digit(body)


class Deadlines:
    """The answer deadline the SLA service sets, from the same policies, policy set and calendar (the product's
    settings): handlers plan their answers around it, and the showcase is filed early enough for it to pass."""

    def __init__(self, settings: AllInOneSettings) -> None:
        self.policies = load_policies(settings.sla_policies_path)
        self.policy_set = settings.sla_policy_set
        self.calendar = WorkingCalendar.load(settings.calendar_overrides_path)

    def due(self, sla_class: str, since: datetime) -> datetime:
        """When a complaint of ``sla_class`` received (or reopened) at ``since`` must be answered."""
        policy = self.policies.policy_for(sla_class, self.policy_set)
        return max(due.due_at for milestone, due in milestone_deadlines(policy, since, self.calendar)
                   if milestone.stops_on == "answered")

    def latest(self, since: datetime) -> datetime:
        """The latest answer deadline of any SLA class for a complaint received at ``since``."""
        return max(self.due(sla_class, since) for sla_class in SLA_CLASSES)


@dataclass
class Case:
    """One demo complaint and how it will be worked."""

    n: int
    intended: str
    received_at: datetime
    fate: str  # on_time | late | forgotten
    returns: bool
    #: The filer's rating of the first answer when planned (the showcase); otherwise drawn when rating.
    first_rating: str | None = None
    #: When the deadline running now started: the receipt intake recorded, then the reopening.
    since: datetime | None = None
    id: str = ""
    access_token: str = ""
    reopened: bool = False
    answers: int = 0
    done: bool = False


@dataclass(order=True)
class Task:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    case: Case = field(compare=False)


class Demo:
    """The walk: planned at construction (the filings up to now), run with :meth:`run`."""

    def __init__(self, client: httpx.AsyncClient, settings: AllInOneSettings, rng: random.Random, days: int,
                 per_day: int) -> None:
        self.client = client
        self.secret = settings.auth_secret
        self.deadlines = Deadlines(settings)
        self.rng = rng
        #: The walk ends in the present.
        self.end = datetime.now(timezone.utc)
        self.per_day = per_day
        self.days = days
        self.tasks: list[Task] = []
        self.cases: list[Case] = []
        self.seq = 0
        self.places = [t.name for t in _townships()]
        #: A handler per department, and per township for the township department (``_handler``).
        self.tokens = {d.id: self._token(role="handler", department=d.id, name=f"{d.name[-5:]}承办人", now=self.end)
                       for d in load_catalog().departments if d.id != TOWNSHIP_ID}
        self.tokens |= {f"{TOWNSHIP_ID}:{t.name}": self._token(role="handler", department=TOWNSHIP_ID, township=t.id,
                                                               name=f"{t.name}承办人", now=self.end)
                        for t in _townships()}
        self.staff = self._token(role="supervisor", name="演示督办", now=self.end)
        #: Phone complaints are filed by a hotline operator (only an operator's token may use the hotline channel).
        self.operator = self._token(role="operator", name="演示话务员", now=self.end)
        self.dispatcher = self._token(role="dispatcher", name="演示派单员", now=self.end)
        self.stats: dict[str, int] = {}
        self.plan()
        #: The walk starts at the first filing.
        self.start = self.tasks[0].at

    def _token(self, **kw: Any) -> str:
        return issue_token(self.secret, ttl=timedelta(days=90), **kw)

    def _handler(self, view: dict[str, Any]) -> str | None:
        """The token of a handler who works the complaint: its department's, or its township's."""
        dept = view["department"]
        return self.tokens.get(f"{TOWNSHIP_ID}:{view.get('township')}" if dept == TOWNSHIP_ID else dept)

    def count(self, what: str) -> None:
        self.stats[what] = self.stats.get(what, 0) + 1

    def schedule(self, at: datetime, kind: str, case: Case) -> None:
        if at < self.end:
            self.seq += 1
            heapq.heappush(self.tasks, Task(at, self.seq, kind, case))

    # -- planning ---------------------------------------------------------------------------------------------------

    def plan(self) -> None:
        """Schedule the filings: the :data:`SHOWCASE`, then the ``--days`` of ordinary traffic up to now."""
        last = self._showcase_day()
        for _ in range(1 + self.per_day // 50):
            for i, (fate, returns, first_rating) in enumerate(SHOWCASE):
                self._file_on(last - timedelta(days=i), fate, returns, first_rating)
        first = self.end - timedelta(days=self.days)
        for day in range(self.days):
            on = (first + timedelta(days=day)).astimezone(SHANGHAI).date()
            weekend = on.weekday() >= 5
            count = max(1, int(self.per_day * (0.35 if weekend else 1.0) * self.rng.uniform(0.8, 1.2)))
            for _ in range(count):
                u = self.rng.random()
                fate = "forgotten" if u < 0.03 else "late" if u < 0.18 else "on_time"
                self._file_on(on, fate, self.rng.random() < 0.05)

    def _showcase_day(self) -> date:
        """The last day on which a complaint, whatever its SLA class, is due early enough for a late answer (at most
        :data:`LATE_HOURS` after the deadline, then moved into office hours) to come before the end."""
        margin = timedelta(hours=LATE_HOURS[1] + 24)
        day = self.end.astimezone(SHANGHAI).date()
        while True:
            day -= timedelta(days=1)
            if self.deadlines.latest(datetime.combine(day, time(12), tzinfo=SHANGHAI)) + margin <= self.end:
                return day

    def _file_on(self, day: date, fate: str, returns: bool, first_rating: str | None = None) -> None:
        minute = self.rng.randrange(8 * 60, 20 * 60)
        at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=SHANGHAI)
        case = Case(len(self.cases) + 1, self.rng.choices(DEPARTMENTS, WEIGHTS)[0], at, fate, returns, first_rating)
        self.cases.append(case)
        self.schedule(at, "file", case)

    def _work_time(self, after: datetime, hours: float) -> datetime:
        """``hours`` later, moved into office hours (08:30–17:30)."""
        t = (after + timedelta(hours=hours)).astimezone(SHANGHAI)
        if t.hour < 8:
            t = t.replace(hour=8, minute=30 + self.rng.randrange(0, 29))
        elif t.hour >= 17:
            t = (t + timedelta(days=1)).replace(hour=8, minute=30 + self.rng.randrange(0, 29))
        return t

    # -- the actions ------------------------------------------------------------------------------------------------

    def _filing(self, case: Case) -> dict[str, Any]:
        title, text = self.rng.choice(TEMPLATES[case.intended])
        fill = dict(place=self.rng.choice(self.places) if self.rng.random() < 0.7 else "",
                    firm="我公司" if self.rng.random() < 0.3 else
                    f"{self.rng.choice(FIRM_WORDS)}{self.rng.choice(FIRM_KINDS)}",
                    n=self.rng.randrange(2, 7), item=self.rng.choice(ITEMS))
        enterprise = f"青山县{self.rng.choice(FIRM_WORDS)}{self.rng.choice(FIRM_KINDS)}"
        return {
            "title": title.format(**fill), "text": text.format(**fill) + f"（第{case.n}号反映）",
            "channel": self.rng.choice(["api", "web", "hotline", "hotline"]),
            "filer": {"enterprise_name": enterprise, "credit_code": credit_code(case.n), "contact_name": "演示联系人",
                      "mobile": f"139{case.n % 100000000:08d}"},
        }

    async def file(self, case: Case) -> None:
        filing = self._filing(case)
        headers = {"Idempotency-Key": f"demo-{case.n}"}
        if filing["channel"] == "hotline":
            headers["Authorization"] = f"Bearer {self.operator}"
        response = await self.client.post("/v1/complaints", json=filing, headers=headers)
        if response.status_code != 201:
            log.warning("filing %s refused: %s %s", case.n, response.status_code,
                        [e.get("code") for e in response.json().get("errors", [])] if response.content else "")
            self.count("filing_refused")
            return
        body = response.json()
        case.id, case.access_token = body["id"], body["access_token"]
        case.since = datetime.fromisoformat(body["received_at"])
        self.count("filed")
        self.schedule(self._work_time(case.received_at, self.rng.uniform(1, 20)), "work", case)

    async def _view(self, case: Case, token: str | None = None) -> tuple[dict[str, Any], str]:
        response = await self.client.get(f"/v1/complaints/{case.id}",
                                         headers={"Authorization": f"Bearer {token or self.staff}"})
        response.raise_for_status()
        return response.json(), response.headers.get("etag", "")

    async def _placed(self, case: Case) -> tuple[dict[str, Any], str]:
        """The complaint once the router (or the dispatcher) has placed it; waits for the pipeline if needed."""
        for _ in range(200):
            view, etag = await self._view(case)
            if view["status"] not in ("received", "rerouting"):
                return view, etag
            await asyncio.sleep(0.05)
        return view, etag

    async def _act(self, case: Case, action: str, token: str, etag: str, body: dict | None = None) -> str | None:
        response = await self.client.post(f"/v1/complaints/{case.id}/{action}", json=body,
                                          headers={"Authorization": f"Bearer {token}", "If-Match": etag})
        if response.status_code != 200:
            log.info("%s on %s: %s %s", action, case.n, response.status_code, response.text[:200])
            self.count(f"{action}_refused")
            return None
        self.count(action)
        return response.headers.get("etag", "")

    async def work(self, case: Case) -> None:
        """A handler picks it up: claim, accept, contact (or return it, or the dispatcher places it first)."""
        view, etag = await self._placed(case)
        if view["status"] == "triage":
            dept = case.intended if case.intended != "financial" else "finance"
            placement = {"department": dept}
            if dept == TOWNSHIP_ID:  # a township's own queue: the one it was filed under, else any
                placement["township"] = view.get("township") or self.rng.choice(self.places)
            if await self._act(case, "dispatch", self.dispatcher, etag, placement):
                self.schedule(self._work_time(clock.now(), self.rng.uniform(1, 6)), "work", case)
            return
        dept, token = view["department"], self._handler(view)
        if token is None or view["status"] not in ("routed", "reopened", "claimed", "accepted"):
            return
        etag = await self._act(case, "claim", token, etag)
        if etag is None:
            return
        if case.returns and not case.reopened and view["status"] == "routed":
            case.returns = False
            others = [d.id for d in load_catalog().departments if d.id not in (dept, "center")]
            suggestion = case.intended if case.intended in load_catalog() and case.intended != dept else \
                self.rng.choice(others)
            await self._act(case, "return", token, etag, {"reason": "不属于本部门职责范围，请重新分派",
                                                          "suggested_department": suggestion})
            self.schedule(self._work_time(clock.now(), self.rng.uniform(2, 8)), "work", case)
            return
        etag = await self._act(case, "accept", token, etag)
        if etag and self.rng.random() < 0.9:
            await self._act(case, "contact", token, etag, {"note": "已电话联系企业了解情况"})
        if case.fate == "forgotten" and not case.reopened:
            return
        due = self.deadlines.due(view.get("sla_policy") or "standard", case.since)
        if case.fate == "late" and not case.reopened:
            at = self._work_time(due, self.rng.uniform(*LATE_HOURS))
        else:  # done by the morning of the last day at the latest
            span = (due - case.since).total_seconds() / 3600
            at = self._work_time(case.since, self.rng.uniform(20, max(20, span - 24)))
        self.schedule(max(at, clock.now() + timedelta(hours=2)), "answer", case)

    async def answer(self, case: Case) -> None:
        view, etag = await self._view(case)
        token = self._handler(view)
        if token is None:
            return
        etag = await self._act(case, "claim", token, etag)
        if etag is None:
            return
        text = "经核实，已协调相关单位办理完毕，并电话告知企业。" if self.rng.random() < 0.5 else \
            "已约谈相关责任人，问题已整改，后续将加强跟踪。"
        if await self._act(case, "answer", token, etag, {"text": text}):
            case.answers += 1
            if (case.first_rating and case.answers == 1) or self.rng.random() < 0.8:
                self.schedule(self._work_time(clock.now(), self.rng.uniform(6, 60)), "rate", case)

    async def rate(self, case: Case) -> None:
        view, etag = await self._view(case, case.access_token)
        if view["status"] != "answered":
            return
        if case.first_rating and not case.reopened:
            rating = case.first_rating
        else:
            u = self.rng.random()
            rating = "不满意" if u < (0.13 if case.fate != "late" else 0.35) else "基本满意" if u < 0.45 else "满意"
        body: dict[str, Any] = {"rating": rating}
        if rating == "不满意":
            body["reason"] = self.rng.choice(REOPEN_REASONS)
        if await self._act(case, "rating", case.access_token, etag, body) and rating == "不满意" and not case.reopened:
            case.reopened, case.since = True, clock.now()
            self.schedule(self._work_time(clock.now(), self.rng.uniform(2, 24)), "work", case)

    # -- the walk ---------------------------------------------------------------------------------------------------

    def rewind(self) -> None:
        """Set the simulated clock to the walk's start."""
        clock.set_offset(self.start - datetime.now(timezone.utc))

    async def run(self, concurrency: int = 12) -> None:
        """Walk from the first filing to the end, then give the clock back its real time."""
        log.info("demo: %d complaints over %d days, from %s on (the showcase)", len(self.cases), self.days,
                 self.start.astimezone(SHANGHAI).date())
        self.rewind()
        try:
            await self._walk(concurrency)
        finally:
            clock.set_offset(timedelta(0))

    async def _walk(self, concurrency: int) -> None:
        day = None
        while self.tasks:
            # One simulated hour at a time: its tasks run concurrently (one task per complaint at most).
            hour = self.tasks[0].at.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)
            batch: list[Task] = []
            seen: set[int] = set()
            while self.tasks and self.tasks[0].at < hour + timedelta(hours=1) and self.tasks[0].case.n not in seen:
                task = heapq.heappop(self.tasks)
                seen.add(task.case.n)
                batch.append(task)
            current = max(batch[0].at, hour, clock.now())  # the simulated clock never goes back
            clock.set_offset(current - datetime.now(timezone.utc))
            if hour.date() != day:
                day = hour.date()
                print(f"{day}  filed {self.stats.get('filed', 0):5d}  answered {self.stats.get('answer', 0):5d}  "
                      f"rated {self.stats.get('rating', 0):5d}", flush=True)
            semaphore = asyncio.Semaphore(concurrency)

            async def one(task: Task) -> None:
                async with semaphore:
                    try:
                        await getattr(self, task.kind)(task.case)
                    except (httpx.HTTPError, KeyError) as exc:
                        log.warning("%s on complaint %s failed: %s", task.kind, task.case.n, exc)
                        self.count(f"{task.kind}_failed")

            await asyncio.gather(*(one(t) for t in batch))


def _townships():
    from shared.catalog import load_gazetteer

    return load_gazetteer().townships


def settings_for(args: argparse.Namespace) -> AllInOneSettings:
    """The product's settings for the demo: the environment's (``HOST``, ``PORT`` …), ``--host``/``--port`` over
    them, and unless ``--configured`` the embedded default in ``--data-dir``."""
    # Handlers wait for intake to follow the routing: consumers batch for a fraction of a second, not the default
    # second meant for load.
    overrides: dict[str, Any] = dict(filing_rate_per_minute=0, timer_interval_s=0.2, outbox_poll_interval_s=0.05,
                                     consumer_linger_s=0.05)
    overrides.update({name: getattr(args, name) for name in ("host", "port") if getattr(args, name) is not None})
    if not args.configured:
        data = Path(args.data_dir)
        overrides.update(database_url=f"sqlite+aiosqlite:///{data}/{{service}}.db",
                         embedded_bus_path=str(data / "bus.db"), kafka_bootstrap_servers="")
    return AllInOneSettings(**overrides)


async def main_async(args: argparse.Namespace) -> int:
    if not args.configured:
        data = Path(args.data_dir)
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
    settings = settings_for(args)
    setup_logging(settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = f"http://{settings.host}:{settings.port}"
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        demo = Demo(client, settings, random.Random(args.seed), args.days, args.per_day)
        demo.rewind()  # the services start in the simulated past
        server = uvicorn.Server(uvicorn.Config(build_app(settings), host=settings.host, port=settings.port,
                                               log_level="warning", timeout_graceful_shutdown=3))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                return 1
            await asyncio.sleep(0.05)
        await demo.run()
    await asyncio.sleep(3)  # let the last events reach the SLA service's projection
    token = issue_token(settings.auth_secret, role="supervisor", name="王督办", ttl=timedelta(days=30))
    print(f"\ndemo month done: {demo.stats}")
    print(f"dashboard: {url}/dashboard   supervisor token:\n{token}\n", flush=True)
    if args.exit:
        server.should_exit = True
    await serving
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    parser.add_argument("--per-day", type=int, default=100, help="complaints per working day (default 100)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", default="./var/demo", help="fresh embedded database directory (wiped first)")
    parser.add_argument("--configured", action="store_true",
                        help="use DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS of the environment instead of --data-dir")
    parser.add_argument("--host", help="listen address (default: HOST of the environment, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: PORT of the environment, else 8000)")
    parser.add_argument("--exit", action="store_true", help="stop after the walk instead of serving")
    return parser


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
