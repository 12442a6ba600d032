"""The filing limit: public filing per IP address, staff filing per token subject, each with its rate and burst —
and the limit on tries of a complaint's short access code (``AccessCodeLimit``), kept in the same buckets.

A hotline room files for its callers from behind one NAT: keyed by address, its operators would share one public
budget and be refused at once. Staff (a verified staff token) are therefore limited per token subject — role and
name — with limits of their own (``STAFF_FILING_RATE_PER_MINUTE``, ``STAFF_FILING_BURST``); anonymous filings and
filings with a filer's token stay limited per IP address (``FILING_RATE_PER_MINUTE``, ``FILING_BURST``). A partner
system filing through Open311 is limited per partner at the rate its API key carries.

A bucket is one instant, when it is full again (the generic cell rate algorithm): a filing may go when the bucket
lacks at most ``burst - 1`` tokens, and moves that instant on by one interval (a minute / rate). Instants are exact
to the microsecond, so a burst is never cut short by rounding.

Where the buckets are kept, and why:

- On PostgreSQL, the deployment that runs several intake replicas, in intake's table ``intake_filing_bucket``: buckets
  in each process would give a client N times the rate behind N replicas. Taking a token is one UPSERT … RETURNING
  of the client's row per filing; the takes of filings that arrive together go in one transaction, as the filings
  themselves do, so the limit holds one connection per replica, not one per request in flight — those would crowd
  out the filing writer's. The
  table is unlogged: a take's commit waits for no WAL flush, and a crash or a fail-over only empties the buckets
  (every client then has a full one). A refusal the database reports is remembered in the process until it ends:
  that is exact, since filings through other replicas can only push a client's next token later, and a client
  filing on while refused costs the database nothing. A loop deletes the buckets that are full again (a missing row
  is a full bucket), so the table holds only the clients of the last minutes.
- On SQLite, the embedded default, one process does all the filing: the buckets stay in memory, where they are
  exact, and filing does not queue a write transaction per filing behind the filing writer for SQLite's one lock.

A bucket's key is a keyed digest (BLAKE2b, its key derived from ``AUTH_SECRET``) of the client: neither the table nor
the process holds addresses or names, every key has the same short length whatever a token's subject, and nothing
about whom the limit refused is logged or counted by client.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Interval, bindparam, case, delete, func, select, true
from sqlalchemy.dialects.postgresql import insert

from services.intake.filing import next_batch
from services.intake.models import FilingBucket
from shared import clock
from shared.auth import Principal
from shared.db import Database
from shared.settings import IntakeSettings
from shared.sqltypes import UtcDateTime

ZERO = timedelta(0)
BUCKET = FilingBucket.__table__
#: How often the buckets that are full again are deleted from the shared table.
SWEEP_INTERVAL_S = 300.0


@dataclass(frozen=True)
class Rate:
    """One filing per ``interval`` sustained, and ``burst`` at once after a quiet spell: a filing may go while the
    bucket is full again within ``tolerance`` (``burst - 1`` intervals)."""

    interval: timedelta
    tolerance: timedelta

    @classmethod
    def per_minute(cls, rate: float, burst: int) -> Rate | None:
        """The rate of so many filings a minute; None (no limit) for 0."""
        if rate <= 0:
            return None
        interval = timedelta(minutes=1) / rate
        return cls(interval, interval * (max(1, burst) - 1))

    def take(self, full_at: datetime | None, now: datetime) -> tuple[datetime | None, timedelta]:
        """The bucket's new full instant after a filing at ``now``, and how long to wait (zero: the filing may go;
        otherwise the bucket is left as it was)."""
        wait = self.wait(full_at, now)
        if wait:
            return full_at, wait
        return max(now, full_at or now) + self.interval, ZERO

    def wait(self, full_at: datetime | None, now: datetime) -> timedelta:
        """How long until the bucket has a token for a take at ``now`` (zero: it has one), taking nothing."""
        start = now if full_at is None or full_at < now else full_at
        return start - now - self.tolerance if start - now > self.tolerance else ZERO


class Buckets(Protocol):
    async def take(self, key: str, rate: Rate, now: datetime) -> timedelta:
        """Take a token from ``key``'s bucket: zero when the filing may go, else how long to wait."""

    async def wait(self, key: str, rate: Rate, now: datetime) -> timedelta:
        """How long until ``key``'s bucket has a token (zero: it has one now), taking nothing."""


class _Instants(dict[str, datetime]):
    """An instant per client key; those past mean nothing any more and are forgotten once there are too many."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def put(self, key: str, instant: datetime, now: datetime) -> None:
        self[key] = instant
        if len(self) > self.most:
            for past in [k for k, at in self.items() if at <= now]:
                del self[past]


class MemoryBuckets:
    """The buckets in this process: exact where one process does all the filing (the embedded default)."""

    def __init__(self, *, max_clients: int = 50_000) -> None:
        self._full_at = _Instants(max_clients)

    async def take(self, key: str, rate: Rate, now: datetime) -> timedelta:
        full_at, wait = rate.take(self._full_at.get(key), now)
        if not wait:
            self._full_at.put(key, full_at, now)
        return wait

    async def wait(self, key: str, rate: Rate, now: datetime) -> timedelta:
        return rate.wait(self._full_at.get(key), now)


_NOW = bindparam("now", type_=UtcDateTime())
_INTERVAL = bindparam("interval", type_=Interval())
_START = func.greatest(BUCKET.c.full_at, _NOW)
_FITS = _START - _NOW <= bindparam("tolerance", type_=Interval())
#: ``Rate.take`` as one statement: a new client's bucket is full, so its first filing goes; ``taken`` tells whether
#: this filing went (a refused one leaves ``full_at`` as it was).
TAKE = (
    insert(BUCKET).values(key=bindparam("client"), full_at=_NOW + _INTERVAL, taken=true())
    .on_conflict_do_update(index_elements=[BUCKET.c.key],
                           set_={"full_at": case((_FITS, _START + _INTERVAL), else_=BUCKET.c.full_at), "taken": _FITS})
    .returning(BUCKET.c.full_at, BUCKET.c.taken)
)
#: A bucket's full instant, read without taking.
FULL_AT = select(BUCKET.c.full_at).where(BUCKET.c.key == bindparam("client"))


#: The buckets full again at ``now``: as good as missing.
FORGET = delete(BUCKET).where(BUCKET.c.full_at <= bindparam("now"))


@dataclass
class _Take:
    key: str
    rate: Rate
    now: datetime
    answer: asyncio.Future = field(repr=False)


class SharedBuckets:
    """The buckets in intake's PostgreSQL database, shared by every replica (see the module's docstring). ``run``
    sends the takes waiting together in one round trip."""

    def __init__(self, db: Database, *, max_batch: int = 200, max_clients: int = 50_000) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Take] = asyncio.Queue()
        #: Per client refused by the database: the instant its next token comes.
        self._refused = _Instants(max_clients)

    async def take(self, key: str, rate: Rate, now: datetime) -> timedelta:
        until = self._refused.get(key)
        if until is not None and now < until:
            return until - now
        answer = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Take(key, rate, now, answer))
        full_at, taken = await answer
        if taken:
            return ZERO
        until = full_at - rate.tolerance
        self._refused.put(key, until, now)
        return until - now

    async def wait(self, key: str, rate: Rate, now: datetime) -> timedelta:
        until = self._refused.get(key)
        if until is not None and now < until:
            return until - now
        async with self._db.unit_of_work() as uow:
            full_at = (await uow.session.execute(FULL_AT, {"client": key})).scalar_one_or_none()
        return rate.wait(full_at, now)

    async def run(self) -> None:
        while True:
            batch = await next_batch(self._queue, self._max_batch)
            try:
                async with self._db.unit_of_work() as uow:
                    rows = [(await uow.session.execute(TAKE, {
                        "client": t.key, "now": t.now, "interval": t.rate.interval, "tolerance": t.rate.tolerance,
                    })).one() for t in batch]
                    await uow.commit()
            except Exception as exc:  # noqa: BLE001 - every caller must get an answer
                for t in batch:
                    if not t.answer.done():
                        t.answer.set_exception(exc)
                continue
            for t, row in zip(batch, rows):
                if not t.answer.done():  # a caller that went away
                    t.answer.set_result(row)

    async def forget_full(self, now: datetime) -> None:
        """Delete the buckets that are full again at ``now``: as good as missing."""
        async with self._db.unit_of_work() as uow:
            uow.write(FORGET, {"now": now})
            await uow.commit()

    async def sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            await self.forget_full(clock.now())


class _Limit:
    """Buckets keyed by a keyed digest of the client (BLAKE2b, its key derived from the secret for this limit)."""

    def __init__(self, buckets: Buckets, secret: str, person: bytes) -> None:
        self.buckets = buckets
        self._digest_key = hashlib.blake2b(secret.encode(), person=person).digest()

    def _key(self, client: str) -> str:
        return hashlib.blake2b(client.encode("utf-8", "surrogatepass"), key=self._digest_key,
                               digest_size=16).hexdigest()


def _seconds(wait: timedelta) -> int:
    """A wait as the whole seconds of ``Retry-After`` (at least 1); 0 for none."""
    return max(1, math.ceil(wait.total_seconds())) if wait else 0


class FilingLimit(_Limit):
    """Which bucket a filing takes from — the caller's as staff, else its address's — and at which rate."""

    def __init__(self, buckets: Buckets, *, public: Rate | None, staff: Rate | None, secret: str) -> None:
        super().__init__(buckets, secret, b"filing-limit")
        self.public = public
        self.staff = staff

    @classmethod
    def from_settings(cls, settings: IntakeSettings, buckets: Buckets) -> FilingLimit:
        return cls(buckets, public=Rate.per_minute(settings.filing_rate_per_minute, settings.filing_burst),
                   staff=Rate.per_minute(settings.staff_filing_rate_per_minute, settings.staff_filing_burst),
                   secret=settings.auth_secret)

    async def take(self, address: str | None, caller: Principal | None, now: datetime) -> int:
        """Take a token for a filing from ``address`` by ``caller``: 0 when it may go, else the seconds to wait."""
        if caller is not None and caller.is_staff:
            return await self._take(f"staff:{caller.role.value}:{caller.name}", self.staff, now)
        return await self._take(f"address:{address}", self.public, now)

    async def take_partner(self, partner: str, per_minute: int, now: datetime) -> int:
        """Take a token for a filing by a partner system through Open311, at its key's own rate (a minute's worth at
        once): 0 when it may go, else the seconds to wait. One bucket per partner name, whichever of its keys."""
        return await self._take(f"partner:{partner}", Rate.per_minute(per_minute, per_minute), now)

    async def _take(self, client: str, rate: Rate | None, now: datetime) -> int:
        if rate is None:
            return 0
        return _seconds(await self.buckets.take(self._key(client), rate, now))


class AccessCodeLimit(_Limit):
    """Tries of a complaint's short access code (``access_codes.py``): every try takes a token of its client's bucket
    (an IP address, or an operator's token); the wrong codes of a tracking number take from the number's bucket,
    whose burst is the number of wrong codes allowed and whose interval is the lock: once it is empty, every try of
    that number — with the right code too — waits until the lock ends."""

    def __init__(self, buckets: Buckets, *, per_client: Rate | None, per_number: Rate, secret: str) -> None:
        super().__init__(buckets, secret, b"access-code")
        self.per_client = per_client
        self.per_number = per_number

    @classmethod
    def from_settings(cls, settings: IntakeSettings, buckets: Buckets) -> AccessCodeLimit:
        lock = timedelta(minutes=settings.access_code_lock_minutes)
        return cls(buckets, per_client=Rate.per_minute(settings.access_code_rate_per_minute,
                                                       settings.access_code_burst),
                   per_number=Rate(lock, lock * (settings.access_code_attempts - 1)), secret=settings.auth_secret)

    async def admit(self, client: str, number: str, now: datetime) -> int:
        """A try of ``number``'s code by ``client``: 0 when it may be checked, else the seconds to wait."""
        if self.per_client is not None:
            wait = await self.buckets.take(self._key(f"client:{client}"), self.per_client, now)
            if wait:
                return _seconds(wait)
        return _seconds(await self.buckets.wait(self._key(f"number:{number}"), self.per_number, now))

    async def wrong(self, number: str, now: datetime) -> None:
        """Count a wrong code (or an unknown number) against ``number``."""
        await self.buckets.take(self._key(f"number:{number}"), self.per_number, now)
