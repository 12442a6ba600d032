"""Prometheus metrics shared by all services, declared once at module level with fixed label sets."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_BACKLOG = Gauge("complaints_outbox_backlog", "Outbox rows not yet published", ["service"])
#: Rows per relay round: many per round under load means one claim and one send serve many events.
OUTBOX_ROUND_ROWS = Histogram("complaints_outbox_round_rows", "Outbox rows published per relay round", ["service"],
                              buckets=(1, 2, 5, 10, 20, 50, 100, 200))
OUTBOX_PUBLISHED = Counter("complaints_outbox_published_total", "Outbox rows published to the bus", ["service"])
EVENTS_CONSUMED = Counter(
    "complaints_events_consumed_total", "Events handled by a consumer", ["consumer", "type", "outcome"]
)
#: Records per fetched batch: one transaction and one offset commit serve the whole batch.
CONSUMER_BATCH_RECORDS = Histogram("complaints_consumer_batch_records", "Records per batch fetched by a consumer",
                                   ["consumer"], buckets=(1, 2, 5, 10, 20, 50, 100, 200))
CONSUMER_LAG = Gauge("complaints_consumer_lag", "Records on the bus not yet committed by a consumer group", ["consumer"])
DEAD_LETTERS = Counter("complaints_dead_letters_total", "Records sent to the dead-letter topic", ["consumer"])
