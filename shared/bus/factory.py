"""Chooses the bus backend from the settings: Kafka when bootstrap servers are set, else the embedded log."""

from __future__ import annotations

from shared.bus.base import Bus
from shared.settings import CommonSettings


def make_bus(settings: CommonSettings, client_id: str) -> Bus:
    if settings.uses_kafka:
        from shared.bus.kafka import KafkaBus

        return KafkaBus(settings, client_id=client_id)
    from shared.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.embedded_bus_path)
