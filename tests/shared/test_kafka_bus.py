"""The Kafka backend's consumer settings: how long the broker may hold a fetch depends on whether anything waits on
the consumer's effects to route a complaint."""

from __future__ import annotations

from shared.bus.kafka import KafkaBus
from shared.events import TOPIC_ROUTER
from shared.settings import CommonSettings


async def test_consumers_off_the_routing_path_let_the_broker_hold_their_fetches_longer():
    settings = CommonSettings(kafka_bootstrap_servers="127.0.0.1:9", kafka_fetch_max_wait_ms=10,
                              kafka_off_path_fetch_max_wait_ms=700)
    bus = KafkaBus(settings, "test")
    routing = bus.consumer("router", (TOPIC_ROUTER,))
    off_path = bus.consumer("sla", (TOPIC_ROUTER,), off_routing_path=True)
    try:
        # What each consumer will ask the broker for (aiokafka keeps it for its fetch requests).
        assert routing._consumer._fetch_max_wait_ms == 10
        assert off_path._consumer._fetch_max_wait_ms == 700
    finally:
        await routing.stop()
        await off_path.stop()
