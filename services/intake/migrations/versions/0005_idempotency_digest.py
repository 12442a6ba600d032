"""idempotency keys scoped to their client: the key column holds an HMAC of the client and the key

A key used to be unique across all clients, so a second client re-posting another's key received the first filer's
complaint and access token. The column is renamed to say what it now holds — ``idempotency_digest``, an HMAC of the
client (token subject or address) and the key, under the same unique index — and the keys stored before, which name
no client, are released: a retry of a filing made before the upgrade files anew.

The rename needs no table rebuild (SQLite rebuilds would trip over the foreign keys of the rows that reference the
complaints).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _release(column: str) -> None:
    op.execute(f"UPDATE intake_complaint SET {column} = NULL, request_hash = NULL WHERE {column} IS NOT NULL")


def upgrade() -> None:
    op.execute("ALTER TABLE intake_complaint RENAME COLUMN idempotency_key TO idempotency_digest")
    _release('idempotency_digest')


def downgrade() -> None:
    _release('idempotency_digest')  # digests are no keys to the earlier code
    op.execute("ALTER TABLE intake_complaint RENAME COLUMN idempotency_digest TO idempotency_key")
