"""What the notifier's tests share: intake's database migrated (SQLite or PostgreSQL) with its filing writer running,
filing through it, the events of a complaint as the bus delivers them, and a provider that fails when told to."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.intake.app import MIGRATIONS
from services.intake.filing import Accepted, DuplicateRule, FilingWriter
from services.intake.models import OUTBOX, HistoryEntry
from services.intake.notify import CONSUMER
from services.intake.notify.compose import SMS, Follower
from services.intake.notify.providers import OutgoingSms, SmsFailed
from services.intake.notify.sender import SendPolicy, SmsSender
from services.intake.schemas import ComplaintCreate
from shared import migrations
from shared.bus.base import Record
from shared.calendar import SHANGHAI
from shared.consumer import IdempotentConsumer
from shared.db import Database
from shared.events import TOPIC_INTAKE, TOPIC_SLA, EventData
from shared.settings import IntakeSettings
from tests.support import complaint_body, fresh_postgres

#: A Monday morning and the night that follows, in Asia/Shanghai.
DAY = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 12, 7, 23, 0, tzinfo=SHANGHAI)
TRACK_URL = "http://127.0.0.1:8000/track"
POLICY = SendPolicy("青山县12345", {}, max_tries=4, retry_base=timedelta(seconds=60))


@contextlib.asynccontextmanager
async def intake_database(kind: str, tmp_path):
    """Intake's database, migrated, with a filing writer running on it: ``(url, db, writer)``."""
    async with contextlib.AsyncExitStack() as stack:
        url = (f"sqlite+aiosqlite:///{tmp_path}/intake.db" if kind == "sqlite"
               else await stack.enter_async_context(fresh_postgres()))
        db = Database(url, OUTBOX)
        await migrations.upgrade(db.engine, MIGRATIONS, "intake_alembic_version")
        writer = FilingWriter(db, DuplicateRule())
        task = asyncio.create_task(writer.run())
        try:
            yield url, db, writer
        finally:
            task.cancel()
            await db.dispose()


async def file(writer: FilingWriter, now: datetime = DAY, *, hotline: bool = False, **overrides: Any) -> Accepted:
    if hotline:
        overrides["channel"] = "hotline"
    body = ComplaintCreate.model_validate(complaint_body(**overrides))
    return await writer.file(body, idempotency_digest=None, fingerprint=None, now=now,
                             filed_by="operator:话务员01" if hotline else None)


class Events:
    """The notifier's consumer, and the records of events as the bus would hand them (again, if asked)."""

    def __init__(self, db: Database) -> None:
        follower = Follower(TRACK_URL, 7)
        self.consumer = IdempotentConsumer(CONSUMER, None, db, (TOPIC_INTAKE, TOPIC_SLA),  # type: ignore[arg-type]
                                           follower.handlers(), prefetch=follower.prefetch)
        self._offset = 0

    def record(self, data: EventData, at: datetime = DAY) -> Record:
        self._offset += 1
        return Record(data.TOPIC, 0, self._offset, data.complaint_id, data.envelope(time=at).to_bytes())


class Provider:
    """Takes messages, or refuses the next ``failing`` of them (a provider outage)."""

    name = "fake"

    def __init__(self, failing: int = 0, delay: float = 0.0) -> None:
        self.failing = failing
        self.delay = delay
        self.sent: list[OutgoingSms] = []
        self.tries = 0
        #: Messages in the provider's hands at once: now, and at most so far.
        self.in_flight = self.most_in_flight = 0

    async def send(self, message: OutgoingSms, now: datetime) -> str:
        self.tries += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if self.failing:
            self.failing -= 1
            raise SmsFailed("isv.OUTAGE")
        self.sent.append(message)
        return f"m{len(self.sent)}"


def sender(db: Database, provider: Provider, policy: SendPolicy = POLICY) -> SmsSender:
    return SmsSender(db, provider, policy, batch=IntakeSettings.model_fields["sms_batch"].default)


async def notices(db: Database, complaint_id: str | None = None) -> list[Any]:
    query = select(SMS).order_by(SMS.c.id)
    if complaint_id:
        query = query.where(SMS.c.complaint_id == complaint_id)
    async with db.unit_of_work() as uow:
        return list((await uow.session.execute(query)).all())


async def sms_history(db: Database, complaint_id: str) -> list[tuple[str, dict]]:
    table = HistoryEntry.__table__
    async with db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(table.c.action, table.c.detail)
            .where(table.c.complaint_id == complaint_id, table.c.actor == "sms").order_by(table.c.id))
        return [(action, detail) for action, detail in rows.all()]
