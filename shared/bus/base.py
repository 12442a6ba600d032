"""The bus interface every service programs against, whichever backend carries the records.

A backend offers a producer side (``publish`` awaits until the broker holds the records durably) and consumer groups
with explicit offset commits: nothing is committed until the caller says so, which is what lets consumers commit only
after their database transaction.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: str
    value: bytes


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes


class BusConsumer(abc.ABC):
    """One member of a consumer group. Offsets advance only through ``commit``."""

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]:
        """Next records in per-partition order; empty after ``timeout_s`` without any."""

    @abc.abstractmethod
    async def commit(self, records: list[Record]) -> None:
        """Mark these records (and everything before them in their partitions) as consumed."""

    @abc.abstractmethod
    async def rewind(self, record: Record) -> None:
        """Deliver ``record`` (and what follows it in its partition) again on the next fetch."""

    async def lag(self) -> int | None:
        """Records in the subscribed topics not yet committed by this group, when the backend can tell."""
        return None


class Bus(abc.ABC):
    @abc.abstractmethod
    async def start(self, topics: tuple[str, ...]) -> None:
        """Connect and make sure ``topics`` exist."""

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def publish(self, records: list[OutgoingRecord]) -> None:
        """Send records in order; returns once all are durably held, raises if any could not be."""

    @abc.abstractmethod
    def consumer(self, group_id: str, topics: tuple[str, ...], *, off_routing_path: bool = False) -> BusConsumer:
        """A consumer in ``group_id``; one ``off_routing_path`` may see its records a little later for less idle
        work."""

    async def healthy(self) -> bool:
        return True
