"""Following the stored corrections: every router replica learns every committed correction, exactly once.

A correction (a handler's 退回 naming the right department, a dispatcher's placement) is a row of
``router_correction``, written in the transaction of the event that carries it. The in-memory model learns from
that row, never from inside the handler: a batch rolled back and retried event by event, or any transaction rolled
back, teaches nothing that did not commit, and a correction stored by one replica reaches every other.

Each replica reads the table itself: all of it at start, then every ``interval_s``, and at once when one of its
own units of work commits a correction (``UnitOfWork.after_commit`` wakes it). The table rather than a topic read
by every replica: it already is the record of what committed, it is the same whether the services talk through the
embedded bus or Kafka, and it needs neither a consumer group per replica nor a topic kept forever for a replica
that starts late.

Exactly once: the follower keeps the ids it learned. Ids come from a sequence, and a transaction may commit a lower
id after a higher one was read, so the read is not "after the highest id seen" but after a horizon below which every
id was learned or has stayed missing for ``settle_s`` (the id of a rolled-back insert never appears; no transaction
holding a correction stays open that long). Ids at or below the horizon are never read again; ids above it are
skipped once learned.
"""

from __future__ import annotations

import asyncio
import logging
import time

from services.router.domain.classifier import Classifier
from services.router.domain.classifier import Correction as LearnedCorrection
from services.router.models import Correction
from services.router.store import UNSEEN
from shared.db import Database

log = logging.getLogger("complaints.router.learning")



class CorrectionFollower:
    """Teaches ``classifier`` the corrections committed in the router's database ``db``, each once."""

    def __init__(self, db: Database, classifier: Classifier, *, interval_s: float = 1.0,
                 settle_s: float = 60.0) -> None:
        self._db = db
        self.classifier = classifier
        self.interval_s = interval_s
        self.settle_s = settle_s
        #: Every correction id at or below it is learned or given up as never committed.
        self.horizon = 0
        self._learned: set[int] = set()  # ids above the horizon
        self._missing_since: dict[int, float] = {}
        self._reading = asyncio.Lock()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Read the table now: a unit of work of this replica committed a correction."""
        self._woken.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._woken.wait(), self.interval_s)
            except TimeoutError:
                pass
            self._woken.clear()
            await self.catch_up()

    async def catch_up(self) -> int:
        """Learn every committed correction not learned yet; returns how many were learned."""
        async with self._reading:
            async with self._db.unit_of_work() as uow:
                rows = (await uow.session.execute(UNSEEN.where(Correction.id > self.horizon))).all()
            learned = 0
            for correction, complaint in rows:
                if correction.id in self._learned:
                    continue
                self._learned.add(correction.id)
                try:
                    self.classifier.learn(LearnedCorrection(
                        title=complaint.title, text=complaint.text, department=correction.department,
                        financial_service=correction.financial_service, township=correction.township,
                    ))
                except ValueError as exc:  # a department the catalog no longer has: stored, not learned
                    log.warning("router: correction %d not learned (%s)", correction.id, exc)
                    continue
                learned += 1
            self._advance(max((correction.id for correction, _ in rows), default=self.horizon))
            return learned

    def _advance(self, highest: int) -> None:
        """Move the horizon over the ids learned and the ids missing for ``settle_s``, up to ``highest``."""
        now = time.monotonic()
        for missing in range(self.horizon + 1, highest + 1):
            if missing not in self._learned:
                self._missing_since.setdefault(missing, now)
        while True:
            following = self.horizon + 1
            if following in self._learned:
                self._learned.discard(following)
            elif following in self._missing_since and now - self._missing_since[following] >= self.settle_s:
                del self._missing_since[following]
            else:
                return
            self.horizon = following
