"""End to end on the embedded default: file over HTTP, see the complaint routed with a stored deadline, the events
on the bus, and no duplicate effect when every event is delivered again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from services.router.models import Decision
from services.sla.domain.deadlines import due_instant
from services.sla.models import Clock
from services.intake.models import HistoryEntry
from shared.calendar import WorkingCalendar
from shared.events import ALL_TOPICS
from tests.intake.helpers import FilerClient
from tests.pipeline.helpers import bus_events, by_complaint, wait_routed
from tests.support import complaint_body

POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")
LOAN = complaint_body("农商行续贷突然加条件", "我公司在县农商行有一笔流动资金贷款下月到期，客户经理原先答复可以"
                                              "无还本续贷，现在银行突然要求追加抵押并提高保证金，否则到期收回贷款。")


async def test_filed_complaint_is_routed_with_a_stored_deadline(embedded):
    app, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=POWER)).json()
    view = await wait_routed(client, created["id"])
    assert view["status"] == "routed"
    assert view["department"] == "power"
    assert view["sla_policy"] == "standard"
    received = datetime.fromisoformat(created["received_at"])
    expected = due_instant(received, 10, "calendar_days", WorkingCalendar.load()).due_at
    assert datetime.fromisoformat(view["due_at"]) == expected

    events = by_complaint(await bus_events(app.state.bus))[created["id"]]
    assert len(events["received"]) == 1
    assert len(events["routed"]) == 1
    assert len(events["clock_opened"]) == 1


async def test_financial_service_complaint_gets_five_working_days(embedded):
    _, client = embedded
    client = FilerClient(client)
    created = (await client.post("/v1/complaints", json=LOAN)).json()
    view = await wait_routed(client, created["id"])
    assert view["department"] == "center"
    assert view["financial_service"] is True
    assert view["sla_policy"] == "financial_service"
    received = datetime.fromisoformat(created["received_at"])
    expected = due_instant(received, 5, "working_days", WorkingCalendar.load()).due_at
    assert datetime.fromisoformat(view["due_at"]) == expected


async def _effect_counts(app) -> dict[str, int]:
    runtimes = app.state.runtimes
    out = {}
    for name, table in (("intake", HistoryEntry.__table__), ("router", Decision.__table__), ("sla", Clock.__table__)):
        runtime = runtimes[name]
        async with runtime.db.engine.connect() as conn:
            out[name] = await conn.scalar(select(func.count()).select_from(table))
            out[f"{name}.outbox"] = await conn.scalar(select(func.count()).select_from(runtime.db.outbox.outbox))
    return out


async def test_redelivered_events_have_no_duplicate_effect(embedded):
    app, client = embedded
    client = FilerClient(client)
    ids = [(await client.post("/v1/complaints", json=body)).json()["id"] for body in (POWER, LOAN)]
    for complaint_id in ids:
        await wait_routed(client, complaint_id)
    before = await _effect_counts(app)
    history_before = [(await client.get(f"/v1/complaints/{i}/history")).json() for i in ids]

    reader = app.state.bus.consumer("redelivery", ALL_TOPICS)
    await reader.start()
    records = await reader.fetch(0.5, 1000)
    await reader.stop()
    assert records
    for runtime in app.state.runtimes.values():
        for consumer in runtime.consumers:
            for record in records + records:
                await consumer.handle(record)

    assert await _effect_counts(app) == before
    assert [(await client.get(f"/v1/complaints/{i}/history")).json() for i in ids] == history_before
