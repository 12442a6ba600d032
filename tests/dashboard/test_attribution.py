"""The dashboard against intake on the whole product (embedded default, router really routing, SLA really timing):
complaints answered, rated 不满意, reopened, returned (退回), re-routed, sent to the dispatcher and dispatched — each
figure of the summary counted for the department it is about, by hand, and the drill-down's status and department
the ones intake shows; again after a restart on the same files.

Days pass through the process clock's offset (``shared.clock``); every instant the figures depend on is read back
from intake's own view of the complaint.

- A: 供电局 (power) answers; the filer is 不满意 and it reopens; power returns it; re-routed to 乡镇 (township), which
  answers on day 25 — after the deadline the reopening restarted — and the filer is 满意.
- B: power answers on day 3; 满意.
- C: 住建局 (housing) returns it; re-routed to 政务服务局 (gov_service), where it waits, overdue.
- D: power returns it without a suggestion; the router cannot place it: it waits for the dispatcher (待分派), overdue;
  at the end the dispatcher places it with 市场监管局 (market).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from shared import clock
from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, credit_code, eventually

BLACKOUT = ("一周停了四次电", "白沙镇工业集中区的陶瓷厂，这周已经停电四次，没有任何预告，窑炉突然断电，损失好几万。")
OUTAGE = ("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                         "请供电公司查明原因，保障供电。")
FIRE_CHECK = ("厂房消防验收一直办不下来", "我公司新建厂房已经完工，申请消防验收三个月了，住建局说要先补资料，"
                                 "来回跑了五趟还是没有结果，影响投产。")
POWER_CUTS = ("停电没有预告", "我公司位于工业园区，本周已经停电四次，没有任何预告，生产线损失严重，请供电部门尽快处理。")

#: The filer's words when 不满意: supervisors read them on the dashboard; no log may carry them.
REASON = "答复只说正在协调，停电问题根本没有解决"

#: A department's summary entry with nothing in it.
EMPTY = dict(received=0, open=0, due_soon=0, overdue=0, overdue_max_hours=0.0, answered=0, answered_on_time=0,
             received_answered=0, rated=0, ratings=0, satisfied=0, routed=0, rerouted=0, reopened=0,
             handling_hours_total=0.0,
             on_time_rate=None, completion_rate=None, follow_up_rate=None, satisfaction_rate=None,
             avg_handling_hours=None, reroute_rate=None)


def body(title_text: tuple[str, str], n: int) -> dict:
    """A filing by its own enterprise (distinct credit codes: none is a duplicate of another)."""
    filing = complaint_body(*title_text)
    filing["filer"] = {**filing["filer"], "credit_code": credit_code(100 + n)}
    return filing


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def hours(start: str, end: str) -> float:
    return (at(end) - at(start)).total_seconds() / 3600


class Line:
    """The people at work on the line, through the API."""

    def __init__(self, client, secret: str) -> None:
        self.client = FilerClient(client)
        self.filers: dict[str, Actor] = {}
        self.supervisor = Actor(self.client, issue_token(secret, role="supervisor", name="王督办"))
        self.dispatcher = Actor(self.client, issue_token(secret, role="dispatcher", name="李派单"))
        self.handlers = {d: Actor(self.client, issue_token(secret, role="handler", name="承办人", department=d,
                                                           township="baisha" if d == "township" else None))
                         for d in ("power", "township", "housing", "gov_service")}

    async def file(self, title_text: tuple[str, str], n: int, department: str) -> str:
        created = (await self.client.post("/v1/complaints", json=body(title_text, n))).json()
        self.filers[created["id"]] = Actor(self.client, created["access_token"])
        assert (await wait_routed(self.client, created["id"]))["department"] == department
        return created["id"]

    async def intake(self, cid: str) -> dict:
        return (await self.supervisor.get(f"/v1/complaints/{cid}")).json()

    async def settled(self, cid: str, status: str) -> dict:
        """Intake's view once intake has followed the router to ``status``."""
        async def reached():
            view = await self.intake(cid)
            return view if view["status"] == status else None
        return await eventually(reached)

    async def answer(self, cid: str, department: str) -> None:
        handler = self.handlers[department]
        await handler.act(cid, "claim")
        await handler.act(cid, "answer", {"text": "已现场核查并处理完毕。"})

    async def give_back(self, cid: str, department: str, suggested: str | None, *, permit: bool = False) -> None:
        """The department returns it (a supervisor's permit first, for a return the rules would refuse) and the
        center's review approves the return."""
        handler = self.handlers[department]
        await handler.act(cid, "claim")
        if permit:
            await self.supervisor.act(cid, "permit-return", {"reason": "重办件确属误派"})
        reason = {"reason": "不属于本部门职责"} | ({"suggested_department": suggested} if suggested else {})
        assert (await handler.act(cid, "return", reason)).json()["status"] == "return_review"
        assert (await self.dispatcher.act(cid, "approve-return")).json()["status"] == "rerouting"

    async def rate(self, cid: str, rating: str) -> None:
        reason = {"reason": REASON} if rating == "不满意" else {}
        await self.filers[cid].act(cid, "rating", {"rating": rating, **reason})

    async def dashboard(self, path: str) -> dict:
        response = await self.client.get(f"/dashboard/api/{path}", headers=self.supervisor.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def agrees(self, cid: str, *kinds: str) -> dict:
        """The drill-down once it shows intake's status and lead department and its timeline has ``kinds``."""
        async def same():
            mine, theirs = await self.dashboard(f"complaints/{cid}"), await self.intake(cid)
            seen = [e["kind"] for e in mine["timeline"]]
            together = (mine["status"], mine["department"]) == (theirs["status"], theirs["department"])
            return mine if together and all(seen.count(k) >= kinds.count(k) for k in set(kinds)) else None
        try:
            return await eventually(same, timeout=15)
        except AssertionError:
            mine, theirs = await self.dashboard(f"complaints/{cid}"), await self.intake(cid)
            raise AssertionError(f"dashboard shows {mine['status']}/{mine['department']}, intake "
                                 f"{theirs['status']}/{theirs['department']}; timeline "
                                 f"{[e['kind'] for e in mine['timeline']]}") from None


def check(summary: dict, expected: dict[str, dict]) -> None:
    """Every figure of every department (and the total) is the hand count; the departments not named are empty."""
    departments = {d["department"]: d for d in summary["departments"]}
    assert set(expected) - {"total"} <= set(departments)
    for name, entry in [*departments.items(), ("total", summary["total"])]:
        want = {**EMPTY, **expected.get(name, {})}
        got = {k: entry[k] for k in EMPTY}
        assert got == pytest.approx(want), f"{name}: {got} != {want}"


async def test_each_figure_counts_for_its_department_and_the_status_is_intakes(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = embedded_settings(tmp_path)
    try:
        async with running_app(settings) as (app, client):
            line = Line(client, settings.auth_secret)
            a = await line.file(BLACKOUT, 1, "power")
            b = await line.file(OUTAGE, 2, "power")
            c = await line.file(FIRE_CHECK, 3, "housing")
            d = await line.file(POWER_CUTS, 4, "power")

            await line.give_back(d, "power", None)                 # nobody else fits: to the dispatcher
            assert (await line.settled(d, "triage"))["department"] is None
            await line.agrees(d, "returned", "triage_required")
            await line.give_back(c, "housing", "gov_service")
            assert (await line.settled(c, "routed"))["department"] == "gov_service"
            await line.agrees(c, "returned", "routed", "routed")

            clock.set_offset(timedelta(days=2))
            await line.answer(a, "power")
            await line.rate(a, "不满意")                             # reopens it; the deadline restarts
            await line.give_back(a, "power", "township", permit=True)  # answered before: past the window
            assert (await line.settled(a, "routed"))["department"] == "township"
            await line.agrees(a, "reopened", "returned", "routed", "routed")

            clock.set_offset(timedelta(days=3))
            await line.answer(b, "power")
            await line.rate(b, "满意")

            clock.set_offset(timedelta(days=25))
            await line.answer(a, "township")
            await line.rate(a, "满意")

            views = {cid: await line.intake(cid) for cid in (a, b, c, d)}
            assert [views[cid]["status"] for cid in (a, b, c, d)] == ["closed", "closed", "routed", "triage"]
            assert at(views[a]["answered_at"]) > at(views[a]["due_at"])      # township: late
            assert at(views[b]["answered_at"]) <= at(views[b]["due_at"])     # power: on time
            a_hours = hours(views[a]["received_at"], views[a]["answered_at"])
            b_hours = hours(views[b]["received_at"], views[b]["answered_at"])

            def expected(now: str, *, dispatched: bool = False) -> dict[str, dict]:
                c_late = hours(views[c]["due_at"], now)
                d_late = hours(views[d]["due_at"], now)
                d_open = dict(received=1, open=1, overdue=1, overdue_max_hours=d_late, completion_rate=0.0)
                return {
                    # B received, answered on time, rated 满意. Ratings: A's 不满意 of power's answer, B's 满意.
                    # Given first: A (re-routed), B, D (re-routed once the dispatcher places it).
                    # A's 不满意 reopened it: a reopening for power, whose answer it judged.
                    "power": dict(received=1, answered=1, answered_on_time=1, received_answered=1, rated=1,
                                  ratings=2, satisfied=1, routed=3, rerouted=2 if dispatched else 1, reopened=1,
                                  handling_hours_total=b_hours, on_time_rate=1.0, completion_rate=1.0,
                                  follow_up_rate=1.0, satisfaction_rate=1 / 2, avg_handling_hours=b_hours,
                                  reroute_rate=(2 if dispatched else 1) / 3),
                    # A received, answered late (the reopening's deadline), its answer rated 满意.
                    "township": dict(received=1, answered=1, answered_on_time=0, received_answered=1, rated=1,
                                     ratings=1, satisfied=1, handling_hours_total=a_hours, on_time_rate=0.0,
                                     completion_rate=1.0, follow_up_rate=1.0, satisfaction_rate=1.0,
                                     avg_handling_hours=a_hours),
                    # C was given to housing first, and re-routed.
                    "housing": dict(routed=1, rerouted=1, reroute_rate=1.0),
                    # C waits at gov_service, overdue.
                    "gov_service": dict(received=1, open=1, overdue=1, overdue_max_hours=c_late,
                                        completion_rate=0.0),
                    **({"market": d_open} if dispatched else {"unplaced": d_open}),
                    "total": dict(received=4, open=2, overdue=2, overdue_max_hours=max(c_late, d_late), answered=2,
                                  answered_on_time=1, received_answered=2, rated=2, ratings=3, satisfied=2,
                                  routed=4, rerouted=3 if dispatched else 2, reopened=1,
                                  handling_hours_total=a_hours + b_hours,
                                  on_time_rate=1 / 2, completion_rate=2 / 4, follow_up_rate=1.0,
                                  satisfaction_rate=2 / 3, avg_handling_hours=(a_hours + b_hours) / 2,
                                  reroute_rate=(3 if dispatched else 2) / 4),
                }

            async def all_agree() -> None:
                await line.agrees(a, "clock_opened", "deadline_changed", "rated", "rated", "closed")
                await line.agrees(b, "clock_opened", "rated", "closed")
                await line.agrees(c, "clock_opened", "routed", "routed")
                await line.agrees(d, "clock_opened", "triage_required")

            await all_agree()
            summary = await line.dashboard("summary")
            check(summary, expected(summary["now"]))
            await reopened_once(line, views[a])
            shown = {e["department"]: e["display"] for e in summary["departments"]}
            assert (shown["township"]["follow_up_rate"], shown["township"]["satisfaction_rate"],
                    shown["township"]["reroute_rate"]) == ("100.0%", "100.0%", "—")
            assert (shown["power"]["satisfaction_rate"], shown["power"]["reroute_rate"]) == ("50.0%", "33.3%")

        async with running_app(settings) as (app, client):  # a restart on the same files
            line = Line(client, settings.auth_secret)
            await all_agree()
            summary = await line.dashboard("summary")
            check(summary, expected(summary["now"]))

            await line.dispatcher.act(d, "dispatch", {"department": "market", "financial_service": False})
            assert (await line.settled(d, "routed"))["department"] == "market"
            await line.agrees(d, "triage_required", "dispatched", "routed", "routed")
            summary = await line.dashboard("summary")
            check(summary, expected(summary["now"], dispatched=True))
            await reopened_once(line, views[a])
    finally:
        clock.set_offset(timedelta(0))
    logged = [r.getMessage() for r in caplog.records]
    assert logged and not [m for m in logged if REASON in m], "the filer's reason reached a log"


async def reopened_once(line: Line, view: dict) -> None:
    """不满意重办 lists A once: power's answer was rated 不满意; with the filer's reason and A's status now."""
    [item] = await line.dashboard("reopened")
    assert (item["complaint_id"], item["tracking_number"], item["department"], item["reason"], item["status"]) == (
        view["id"], view["tracking_number"], "power", REASON, view["status"])
    assert item["display"]["status"] == "已办结"
    assert [i["complaint_id"] for i in await line.dashboard("reopened?department=power")] == [view["id"]]
    assert await line.dashboard("reopened?department=township") == []
