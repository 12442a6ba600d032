"""Follow-up calls (回访) on the whole product (embedded default): one complaint answered, called (the contact read in
its history), rated 不满意 by phone and so reopened, answered again, not reached and called again on the next working
day, then 满意 — the history and the dashboard's 回访率 / 回访满意率 / 解决率 as counted by hand; a filer never reached
runs out of calls; an anonymous caller's complaint (no contact) gets no task."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.intake.followups.rules import FollowUpPolicy
from shared import clock
from shared.auth import issue_token
from shared.calendar import SHANGHAI, WorkingCalendar
from tests.conftest import embedded_settings, running_app
from tests.intake.helpers import Actor, FilerClient
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, credit_code, eventually

OUTAGE = ("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，请供电公司查明原因，保障供电。")


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


def to_day(day: date) -> None:
    """Move the process clock so that it is ``day`` (same time of day)."""
    clock.set_offset(clock.offset() + timedelta(days=(day - today()).days))


class Center:
    def __init__(self, client, secret: str) -> None:
        self.client = FilerClient(client)
        self.handler = Actor(self.client, issue_token(secret, role="handler", name="张三", department="power"))
        self.caller = Actor(self.client, issue_token(secret, role="followup", name="赵回访"))
        self.supervisor = Actor(self.client, issue_token(secret, role="supervisor", name="王督办"))

    async def file(self, n: int) -> str:
        filing = complaint_body(*OUTAGE)
        filing["filer"] = {**filing["filer"], "credit_code": credit_code(300 + n)}
        created = (await self.client.post("/v1/complaints", json=filing)).json()
        assert (await wait_routed(self.client, created["id"]))["department"] == "power"
        return created["id"]

    async def answer(self, cid: str) -> None:
        await self.handler.act(cid, "claim")
        await self.handler.act(cid, "answer", {"text": "已更换线路，恢复正常供电。"})

    async def queue(self) -> dict[str, dict]:
        response = await self.caller.get("/v1/followups")
        assert response.status_code == 200, response.text
        return {item["complaint_id"]: item for item in response.json()}

    async def call(self, task: str, expect: int = 200, **result) -> dict:
        response = await self.client.post(f"/v1/followups/{task}/result", json=result, headers=self.caller.headers)
        assert response.status_code == expect, response.text
        return response.json()

    async def history(self, cid: str) -> list[dict]:
        return (await self.supervisor.get(f"/v1/complaints/{cid}/history")).json()


async def forget_contact(database_url: str, cid: str) -> None:
    """What an anonymous caller leaves: no contact row."""
    engine = create_async_engine(database_url.format(service="intake"))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM intake_filer_contact WHERE complaint_id = :cid"), {"cid": cid})
    finally:
        await engine.dispose()


async def test_a_complaint_followed_up_reopened_and_followed_up_again(tmp_path):
    await walk(embedded_settings(tmp_path))


@pytest.mark.postgres
async def test_the_follow_up_walk_on_postgres(postgres_url, tmp_path):
    await walk(embedded_settings(tmp_path, database_url=postgres_url))


async def walk(settings) -> None:
    calendar = WorkingCalendar.load()
    policy = FollowUpPolicy()
    try:
        async with running_app(settings) as (_app, client):
            line = Center(client, settings.auth_secret)
            a, b, c = [await line.file(n) for n in (1, 2, 3)]
            await forget_contact(settings.database_url, c)  # C's caller left none (an anonymous hotline caller)

            for cid in (a, b, c):
                await line.answer(cid)
            queue = await line.queue()
            assert set(queue) == {a, b}, "an anonymous complaint gets no task"
            assert "followup_scheduled" not in [h["action"] for h in await line.history(c)]
            task = queue[a]
            assert date.fromisoformat(task["due_on"]) == calendar.add_working_days(today(), policy.working_days)
            assert (task["attempts"], task["state"], task["call_today"]) == (0, "open", True)

            # The call starts with the contact read, written to the history; a handler's token may not read it so.
            assert (await line.handler.get(f"/v1/followups/{task['id']}/contact")).status_code == 403
            contact = (await line.caller.get(f"/v1/followups/{task['id']}/contact")).json()
            assert contact["contact_name"] == complaint_body(*OUTAGE)["filer"]["contact_name"]
            viewed = [h for h in await line.history(a) if h["action"] == "contact_viewed"]
            assert [(h["actor"], h["detail"]["followup"]) for h in viewed] == [("followup:赵回访", task["id"])]

            # Refused by field, nothing written: reached without a rating; 不满意 without a reason.
            refused = await line.call(task["id"], 422, outcome="reached", solved=False)
            assert [e["field"] for e in refused["errors"]] == ["rating"]
            refused = await line.call(task["id"], 422, outcome="reached", solved=False, rating="不满意")
            assert [e["field"] for e in refused["errors"]] == ["reason"]
            assert (await line.queue())[a]["attempts"] == 0

            done = await line.call(task["id"], outcome="reached", solved=False, rating="不满意", reason="仍然停电")
            assert (done["state"], done["rating"], done["solved"]) == ("done", "dissatisfied", False)
            view = (await line.supervisor.get(f"/v1/complaints/{a}")).json()
            assert (view["status"], view["reopen_count"], view["rating"]) == ("reopened", 1, "dissatisfied")
            assert a not in await line.queue()
            await line.call(task["id"], 409, outcome="declined")

            await line.answer(a)                                        # the handler answers again
            second = (await line.queue())[a]
            assert second["id"] != task["id"]
            waiting = await line.call(second["id"], outcome="not_reached")
            next_day = calendar.next_working_day(today())
            assert (waiting["state"], waiting["attempts"], waiting["next_call_on"]) == (
                "open", 1, next_day.isoformat())
            assert (await line.queue())[a]["call_today"] is False
            await line.call(second["id"], 409, outcome="reached", solved=True, rating="满意")   # not again today

            to_day(next_day)
            assert (await line.queue())[a]["call_today"] is True
            await line.call(second["id"], outcome="reached", solved=True, rating="满意")
            view = (await line.supervisor.get(f"/v1/complaints/{a}")).json()
            assert (view["status"], view["rating"]) == ("closed", "satisfied")

            # B: never reached — called on later working days until the limit, then no longer in the queue.
            for attempt in range(1, policy.max_attempts + 1):
                if attempt > 1:
                    to_day(calendar.next_working_day(today()))
                result = await line.call(queue[b]["id"], outcome="not_reached")
                assert result["attempts"] == attempt
            assert result["state"] == "not_reached"
            assert b not in await line.queue()

            history = await line.history(a)
            actions = [h["action"] for h in history if h["actor"] not in ("sla", "router")]  # not the clocks' entries
            assert actions[actions.index("answered"):] == [
                "answered", "followup_scheduled", "contact_viewed", "followup_reached", "rated", "reopened",
                "claimed", "answered", "followup_scheduled", "followup_not_reached", "followup_reached", "rated",
                "closed",
            ]
            # By hand: answered with a contact A and B (C has none), followed up A only: 回访率 1/2; A's two calls
            # reached, one 满意 and solved: 回访满意率 1/2, 解决率 1/2.
            calls = [h for h in history if h["action"] == "followup_reached"]
            assert [(h["detail"]["rating"], h["detail"]["solved"]) for h in calls] == [
                ("dissatisfied", False), ("satisfied", True)]

            async def timeline(cid: str) -> list[str]:
                answer = await client.get(f"/dashboard/api/complaints/{cid}", headers=line.supervisor.headers)
                return [e["kind"] for e in answer.json()["timeline"]]

            async def projected():  # every call of A and B in the dashboard's projection
                return all([(await timeline(cid)).count("followed_up") == 3 for cid in (a, b)]) or None

            await eventually(projected, timeout=15)
            days = {"from": (today() - timedelta(days=30)).isoformat(), "to": today().isoformat()}
            answer = await client.get("/dashboard/api/summary", params=days, headers=line.supervisor.headers)
            power = next(d for d in answer.json()["departments"] if d["department"] == "power")
            assert (power["answered"], power["calls"]) == (3, 2)
            assert (power["with_contact"], power["followed_up"], power["callback_rate"]) == (2, 1, 0.5)
            assert (power["calls_satisfied"], power["calls_solved"]) == (1, 1)
            assert (power["call_satisfaction_rate"], power["solved_rate"]) == (0.5, 0.5)
            assert (power["display"]["callback_rate"], power["display"]["solved_rate"]) == ("50.0%", "50.0%")
    finally:
        clock.set_offset(timedelta(0))
