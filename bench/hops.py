"""Where the filings' way to ``complaint.routed`` spent its time during the latency run, and what each process took of
the cores meanwhile.

The hops are read back from the rows' own timestamps (the services write them anyway) and from the moment the
bench's consumer read each ``complaint.routed``:

1. **intake's writer**: from the filing's receipt (``intake_complaint.received_at``) to its event in the outbox
   (``intake_outbox.created_at``): waiting for a batch and building it;
2. **intake's commit and relay**: to the relay's claim of that event (``published_at``), the batch's commit and the
   relay's linger included;
3. **broker and router**: to the router's decision (``router_decision.decided_at``): the send, the router's fetch,
   its batch and the classification;
4. **router's commit and relay**: to the router relay's claim of ``complaint.routed``;
5. **broker to a consumer**: to the moment the bench's consumer read it.

Percentiles of the hops do not add up to the percentile of the whole: the slowest filings are slow at different
hops. The services' clocks run ahead by the run's ``ServicesClock`` (``received_at``, ``decided_at``); the outboxes'
timestamps and the consumer's are the machine's.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.harness import cpu_seconds, postgres_seconds
from services.intake.models import OUTBOX as INTAKE_OUTBOX
from services.intake.models import Complaint
from services.router.models import OUTBOX as ROUTER_OUTBOX
from services.router.models import Decision
from shared.events import TOPIC_INTAKE, ComplaintReceivedV1, ComplaintRoutedV1

HOPS = ("intake's writer", "intake's commit and relay", "broker and router", "router's commit and relay",
        "broker to a consumer")

#: Per complaint filed since $2: receipt, its received event's outbox row, the decision, the routed event's outbox
#: row (the first of each, by type). $1 is how far the services' clocks run ahead.
_TIMESTAMPS = f"""
WITH received AS (
    SELECT DISTINCT ON (key) key, created_at, published_at FROM {INTAKE_OUTBOX.outbox.name}
    WHERE topic = '{TOPIC_INTAKE}'
      AND convert_from(payload, 'UTF8')::jsonb ->> 'type' = '{ComplaintReceivedV1.TYPE}'
    ORDER BY key, seq),
routed AS (
    SELECT DISTINCT ON (key) key, published_at FROM {ROUTER_OUTBOX.outbox.name}
    WHERE convert_from(payload, 'UTF8')::jsonb ->> 'type' = '{ComplaintRoutedV1.TYPE}'
    ORDER BY key, seq),
decided AS (
    SELECT DISTINCT ON (complaint_id) complaint_id, decided_at FROM {Decision.__tablename__}
    ORDER BY complaint_id, attempt)
SELECT c.id, c.received_at - $1::interval AS received_at, received.created_at AS added,
       received.published_at AS relayed, decided.decided_at - $1::interval AS decided, routed.published_at AS announced
FROM {Complaint.__tablename__} c
JOIN received ON received.key = c.id
JOIN decided ON decided.complaint_id = c.id
JOIN routed ON routed.key = c.id
WHERE c.received_at - $1::interval >= $2
"""


async def hop_times(database_url: str, ahead: timedelta, since: datetime,
                    arrivals: dict[str, datetime]) -> dict[str, list[float]]:
    """Each hop's times in ms, for the complaints filed since ``since`` whose ``complaint.routed`` the bench's
    consumer read (``arrivals``: complaint id → when)."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(_TIMESTAMPS, ahead, since)
    finally:
        await conn.close()
    hops: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for row in rows:
        read = arrivals.get(row["id"])
        if read is None:
            continue
        moments = (row["received_at"], row["added"], row["relayed"], row["decided"], row["announced"], read)
        for hop, start, end in zip(HOPS, moments, moments[1:]):
            hops[hop].append((end - start).total_seconds() * 1000)
    return hops


def describe_hops_ms(hops_ms: dict[str, dict[str, float]]) -> str:
    """``hops_ms`` (hop → its p50 and p99) as one line."""
    return ", ".join(f"{hop} {times['p50']:.1f} / {times['p99']:.1f}" for hop, times in hops_ms.items())


def describe_shares(shares: dict[str, float]) -> str:
    """``CoreShares.shares`` as one line, the largest first."""
    return ", ".join(f"{name} {share:.0%}" for name, share in sorted(shares.items(), key=lambda kv: -kv[1]))


#: The bench's own process in the shares: its measuring consumer, and the script it writes for ``wrk`` at the start.
BENCH_ITSELF = "the bench (its consumer, wrk's script)"


@dataclass
class CoreShares:
    """Each process's CPU over a window, as a share of one core: the services (by pid), every PostgreSQL process,
    this process (the bench: its measuring consumer, and the script it writes for wrk) and the load generator (its
    finished children)."""

    pids: dict[str, int]
    shares: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ({name: cpu_seconds(pid) for name, pid in self.pids.items()}
                | {"PostgreSQL": postgres_seconds(), BENCH_ITSELF: own.ru_utime + own.ru_stime,
                   "wrk": children.ru_utime + children.ru_stime})

    @contextmanager
    def window(self) -> Iterator["CoreShares"]:
        """Measure the shares over the ``with`` block."""
        before, began = self._sample(), os.times().elapsed
        yield self
        after, seconds = self._sample(), os.times().elapsed - began
        self.shares = {name: (after[name] - before[name]) / seconds for name in before}
