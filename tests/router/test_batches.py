"""The router applies a consumer batch in one transaction and works on each complaint as the batch has left it (it
reads a complaint once and writes it at commit): a complaint received and then returned or dispatched in the same
batch must end as applying the events one by one leaves it — the return must see the complaint just received, its
excluded department and its attempt — on SQLite and on PostgreSQL, through the consumer the service really runs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.router.app import build_runtime, load_classifier
from services.router.models import Correction, Decision, RoutedComplaint
from shared.events import ComplaintDispatchedV1, ComplaintReceivedV1, ComplaintReturnedV1, utcnow
from shared.settings import RouterSettings
from tests.support import database_url, records

TITLE, TEXT = "工业园区经常停电", "我们厂在新兴镇工业园区，这个月已经停电四次，每次都没有提前通知，生产线损失很大，请供电公司尽快解决。"


@pytest.fixture(params=["sqlite", "postgres"])
async def runtime(request, tmp_path):
    async with database_url(request.param, tmp_path / "router.db") as url:
        settings = RouterSettings(database_url=url)
        built = build_runtime(settings, None, load_classifier(settings))  # type: ignore[arg-type] - no bus needed
        await built.migrate()
        yield built
        await built.db.dispose()


def story(cid: str) -> list:
    """Received, returned by the department it went to (naming the right one), then placed by a dispatcher."""
    now = utcnow()
    transition = {"complaint_id": cid, "actor": "handler:power:张三", "status": "x", "version": 2, "at": now}
    return [
        ComplaintReceivedV1(complaint_id=cid, tracking_number=cid[:20], title=TITLE, text=TEXT, channel="web",
                            enterprise_name="青山县某陶瓷厂", received_at=now).envelope(),
        ComplaintReturnedV1(**transition, department="power", returned_by="power", reason="不属于本单位",
                            suggested_department="housing").envelope(),
        ComplaintDispatchedV1(**{**transition, "actor": "dispatcher:李四"}, department="township",
                              township="新兴镇", financial_service=False).envelope(),
    ]


async def state(runtime, cid: str) -> dict:
    async with runtime.db.unit_of_work() as uow:
        complaint = await uow.session.get(RoutedComplaint, cid)
        decisions = (await uow.session.scalars(
            select(Decision).where(Decision.complaint_id == cid).order_by(Decision.attempt))).all()
        corrections = (await uow.session.scalars(
            select(Correction.department).where(Correction.complaint_id == cid).order_by(Correction.id))).all()
    return {"excluded": complaint.excluded, "attempt": complaint.attempt,
            "decisions": [(d.attempt, d.department) for d in decisions], "corrections": list(corrections)}


async def test_a_complaint_received_and_returned_in_one_batch_ends_as_one_by_one(runtime):
    consumer = runtime.consumers[0]
    await consumer.handle_together(records(story("together")))
    for record in records(story("alone")):
        await consumer.handle(record)

    together = await state(runtime, "together")
    assert together == await state(runtime, "alone")
    assert together["excluded"] == ["power"] and together["attempt"] == 2
    assert [attempt for attempt, _department in together["decisions"]] == [0, 1, 2]
    assert together["decisions"][1][1] != "power"  # the re-decision leaves out the department that returned it
    assert together["decisions"][2][1] == "township"
    assert together["corrections"] == ["housing", "township"]
