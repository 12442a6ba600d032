"""Intake's Prometheus metrics."""

from prometheus_client import Counter

ACCEPTED = Counter("complaints_accepted_total", "Complaints accepted by intake", ["channel"])
REJECTED = Counter("complaints_rejected_total", "Filings rejected by intake", ["reason"])
