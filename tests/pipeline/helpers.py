"""Helpers for the end-to-end tests: read what went over the bus, wait for a complaint to be routed."""

from __future__ import annotations

from collections import defaultdict

from shared.bus.base import Bus
from shared.events import ALL_TOPICS, Envelope
from tests.support import eventually


async def bus_events(bus: Bus, group: str = "test-reader", idle_s: float = 0.5) -> list[Envelope]:
    """Every event currently on the bus (a fresh consumer group reads from the beginning)."""
    consumer = bus.consumer(group, ALL_TOPICS)
    await consumer.start()
    envelopes: list[Envelope] = []
    try:
        while True:
            records = await consumer.fetch(idle_s, 500)
            if not records:
                return envelopes
            envelopes.extend(Envelope.from_bytes(r.value) for r in records)
    finally:
        await consumer.stop()


def by_complaint(envelopes: list[Envelope]) -> dict[str, dict[str, set[str]]]:
    """complaint id → short event type → distinct event ids."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in envelopes:
        out[e.subject][e.type.rsplit(".", 2)[-2]].add(e.id)
    return out


async def wait_routed(client, complaint_id: str, timeout: float = 30.0) -> dict:
    async def routed():
        view = (await client.get(f"/v1/complaints/{complaint_id}")).json()
        return view if view["status"] in {"routed", "triage"} and (
            view["status"] == "triage" or view["due_at"]) else None

    return await eventually(routed, timeout=timeout)
