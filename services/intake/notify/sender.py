"""Sending the messages that are due, each once, on whichever replica gets to it first.

A message goes out in three steps, none of them holding a transaction open across the provider's answer:

1. **claim** — in a short transaction, take the due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: replicas take
   different rows; on SQLite one process writes at a time), mark them ``sending`` with a lease and count the try;
2. **send** — through the provider, outside any transaction;
3. **record** — the outcomes of the claimed batch (at most 20 messages) in one transaction, each only if its claim
   is still this sender's: ``sent``; or back to ``pending`` after a backoff (``SMS_RETRY_BASE_S`` × 2^(tries-1), at
   most an hour, never into the quiet hours); or ``dead`` after ``SMS_MAX_TRIES`` — each with a history entry staff
   read, and counted in ``sms_messages_total``.

A sender that dies between the claim and the record leaves its rows ``sending``; they are taken again when the lease
lapses. Only a death after the provider took a message and before its batch was recorded sends it twice (at most the
messages of that batch).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import bindparam, select, update

from services.intake.notify.compose import CONTACT, OPT_OUT, SMS, out_of_quiet_hours
from services.intake.notify.model import DEAD, PENDING, SENDING, SENT, SKIPPED
from services.intake.notify.providers import OutgoingSms, SmsFailed, SmsProvider
from services.intake.store import INSERT_HISTORY
from services.intake.schemas import is_cn_mobile
from shared import clock
from shared.db import Database, UnitOfWork

log = logging.getLogger("complaints.intake.sms")

MESSAGES = Counter("sms_messages_total", "SMS to filers, by template and outcome (sent, retry, dead, skipped)",
                   ["template", "outcome"])
#: How long a claim lasts: well beyond the provider's timeouts.
LEASE = timedelta(minutes=2)
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


#: A claim: the message is being sent until ``lease_until`` (its ``attempts``-th try).
_CLAIM = update(SMS).where(SMS.c.id == bindparam("claimed_id")).values(
    status=SENDING, attempts=bindparam("attempts"), next_attempt_at=bindparam("lease_until"))


class SmsSender:
    def __init__(self, db: Database, provider: SmsProvider, policy: SendPolicy, *, batch: int = 20) -> None:
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
        outcomes = [(message, await self._send(message, now)) for message in claimed]
        await self._record(outcomes, now)
        return len(claimed)

    async def _claim(self, now: datetime) -> list[Claimed]:
        due = (select(SMS.c.id, SMS.c.complaint_id, SMS.c.template, SMS.c.params, SMS.c.attempts)
               .where(SMS.c.status.in_((PENDING, SENDING)), SMS.c.next_attempt_at <= now)
               .order_by(SMS.c.next_attempt_at, SMS.c.id).limit(self._batch))
        async with self._db.unit_of_work() as uow:
            if uow.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = (await uow.session.execute(due)).all()
            if not rows:
                return []
            phones = await _phones(uow, [row.complaint_id for row in rows])
            uow.write(_CLAIM, [{"claimed_id": row.id, "attempts": row.attempts + 1, "lease_until": now + LEASE}
                               for row in rows])
            await uow.commit()
        return [Claimed(row.id, row.complaint_id, row.template, dict(row.params), row.attempts + 1,
                        phones.get(row.complaint_id)) for row in rows]

    async def _send(self, message: Claimed, now: datetime) -> Outcome:
        if message.phone is None:
            return Outcome({"status": SKIPPED}, "sms_skipped", {}, "skipped")
        outgoing = OutgoingSms(message.phone, message.template, {k: str(v) for k, v in message.params.items()},
                               self._policy.sign_name, self._policy.template_codes.get(message.template, ""))
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
        """Write each outcome and its history entry where the claim is still ours (its lease may have lapsed)."""
        if not outcomes:
            return
        recorded = []
        async with self._db.unit_of_work() as uow:
            for message, outcome in outcomes:
                values = dict(outcome.values)
                if values["status"] != PENDING:
                    values["params"] = {k: v for k, v in message.params.items() if k != "code"}
                result = await uow.session.execute(
                    update(SMS).where(SMS.c.id == message.id, SMS.c.status == SENDING,
                                      SMS.c.attempts == message.attempts).values(**values))
                if result.rowcount != 1:
                    continue
                uow.write(INSERT_HISTORY, {
                    "complaint_id": message.complaint_id, "at": now, "actor": "sms", "action": outcome.action,
                    "detail": {"template": message.template, "attempt": message.attempts, **outcome.detail},
                })
                recorded.append((message.template, outcome.label))
            await uow.commit()
        for template, label in recorded:
            MESSAGES.labels(template, label).inc()


@dataclass(frozen=True)
class Outcome:
    """What became of one try: the message row's new values, and the history entry and metric that say so."""

    values: dict[str, Any]
    action: str
    detail: dict[str, Any]
    label: str


async def _phones(uow: UnitOfWork, complaint_ids: list[str]) -> dict[str, str]:
    """The numbers to text, by complaint: the filer's mobile unless they opted out."""
    rows = await uow.session.execute(
        select(CONTACT.c.complaint_id, CONTACT.c.mobile)
        .select_from(CONTACT.outerjoin(OPT_OUT, OPT_OUT.c.complaint_id == CONTACT.c.complaint_id))
        .where(CONTACT.c.complaint_id.in_(sorted(set(complaint_ids))), OPT_OUT.c.complaint_id.is_(None))
    )
    return {complaint_id: mobile for complaint_id, mobile in rows.all() if is_cn_mobile(mobile)}
