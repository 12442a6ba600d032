"""The bus: one interface (``base``), two backends — Kafka through aiokafka and an embedded durable log."""

from shared.bus.base import Bus, BusConsumer, OutgoingRecord, Record
from shared.bus.factory import make_bus

__all__ = ["Bus", "BusConsumer", "OutgoingRecord", "Record", "make_bus"]
