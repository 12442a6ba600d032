"""The demo's walk (:class:`Demo`): plans the filings up to the present, then moves the simulated clock forward
through them, one hour at a time, and acts as the enterprises, handlers, the dispatcher and the filers would — every
action through the product's HTTP API.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import httpx

from services.demo.plan import LATE_HOURS, SHOWCASE, Case, Deadlines, Task
from services.demo.texts import (
    DEPARTMENTS,
    FIRM_KINDS,
    FIRM_WORDS,
    ITEMS,
    REOPEN_REASONS,
    TEMPLATES,
    WEIGHTS,
    credit_code,
)
from shared import clock
from shared.auth import issue_token
from shared.calendar import SHANGHAI
from shared.catalog import TOWNSHIP_ID, load_catalog, load_gazetteer
from shared.settings import AllInOneSettings

log = logging.getLogger("complaints.demo")


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
        if view["status"] == "return_review":  # the center's review of a return: the dispatcher approves it
            if await self._act(case, "approve-return", self.dispatcher, etag, {}):
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
            body = {"reason": "不属于本部门职责范围，请重新分派", "suggested_department": suggestion}
            if await self._act(case, "return", token, etag, body) is None:  # past the window: the supervisor permits
                etag = await self._act(case, "permit-return", self.staff, etag, {"reason": "经核实确属误派"})
                if etag:
                    await self._act(case, "return", token, etag, body)
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
    return load_gazetteer().townships
