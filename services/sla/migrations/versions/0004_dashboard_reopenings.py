"""dashboard projection: the timeline indexed by kind and time, for a period's reopenings (不满意重办)

The dashboard lists the reopenings of a period from their timeline entries; without this index each look-up (every
refresh of every open page) would read the whole timeline table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sla_report_event_kind_at', 'sla_report_event', ['kind', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sla_report_event_kind_at', table_name='sla_report_event')
