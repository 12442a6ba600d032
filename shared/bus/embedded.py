"""The embedded durable bus: an append-only log in a SQLite file, for running the whole product in one process.

Each topic is one ordered partition; consumer groups keep their committed offsets in the same file, so a restart
resumes where the last commit left off and nothing acknowledged is lost. Consumers in the process are woken as soon as
a record is appended: each append sets the bus's current ``asyncio.Event`` and puts a fresh one in its place, and a
consumer takes the current event before it reads, so an append after its read still wakes it. Waiting on an event
holds no lock, so a consumer cancelled while it waits (as at shutdown, however often) leaves nothing behind. It
serves one process; scale-out uses Kafka.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from shared.bus.base import Bus, BusConsumer, OutgoingRecord, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_record (
    topic TEXT NOT NULL, offset INTEGER NOT NULL, key TEXT, value BLOB NOT NULL, PRIMARY KEY (topic, offset)
);
CREATE TABLE IF NOT EXISTS bus_group_offset (
    group_id TEXT NOT NULL, topic TEXT NOT NULL, next_offset INTEGER NOT NULL, PRIMARY KEY (group_id, topic)
);
"""


class EmbeddedBus(Bus):
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._appended = asyncio.Event()
        self._next_offset: dict[str, int] = {}

    async def start(self, topics: tuple[str, ...]) -> None:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        for topic in topics:
            row = await self._run(lambda c, t=topic: c.execute(
                "SELECT COALESCE(MAX(offset) + 1, 0) FROM bus_record WHERE topic = ?", (t,)).fetchone())
            self._next_offset[topic] = row[0]

    async def stop(self) -> None:
        if self._conn is not None:
            async with self._lock:
                self._conn.close()
                self._conn = None

    async def _run(self, fn):
        """Run ``fn`` with the connection in a worker thread, one call at a time. A caller cancelled meanwhile does not
        stop the thread: the lock is kept until the thread is done, so the next call never overlaps it."""
        async with self._lock:
            if self._conn is None:
                raise ConnectionError("embedded bus is stopped")
            work = asyncio.ensure_future(asyncio.to_thread(fn, self._conn))
            try:
                return await asyncio.shield(work)
            except asyncio.CancelledError:
                while not work.done():  # milliseconds of SQLite work; a second cancellation waits for it too
                    try:
                        await asyncio.wait([work])
                    except asyncio.CancelledError:
                        continue
                raise

    async def publish(self, records: list[OutgoingRecord]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            # Offsets are assigned under the bus lock, so they are appended in the order they are numbered.
            rows = []
            next_offset = dict(self._next_offset)
            for record in records:
                offset = next_offset.get(record.topic, 0)
                next_offset[record.topic] = offset + 1
                rows.append((record.topic, offset, record.key, record.value))
            with conn:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO bus_record (topic, offset, key, value) VALUES (?, ?, ?, ?)", rows)
            self._next_offset = next_offset

        await self._run(write)
        appended, self._appended = self._appended, asyncio.Event()
        appended.set()

    def next_append(self) -> asyncio.Event:
        """The event the next append sets (take it before reading: an append after the read sets it too)."""
        return self._appended

    def consumer(self, group_id: str, topics: tuple[str, ...], *, off_routing_path: bool = False) -> BusConsumer:
        return EmbeddedConsumer(self, group_id, topics)  # woken on append: no idle fetches to save

    async def healthy(self) -> bool:
        return self._conn is not None


class EmbeddedConsumer(BusConsumer):
    def __init__(self, bus: EmbeddedBus, group_id: str, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self._group_id = group_id
        self._topics = topics
        self._position: dict[str, int] = {}

    async def start(self) -> None:
        for topic in self._topics:
            row = await self._bus._run(lambda c, t=topic: c.execute(
                "SELECT next_offset FROM bus_group_offset WHERE group_id = ? AND topic = ?",
                (self._group_id, t)).fetchone())
            self._position[topic] = row[0] if row else 0

    async def stop(self) -> None:
        self._position.clear()

    async def _read(self, max_records: int) -> list[Record]:
        def read(conn: sqlite3.Connection) -> list[Record]:
            out: list[Record] = []
            for topic in self._topics:
                rows = conn.execute(
                    "SELECT offset, key, value FROM bus_record WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?",
                    (topic, self._position[topic], max_records - len(out)),
                ).fetchall()
                out.extend(Record(topic, 0, offset, key, bytes(value)) for offset, key, value in rows)
                if len(out) >= max_records:
                    break
            return out

        records = await self._bus._run(read)
        for record in records:
            self._position[record.topic] = max(self._position[record.topic], record.offset + 1)
        return records

    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]:
        appended = self._bus.next_append()
        records = await self._read(max_records)
        if records:
            return records
        try:
            await asyncio.wait_for(appended.wait(), timeout_s)
        except asyncio.TimeoutError:
            return []
        return await self._read(max_records)

    async def commit(self, records: list[Record]) -> None:
        latest: dict[str, int] = {}
        for record in records:
            latest[record.topic] = max(latest.get(record.topic, -1), record.offset + 1)
        if not latest:
            return

        def write(conn: sqlite3.Connection) -> None:
            with conn:
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT INTO bus_group_offset (group_id, topic, next_offset) VALUES (?, ?, ?) "
                    "ON CONFLICT (group_id, topic) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)",
                    [(self._group_id, topic, offset) for topic, offset in latest.items()],
                )

        await self._bus._run(write)

    async def rewind(self, record: Record) -> None:
        self._position[record.topic] = min(self._position[record.topic], record.offset)

    async def lag(self) -> int | None:
        def count(conn: sqlite3.Connection) -> int:
            total = 0
            for topic in self._topics:
                row = conn.execute(
                    "SELECT (SELECT COALESCE(MAX(offset) + 1, 0) FROM bus_record WHERE topic = ?) - "
                    "COALESCE((SELECT next_offset FROM bus_group_offset WHERE group_id = ? AND topic = ?), 0)",
                    (topic, self._group_id, topic),
                ).fetchone()
                total += row[0]
            return total

        return await self._bus._run(count)
