"""Sending the messages that are due, each once, on whichever replica gets to it first.

A message goes out in three steps, none of them holding a transaction open across the provider's answer:

1. **claim** — one statement takes the first due rows of the queue (at most ``SMS_BATCH``; ``FOR UPDATE SKIP LOCKED``
   on PostgreSQL: replicas take different rows; on SQLite one process writes at a time), marks them ``sending`` with a
   lease, counts the try and answers them;
2. **send** — through the provider, outside any transaction, the batch's messages side by side (a cloud provider's
   answer takes a round trip over the internet; one after another, they would cap a replica at a few a second);
3. **record** — the batch's outcomes in one transaction, each only if its claim is still this sender's (one
   ``SELECT … FOR UPDATE`` finds which, then one UPDATE per kind of outcome): ``sent``; or back to ``pending`` after a
   backoff (``SMS_RETRY_BASE_S`` × 2^(tries-1), at most an hour, never into the quiet hours); or ``dead`` after
   ``SMS_MAX_TRIES`` — each with a history entry staff read, and counted in ``sms_messages_total``.

A sender that dies between the claim and the record leaves its rows ``sending``; they are taken again when the lease
lapses. Only a death after the provider took a message and before its batch was recorded sends it twice (at most the
messages of that batch).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Select, Update, bindparam, select, update

from services.intake.notify.compose import SMS, out_of_quiet_hours, reachable
from services.intake.notify.model import DEAD, IN_QUEUE, PENDING, SENDING, SENT, SKIPPED
from services.intake.notify.providers import OutgoingSms, SmsFailed, SmsProvider
from services.intake.store import INSERT_HISTORY
from shared import clock
from shared.db import Database, UnitOfWork
from shared.outbox import picked

log = logging.getLogger("complaints.intake.sms")

MESSAGES = Counter("sms_messages_total", "SMS to filers, by template and outcome (sent, retry, dead, skipped)",
                   ["template", "outcome"])
#: How long a claim lasts: well beyond the time a whole batch may take when the provider hangs. A batch goes out side
#: by side through the default thread pool (a handful of threads on a small machine); each call waits at most the
#: provider's timeouts (10 s to connect, 10 s for the answer), so 100 messages on 6 threads take at most about 6
#: minutes.
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Claimed:
    id: int
    complaint_id: str
    template: str
    params: dict[str, Any]
    attempts: int
    #: None: nobody to send it to any more (opted out since, or the number is gone).
    phone: str | None


@dataclass(frozen=True)
class SendPolicy:
    sign_name: str
    template_codes: dict[str, str]
    max_tries: int
    retry_base: timedelta

    def backoff(self, tries: int) -> timedelta:
        return min(self.retry_base * 2 ** (tries - 1), MAX_BACKOFF)


@functools.cache
def _record_statement(columns: tuple[str, ...]) -> Update:
    """The UPDATE that records one kind of outcome (``columns``, the row values it sets) of the message ``target_id``,
    whose claim was checked in the same transaction. One statement per kind, so a batch's rows of a kind are written
    together (a unit of work queues rows by statement)."""
    return update(SMS).where(SMS.c.id == bindparam("target_id"))


class SmsSender:
    def __init__(self, db: Database, provider: SmsProvider, policy: SendPolicy, *, batch: int) -> None:
        self._db = db
        self._provider = provider
        self._policy = policy
        self._batch = batch

    async def run(self, poll_interval_s: float) -> None:
        while True:
            if await self.send_due(clock.now()) < self._batch:
                await asyncio.sleep(poll_interval_s)

    async def send_due(self, now: datetime) -> int:
        """Send the messages due at ``now`` (none in the quiet hours); how many were taken. The outcomes of a claimed
        batch are recorded together once its messages are sent: one transaction per batch, not per message."""
        if out_of_quiet_hours(now) != now:
            return 0
        claimed = await self._claim(now)
        sent = await asyncio.gather(*(self._send(message, now) for message in claimed))
        await self._record(list(zip(claimed, sent)), now)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[Claimed]:
        async with self._db.unit_of_work() as uow:
            # One statement takes the batch and answers it (RETURNING): it runs at once, in the claim's transaction.
            connection = await uow.session.connection()
            rows = sorted((await connection.execute(claim_due(now, self._batch, uow.dialect))).all(),
                          key=lambda row: row.id)
            if not rows:
                return []
            phones = {complaint_id: mobile for complaint_id, (mobile, _number)
                      in (await reachable(uow, [row.complaint_id for row in rows])).items()}
            await uow.commit()
        return [Claimed(row.id, row.complaint_id, row.template, dict(row.params), row.attempts,
                        phones.get(row.complaint_id)) for row in rows]

    async def _send(self, message: Claimed, now: datetime) -> Outcome:
        if message.phone is None:
            return Outcome({"status": SKIPPED}, "sms_skipped", {}, "skipped")
        outgoing = OutgoingSms(message.phone, message.template, {k: str(v) for k, v in message.params.items()},
                               self._policy.sign_name, self._policy.template_codes.get(message.template, ""),
                               reference=f"sms-{message.id}-{message.attempts}")
        try:
            provider_id = await self._provider.send(outgoing, now)
        except SmsFailed as failure:
            return self._failed(message, now, failure.code)
        except Exception as exc:  # noqa: BLE001 - any provider failure is retried, then dead-lettered
            return self._failed(message, now, type(exc).__name__)
        return Outcome({"status": SENT, "sent_at": now, "provider": self._provider.name,
                        "provider_message_id": provider_id[:80], "last_error": None},
                       "sms_sent", {"provider": self._provider.name}, "sent")

    def _failed(self, message: Claimed, now: datetime, code: str) -> Outcome:
        log.warning("sms %s (%s) failed on try %d: %s", message.id, message.template, message.attempts, code)
        detail = {"provider": self._provider.name, "error": code}
        if message.attempts >= self._policy.max_tries:
            return Outcome({"status": DEAD, "last_error": code}, "sms_dead", detail, "dead")
        retry_at = out_of_quiet_hours(now + self._policy.backoff(message.attempts))
        return Outcome({"status": PENDING, "next_attempt_at": retry_at, "last_error": code},
                       "sms_retry", {**detail, "retry_at": retry_at.isoformat()}, "retry")

    async def _record(self, outcomes: list[tuple[Claimed, Outcome]], now: datetime) -> None:
        """Write each outcome and its history entry where the claim is still ours (its lease may have lapsed and
        another sender taken the message since)."""
        if not outcomes:
            return
        async with self._db.unit_of_work() as uow:
            ours = await _still_claimed(uow, [message for message, _ in outcomes])
            recorded = [(message, outcome) for message, outcome in outcomes if (message.id, message.attempts) in ours]
            by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for message, outcome in recorded:
                values = dict(outcome.values)
                if values["status"] != PENDING:
                    values["params"] = {k: v for k, v in message.params.items() if k != "code"}
                by_columns[tuple(values)].append({"target_id": message.id, **values})
            for columns, rows in by_columns.items():
                uow.write(_record_statement(columns), rows)
            if recorded:
                uow.write(INSERT_HISTORY, [{
                    "complaint_id": message.complaint_id, "at": now, "actor": "sms", "action": outcome.action,
                    "detail": {"template": message.template, "attempt": message.attempts, **outcome.detail},
                } for message, outcome in recorded])
            await uow.commit()
        for message, outcome in recorded:
            MESSAGES.labels(message.template, outcome.label).inc()


def due_messages(now: datetime, most: int, dialect: str) -> Select:
    """The first ``most`` messages of the queue due at ``now``, in order (read from the queue's partial index); on
    PostgreSQL locked, skipping those another replica is claiming."""
    due = (select(SMS.c.id, SMS.c.complaint_id, SMS.c.template, SMS.c.params, SMS.c.attempts)
           .where(IN_QUEUE, SMS.c.next_attempt_at <= now)
           .order_by(SMS.c.next_attempt_at, SMS.c.id).limit(most))
    return due.with_for_update(skip_locked=True) if dialect == "postgresql" else due


def claim_due(now: datetime, most: int, dialect: str) -> Update:
    """The claim of the messages ``due_messages`` picks: each is being sent until its lease ends, as its next try;
    answers them (id, complaint, template, values and the try it is)."""
    due = due_messages(now, most, dialect).with_only_columns(SMS.c.id)
    return (update(SMS).where(picked(SMS.c.id, due, dialect))
            .values(status=SENDING, attempts=SMS.c.attempts + 1, next_attempt_at=now + LEASE)
            .returning(SMS.c.id, SMS.c.complaint_id, SMS.c.template, SMS.c.params, SMS.c.attempts))


@dataclass(frozen=True)
class Outcome:
    """What became of one try: the message row's new values, and the history entry and metric that say so."""

    values: dict[str, Any]
    action: str
    detail: dict[str, Any]
    label: str


async def _still_claimed(uow: UnitOfWork, messages: list[Claimed]) -> set[tuple[int, int]]:
    """Which of ``messages`` (id, try) are still claimed by their try, locked until the unit of work ends (on SQLite
    its transaction holds the database's write lock from the start)."""
    claims = select(SMS.c.id, SMS.c.attempts).where(SMS.c.id.in_([m.id for m in messages]), SMS.c.status == SENDING)
    if uow.dialect == "postgresql":
        claims = claims.with_for_update()
    return {(row.id, row.attempts) for row in await uow.read(claims)}
