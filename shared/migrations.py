"""Alembic plumbing shared by the services: each service keeps its own migration scripts and version table
(``<service>_alembic_version``), so it migrates only the tables it owns, on SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.sqltypes import UtcDateTime


def alembic_config(script_location: Path, url: str, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["version_table"] = version_table
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, version_table: str) -> None:
    """Bring the service's tables to the newest revision on an open engine (works inside a running event loop)."""
    config = alembic_config(script_location, engine.url.render_as_string(hide_password=False), version_table)

    def run(sync_connection: Any) -> None:
        config.attributes["connection"] = sync_connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Processes of one service that start together (its replicas; intake and its notifier) migrate one at a
            # time: the others wait here, then find the tables at head. The lock goes with the transaction.
            lock = zlib.crc32(f"migrate:{version_table}".encode())
            await connection.execute(select(func.pg_advisory_xact_lock(lock)))
        await connection.run_sync(run)


def run_env(context: Any, target_metadata: MetaData, service: str) -> None:
    """Body of every service's ``migrations/env.py``; only tables named ``<service>_…`` are the service's."""
    version_table = context.config.attributes.get("version_table") or f"{service}_alembic_version"

    def own(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return type_ != "table" or bool(name and name.startswith(f"{service}_") and name != version_table)

    def render_item(type_: str, obj: Any, _context: Any) -> str | bool:
        # Scripts spell the column type plainly; UtcDateTime only changes how values are bound and read.
        if type_ == "type" and isinstance(obj, UtcDateTime):
            return "sa.DateTime(timezone=True)"
        return False

    options = dict(target_metadata=target_metadata, version_table=version_table, render_as_batch=True,
                   compare_type=True, include_object=own, render_item=render_item)
    connection = context.config.attributes.get("connection")
    if connection is None:
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
    else:
        context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()
