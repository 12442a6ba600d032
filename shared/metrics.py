"""Prometheus metrics shared by all services, declared once at module level with fixed label sets."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_BACKLOG = Gauge("complaints_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_PUBLISHED = Counter("complaints_outbox_published_total", "Outbox rows published to the bus", ["service"])
EVENTS_CONSUMED = Counter(
    "complaints_events_consumed_total", "Events handled by a consumer", ["consumer", "type", "outcome"]
)
CONSUMER_LAG = Gauge("complaints_consumer_lag", "Records on the bus not yet committed by a consumer group", ["consumer"])
DEAD_LETTERS = Counter("complaints_dead_letters_total", "Records sent to the dead-letter topic", ["consumer"])
