"""The router's Prometheus metrics."""

from prometheus_client import Counter, Histogram

DECISIONS = Counter("complaints_routing_decisions_total", "Routing decisions by department", ["department", "by"])
ROUTING_LATENCY = Histogram(
    "complaints_routing_latency_seconds", "Time from receipt to the routing decision",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
