"""The model learns a correction only once it is committed, exactly once, and on every router replica: a batch that
fails and is retried event by event, a transaction rolled back, two routers on one database and bus, and a correction
whose transaction commits after a later one."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from services.router.app import build_runtime, load_classifier
from services.router.handlers import RouterHandlers
from shared.bus.embedded import EmbeddedBus
from shared.events import ALL_TOPICS, ComplaintDispatchedV1, ComplaintReceivedV1, ComplaintReturnedV1, utcnow
from shared.settings import RouterSettings
from tests.support import eventually, records

pytestmark = pytest.mark.postgres

# The railing of tests/router/test_learning_service.py: the lexicon knows no owner, a dispatcher gives it to the town.
TITLE, TEXT = "园区门口的桥栏杆断了", "新兴镇园区门口那座小桥的栏杆断了一个多月，晚上下班员工走路很危险，希望尽快修好。"
LATER = ("园区门口的栏杆还没修", "新兴镇园区门口那座小桥的栏杆断了快两个月了，晚上员工下班走路很危险，请尽快修好。")
#: Longer than the follower's period: a second learning would have happened by then.
SETTLE_S = 1.5


def placed(decision) -> tuple:
    return decision.department, decision.township, decision.triage


def correction_events(complaint_id: str) -> list:
    """A complaint received, then placed by a dispatcher with 新兴镇 (a correction)."""
    now = utcnow()
    return [
        ComplaintReceivedV1(complaint_id=complaint_id, tracking_number=complaint_id[:20], title=TITLE, text=TEXT,
                            channel="web", enterprise_name="青山县某厂", received_at=now).envelope(),
        ComplaintDispatchedV1(complaint_id=complaint_id, actor="dispatcher:李四", status="assigned", version=2, at=now,
                              department="township", township="新兴镇", financial_service=False).envelope(),
    ]


def counting(classifier):
    """``classifier`` with a list of the corrections it learns."""
    learned: list = []
    learn = classifier.learn

    def counted(correction) -> None:
        learned.append(correction)
        learn(correction)

    classifier.learn = counted
    return classifier, learned


@contextlib.asynccontextmanager
async def routers(postgres_url: str, tmp_path, count: int = 1):
    """``count`` router runtimes started on one database and one embedded bus, each with its own classifier."""
    bus = EmbeddedBus(tmp_path / "bus.db")
    await bus.start(ALL_TOPICS)
    settings = RouterSettings(database_url=postgres_url, outbox_poll_interval_s=0.1)
    runtimes = []
    try:
        for _ in range(count):
            classifier, learned = counting(load_classifier(settings))
            runtime = build_runtime(settings, bus, classifier)
            await runtime.start()
            runtimes.append((runtime, classifier, learned))
        yield runtimes
    finally:
        for runtime, _c, _l in runtimes:
            await runtime.stop()
        await bus.stop()


async def test_a_batch_retried_event_by_event_learns_its_correction_once(postgres_url, tmp_path, monkeypatch):
    on_returned = RouterHandlers.on_returned
    calls: list[str] = []

    async def fails_the_first_time(self, event, envelope, uow):
        calls.append(event.complaint_id)
        if len(calls) == 1:
            raise RuntimeError("the batch fails here")
        await on_returned(self, event, envelope, uow)

    monkeypatch.setattr(RouterHandlers, "on_returned", fails_the_first_time)
    complaint_id = str(uuid.uuid4())
    returned = ComplaintReturnedV1(complaint_id=str(uuid.uuid4()), actor="handler:power:张三", status="routing",
                                   version=3, at=utcnow(), returned_by="power", reason="不归我们管").envelope()
    batch = records([*correction_events(complaint_id), returned])
    async with routers(postgres_url, tmp_path) as [(runtime, classifier, learned)]:
        consumer = runtime.consumers[0]
        with pytest.raises(RuntimeError):
            await consumer.handle_together(batch)
        for record in batch:  # as the consumer applies a failed batch
            await consumer.handle(record)
        await eventually(lambda: learned)
        await asyncio.sleep(SETTLE_S)
        assert len(learned) == 1
        assert placed(classifier.classify(*LATER)) == ("township", "新兴镇", False)


async def test_a_rolled_back_transaction_leaves_the_model_unchanged(postgres_url, tmp_path, monkeypatch):
    on_dispatched = RouterHandlers.on_dispatched

    async def fails_after_storing(self, event, envelope, uow):
        await on_dispatched(self, event, envelope, uow)
        raise RuntimeError("the transaction rolls back")

    monkeypatch.setattr(RouterHandlers, "on_dispatched", fails_after_storing)
    batch = records(correction_events(str(uuid.uuid4())))
    async with routers(postgres_url, tmp_path) as [(runtime, classifier, learned)]:
        before = classifier.classify(*LATER).to_dict()
        consumer = runtime.consumers[0]
        with pytest.raises(RuntimeError):
            await consumer.handle_together(batch)
        await consumer.handle(batch[0])
        with pytest.raises(RuntimeError):
            await consumer.handle(batch[1])
        await asyncio.sleep(SETTLE_S)
        assert learned == []
        assert classifier.classify(*LATER).to_dict() == before


async def test_a_correction_made_through_one_router_changes_the_decisions_of_both(postgres_url, tmp_path):
    async with routers(postgres_url, tmp_path, count=2) as [(first, one, _), (_second, other, _l)]:
        assert placed(one.classify(*LATER))[2] is True and placed(other.classify(*LATER))[2] is True
        await first.consumers[0].handle_together(records(correction_events(str(uuid.uuid4()))))
        for classifier in (one, other):
            await eventually(lambda c=classifier: placed(c.classify(*LATER)) == ("township", "新兴镇", False),
                             timeout=10)


async def test_a_correction_committed_after_a_later_one_is_still_learned(postgres_url, tmp_path):
    """Ids come from a sequence: a transaction holding a lower id may commit after a higher one was read."""
    from services.router.models import Correction, RoutedComplaint

    async with routers(postgres_url, tmp_path) as [(runtime, _classifier, learned)]:
        follower, db, now = runtime.components["corrections"], runtime.db, utcnow()

        def rows(complaint_id: str) -> list:
            return [RoutedComplaint(complaint_id=complaint_id, title=TITLE, text=TEXT, received_at=now),
                    Correction(complaint_id=complaint_id, department="township", township="新兴镇", source="dispatch",
                               created_at=now)]

        async with db.unit_of_work() as slow:
            slow.session.add_all(rows(str(uuid.uuid4())))
            await slow.session.flush()  # takes the lower id, not committed yet
            async with db.unit_of_work() as fast:
                fast.session.add_all(rows(str(uuid.uuid4())))
                await fast.commit()
            await follower.catch_up()
            assert len(learned) == 1
            await slow.commit()
        await follower.catch_up()
        await follower.catch_up()
        assert len(learned) == 2
