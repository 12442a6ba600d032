"""The Kafka backend of the bus (aiokafka): topics created on start, ``acks="all"`` producer, consumer groups with
manual offset commits.

Records are keyed by complaint id, so one complaint's events keep their order on one partition. Scaling out means
more members in a consumer group (one per partition), never concurrent handling on one consumer.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from shared.bus.base import Bus, BusConsumer, OutgoingRecord, Record
from shared.settings import CommonSettings

log = logging.getLogger("complaints.bus")


class KafkaBus(Bus):
    def __init__(self, settings: CommonSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._servers = settings.kafka_bootstrap_servers
        self._producer: AIOKafkaProducer | None = None

    async def start(self, topics: tuple[str, ...]) -> None:
        await self._ensure_topics(topics)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._servers,
            client_id=f"{self._client_id}-producer",
            acks="all",
            enable_idempotence=self._settings.kafka_enable_idempotence,
            linger_ms=0,
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
        )
        await self._producer.start()

    async def _ensure_topics(self, topics: tuple[str, ...]) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._servers,
            client_id=f"{self._client_id}-admin",
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                await admin.create_topics([
                    NewTopic(t, self._settings.kafka_topic_partitions, self._settings.kafka_replication_factor)
                    for t in missing
                ])
                log.info("created topics %s", ", ".join(missing))
        finally:
            await admin.close()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, records: list[OutgoingRecord]) -> None:
        if self._producer is None:
            raise ConnectionError("kafka producer is not started")
        pending = [
            await self._producer.send(r.topic, value=r.value, key=r.key.encode()) for r in records
        ]
        await asyncio.gather(*pending)

    def consumer(self, group_id: str, topics: tuple[str, ...], *, off_routing_path: bool = False) -> BusConsumer:
        return KafkaConsumer(self._settings, group_id, topics, client_id=self._client_id,
                             off_routing_path=off_routing_path)

    async def healthy(self) -> bool:
        producer = self._producer
        if producer is None:
            return False
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=2)
            return True
        except Exception:  # noqa: BLE001 - any failure means the broker is not reachable now
            return False


class KafkaConsumer(BusConsumer):
    def __init__(self, settings: CommonSettings, group_id: str, topics: tuple[str, ...], client_id: str,
                 off_routing_path: bool = False) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=group_id,
            client_id=f"{client_id}-{group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=(settings.kafka_off_path_fetch_max_wait_ms if off_routing_path
                               else settings.kafka_fetch_max_wait_ms),
            request_timeout_ms=max(settings.kafka_request_timeout_ms, 40_000),
        )

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [
            Record(tp.topic, tp.partition, m.offset, m.key.decode() if m.key else None, m.value)
            for tp, messages in batches.items()
            for m in messages
        ]

    async def commit(self, records: list[Record]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, -1), r.offset + 1)
        if offsets:
            await self._consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})

    async def rewind(self, record: Record) -> None:
        self._consumer.seek(TopicPartition(record.topic, record.partition), record.offset)

    async def lag(self) -> int | None:
        total = 0
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            committed = await self._consumer.committed(tp)
            total += max(0, highwater - (committed or 0))
        return total
