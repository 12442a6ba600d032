"""What runs one service inside a process: its migrated database, its outbox relay, its consumers and loops.

Each service's composition root builds a ``ServiceRuntime``; the HTTP app (``shared.http``) starts and stops the
runtimes it hosts, so one process can host one service (scale-out) or all three (the embedded default).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from shared import metrics, migrations
from shared.bus.base import Bus
from shared.consumer import Handler, IdempotentConsumer, Prefetch
from shared.db import Database
from shared.outbox import OutboxRelay
from shared.settings import CommonSettings

log = logging.getLogger("complaints.runtime")


class ServiceRuntime:
    def __init__(
        self, name: str, db: Database, bus: Bus, settings: CommonSettings, migrations_dir: Path, *,
        relays: bool = True,
    ) -> None:
        """``relays``: the process publishes the service's outbox (one relay per service is active at a time,
        whichever process holds the lock); off in a process of the service that writes no events (intake's
        notifier), so the relay stays with the processes whose transactions fill the outbox."""
        self.name = name
        self.db = db
        self.bus = bus
        self.settings = settings
        self.migrations_dir = migrations_dir
        #: The objects the composition root builds for the service's HTTP layer, by name (its settings, command
        #: handlers, the filing writer …).
        self.components: dict[str, object] = {"settings": settings}
        self.consumers: list[IdempotentConsumer] = []
        self._loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if relays:
            relay = OutboxRelay(
                db, bus, batch_size=settings.outbox_batch_size, poll_interval_s=settings.outbox_poll_interval_s,
                linger_s=settings.outbox_linger_s,
            )
            self._loops.append(("outbox-relay", relay.run))
        self._tasks: list[asyncio.Task[None]] = []
        self._startup: list[Callable[[], Awaitable[object]]] = []

    def add_consumer(self, topics: tuple[str, ...], handlers: dict[str, Handler], group: str | None = None,
                     prefetch: Prefetch | None = None, *, off_routing_path: bool = False) -> None:
        """Consume ``topics`` with ``handlers``. A consumer ``off_routing_path`` (nothing waits on its effects to
        route a complaint) gathers its batches for ``consumer_linger_s`` and lets the broker hold its idle fetches
        longer, which leaves the cores to the routing path."""
        consumer = IdempotentConsumer(
            group or self.name, self.bus, self.db, topics, handlers, batch_size=self.settings.consumer_batch_size,
            prefetch=prefetch, linger_s=self.settings.consumer_linger_s if off_routing_path else 0.0,
            off_routing_path=off_routing_path,
        )
        self.consumers.append(consumer)
        self._loops.append((f"consumer:{consumer.name}", consumer.run))
        self._loops.append((f"lag:{consumer.name}", lambda c=consumer: self._watch_lag(c)))

    def add_loop(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        self._loops.append((name, loop))

    def add_startup(self, step: Callable[[], Awaitable[object]]) -> None:
        """Run ``step`` once at start, after migrations and before the loops."""
        self._startup.append(step)

    async def migrate(self) -> None:
        await migrations.upgrade(self.db.engine, self.migrations_dir, f"{self.name}_alembic_version")

    async def start(self) -> None:
        await self.migrate()
        for step in self._startup:
            await step()
        for name, loop in self._loops:
            self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=f"{self.name}:{name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # A loop cancelled inside a database call returns when the call does; do not wait forever for it.
            _, stuck = await asyncio.wait(self._tasks, timeout=10)
            for task in stuck:
                log.warning("%s: %s did not stop within 10 s", self.name, task.get_name())
        self._tasks.clear()
        await self.db.dispose()

    async def _supervise(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Keep a background loop alive: log a crash and start it again."""
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a loop must outlive its failures
                log.exception("%s: %s stopped unexpectedly; restarting", self.name, name)
                await asyncio.sleep(1.0)

    @staticmethod
    async def _watch_lag(consumer: IdempotentConsumer) -> None:
        while True:
            await asyncio.sleep(5.0)
            try:
                lag = await consumer.lag()
            except Exception:  # noqa: BLE001 - the gauge is best effort
                continue
            if lag is not None:
                metrics.CONSUMER_LAG.labels(consumer.name).set(lag)

    async def readiness(self) -> dict[str, bool]:
        return {f"{self.name}.database": await self.db.ping()}
