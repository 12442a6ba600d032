"""The SMS sender's queue as a partial index: the due rows in order, without the messages sent before

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

IN_QUEUE = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_index('ix_intake_sms_queue', 'intake_sms', ['next_attempt_at', 'id'], unique=False,
                    postgresql_where=IN_QUEUE, sqlite_where=IN_QUEUE)
    op.drop_index('ix_intake_sms_due', table_name='intake_sms')


def downgrade() -> None:
    op.create_index('ix_intake_sms_due', 'intake_sms', ['status', 'next_attempt_at'], unique=False)
    op.drop_index('ix_intake_sms_queue', table_name='intake_sms', postgresql_where=IN_QUEUE, sqlite_where=IN_QUEUE)
