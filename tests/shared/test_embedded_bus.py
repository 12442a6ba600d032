"""The embedded bus under cancellation and concurrency: a waiting consumer is woken as soon as a record is appended,
an append during a read is not missed, a consumer cancelled while it waits — however often — leaves nothing behind
that would block the others (the whole product stops its consumers that way at shutdown), and a call cancelled while
its thread works on the SQLite connection keeps the next call waiting until the thread is done."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.bus.base import OutgoingRecord
from shared.bus.embedded import EmbeddedBus

TOPIC = "complaintline.test"


@pytest.fixture
async def bus(tmp_path):
    b = EmbeddedBus(tmp_path / "bus.db")
    await b.start((TOPIC,))
    yield b
    await b.stop()


async def started(bus: EmbeddedBus, group: str):
    consumer = bus.consumer(group, (TOPIC,))
    await consumer.start()
    return consumer


def tasks_waiting_on(events: list[asyncio.Event]) -> list[asyncio.Task]:
    """Unfinished tasks waiting on one of these events. The tests share one event loop with the rest of the session,
    whose own consumers may be waiting on their buses' events meanwhile: only this bus's events are looked at."""
    waiting = []
    for task in asyncio.all_tasks():
        frame = task.get_coro().cr_frame
        if not task.done() and frame is not None and frame.f_code.co_name == "wait" \
                and any(frame.f_locals.get("self") is event for event in events):
            waiting.append(task)
    return waiting


async def assert_still_working(bus: EmbeddedBus, consumer, events: list[asyncio.Event]) -> None:
    """After the cancellations: an append still completes and wakes ``consumer`` (waiting past everything appended so
    far), and no task is left waiting on any of ``events`` nor on the event of the next append."""
    listening = asyncio.create_task(consumer.fetch(30, 10))
    await asyncio.sleep(0.05)
    await asyncio.wait_for(bus.publish([OutgoingRecord(TOPIC, "k", b"after")]), 5)
    assert [r.value for r in await asyncio.wait_for(listening, 5)] == [b"after"]
    events.append(bus.next_append())
    await asyncio.sleep(0)
    assert tasks_waiting_on(events) == []


async def test_a_waiting_consumer_is_woken_by_an_append(bus):
    consumer = await started(bus, "a")
    waiting = asyncio.create_task(consumer.fetch(30, 10))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await bus.publish([OutgoingRecord(TOPIC, "k", b"one")])
    records = await asyncio.wait_for(waiting, 5)  # woken, not timed out after 30 s
    assert [r.value for r in records] == [b"one"]


async def test_an_append_during_the_consumers_read_is_not_missed(bus, monkeypatch):
    consumer = await started(bus, "a")
    read = consumer._read
    calls = 0

    async def read_then_append(max_records: int):
        nonlocal calls
        calls += 1
        records = await read(max_records)
        if calls == 1:  # the record arrives after the read found nothing, before the consumer waits
            await bus.publish([OutgoingRecord(TOPIC, "k", b"late")])
        return records

    monkeypatch.setattr(consumer, "_read", read_then_append)
    records = await asyncio.wait_for(consumer.fetch(30, 10), 5)
    assert [r.value for r in records] == [b"late"]


@pytest.mark.parametrize("cancellations", [1, 2, 3])
async def test_a_consumer_cancelled_while_it_waits_leaves_the_bus_working(bus, cancellations):
    gone = await started(bus, "gone")
    events = [bus.next_append()]
    waiting = asyncio.create_task(gone.fetch(30, 10))
    await asyncio.sleep(0.05)
    for _ in range(cancellations):  # as a shutdown does: the consumer's task, then whatever still runs
        waiting.cancel()
        await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await waiting

    await assert_still_working(bus, await started(bus, "other"), events)


async def test_consumers_cancelled_around_appends_leave_the_bus_working(bus):
    """Many consumers, each cancelled once or twice at a different moment around appends (waiting, being woken,
    reading): afterwards an append still completes and wakes a new consumer, and no waiter is left behind."""
    events = []  # every event a consumer of this test can have taken: the bus replaces its event only on an append
    for round_ in range(30):
        events.append(bus.next_append())
        consumers = [await started(bus, f"g{round_}-{n}") for n in range(3)]
        tasks = [asyncio.create_task(c.fetch(30, 10)) for c in consumers]
        for step, task in enumerate(tasks):
            for _ in range(step % 3):
                await asyncio.sleep(0)
            if step == 1:
                publishing = asyncio.create_task(bus.publish([OutgoingRecord(TOPIC, "k", b"x")]))
            task.cancel()
            if (round_ + step) % 2:
                await asyncio.sleep(0)
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.wait_for(publishing, 5)
        events.append(bus.next_append())

    fresh = await started(bus, "fresh")
    await fresh.fetch(0, 1000)  # past everything appended so far
    await assert_still_working(bus, fresh, events)


async def test_a_call_cancelled_while_its_thread_works_keeps_the_next_call_waiting(bus):
    """The bus's SQLite work runs in a thread; cancelling the caller does not stop the thread, so the next call must
    not start on the connection until it is done."""
    running: list[str] = []
    overlaps: list[list[str]] = []

    def slow(_conn):
        running.append("slow")
        time.sleep(0.3)
        running.remove("slow")

    def quick(_conn):
        overlaps.append(list(running))

    first = asyncio.create_task(bus._run(slow))
    await asyncio.sleep(0.05)
    first.cancel()
    await asyncio.sleep(0)
    first.cancel()  # cancelled twice, as at shutdown
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(bus._run(quick), 5)
    assert overlaps == [[]]
