"""API keys of the partner systems that file through Open311 (a city 12345 platform, an app, a neighbouring county),
and the command line that creates, lists and revokes them::

    python -m services.intake.partners create --name 市12345平台 [--rate 60]
    python -m services.intake.partners list
    python -m services.intake.partners revoke <key id>

A key is 256 random bits, shown once when it is created; intake stores only its SHA-256 digest (a digest of so
many random bits can be neither inverted nor searched), with the partner's name and its rate limit (filings a minute,
also its burst). Each filing through a key records ``partner:<name>``: the partner reads back what it filed and
nothing else. A revoked key answers ``403`` from then on; its row stays, for the listing. The command runs intake's
migrations first and uses intake's database (``DATABASE_URL``), so run it where intake runs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from services.intake.models import MIGRATIONS, OUTBOX, SERVICE, PartnerKey
from shared import clock
from shared.auth import InvalidName, check_name
from shared.calendar import SHANGHAI
from shared.db import Database

KEY = PartnerKey.__table__
INSERT_KEY = insert(KEY)
#: What every key starts with, so that one found in a file or a log is known for what it is.
KEY_PREFIX = "o311_"
DEFAULT_RATE_PER_MINUTE = 60


@dataclass(frozen=True)
class Partner:
    """The partner system a valid, unrevoked key belongs to."""

    key_id: str
    name: str
    rate_per_minute: int

    @property
    def actor(self) -> str:
        """Who filed, as the complaint's ``filed_by`` and its history record it."""
        return f"partner:{self.name}"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


async def create(db: Database, name: str, rate_per_minute: int, now: datetime) -> tuple[str, str]:
    """A new key for ``name`` (checked as token names are): its id and the key itself, which is nowhere else."""
    check_name(name)
    if rate_per_minute < 0:
        raise ValueError("the rate must be 0 (no limit) or more filings a minute")
    key, key_id = KEY_PREFIX + secrets.token_urlsafe(32), secrets.token_hex(6)
    async with db.unit_of_work() as uow:
        uow.write(INSERT_KEY, {"id": key_id, "name": name, "digest": digest(key), "rate_per_minute": rate_per_minute,
                               "created_at": now})
        await uow.commit()
    return key_id, key


async def listing(db: Database) -> list[PartnerKey]:
    async with db.unit_of_work() as uow:
        return list((await uow.session.scalars(select(PartnerKey).order_by(PartnerKey.created_at))).all())


async def revoke(db: Database, key_id: str, now: datetime) -> bool:
    """Revoke the key ``key_id``; False when there is no such unrevoked key."""
    async with db.unit_of_work() as uow:
        result = await uow.session.execute(update(KEY).where(KEY.c.id == key_id, KEY.c.revoked_at.is_(None))
                                           .values(revoked_at=now))
        await uow.commit()
    return result.rowcount == 1


async def find(db: Database, key: str | None) -> Partner | None:
    """The partner of an unrevoked key (one read of the digest's unique index), else None."""
    if not key or len(key) > 200:
        return None
    async with db.unit_of_work() as uow:
        row = (await uow.session.execute(
            select(KEY.c.id, KEY.c.name, KEY.c.rate_per_minute)
            .where(KEY.c.digest == digest(key), KEY.c.revoked_at.is_(None))
        )).first()
    return Partner(row[0], row[1], row[2]) if row else None


# --- the command line ------------------------------------------------------------------------------------------------


def _local(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else "-"


async def _run(args: argparse.Namespace) -> int:
    from shared import migrations
    from shared.settings import IntakeSettings

    settings = IntakeSettings()
    db = Database(settings.database_url_for(SERVICE), OUTBOX, pool_size=1)
    try:
        await migrations.upgrade(db.engine, MIGRATIONS, f"{SERVICE}_alembic_version")
        now = clock.now()
        if args.command == "create":
            key_id, key = await create(db, args.name, args.rate, now)
            print(f"id\t{key_id}\nname\t{args.name}\nrate_per_minute\t{args.rate}\napi_key\t{key}")
            print("the api_key is shown this once: hand it to the partner over a safe channel", file=sys.stderr)
        elif args.command == "list":
            print("id\tname\trate_per_minute\tcreated_at\trevoked_at")
            for row in await listing(db):
                print(f"{row.id}\t{row.name}\t{row.rate_per_minute}\t{_local(row.created_at)}\t"
                      f"{_local(row.revoked_at)}")
        elif not await revoke(db, args.key_id, now):
            print(f"error: no unrevoked key with id {args.key_id}", file=sys.stderr)
            return 2
        else:
            print(f"revoked\t{args.key_id}")
        return 0
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.partners",
                                     description="Open311 API keys of partner systems")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("create", help="a new key for a partner (shown once)")
    made.add_argument("--name", required=True, help="the partner's name, as its filings record it (at most 40)")
    made.add_argument("--rate", type=int, default=DEFAULT_RATE_PER_MINUTE,
                      help=f"filings a minute, also the burst (default {DEFAULT_RATE_PER_MINUTE}; 0 = no limit)")
    commands.add_parser("list", help="every key: id, partner, rate, when created and revoked")
    revoked = commands.add_parser("revoke", help="revoke a key by its id")
    revoked.add_argument("key_id")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (InvalidName, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
