"""duplicate look-up indexes: one range of (credit_code, received_at); original_id indexed only where set

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LINKED = sa.text("original_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('intake_complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_complaint_credit_code')
        batch_op.drop_index('ix_intake_complaint_original_id')
        batch_op.create_index('ix_intake_complaint_filer', ['credit_code', 'received_at'], unique=False)
        batch_op.create_index('ix_intake_complaint_original_id', ['original_id'], unique=False,
                              postgresql_where=LINKED, sqlite_where=LINKED)


def downgrade() -> None:
    with op.batch_alter_table('intake_complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_complaint_original_id')
        batch_op.drop_index('ix_intake_complaint_filer')
        batch_op.create_index('ix_intake_complaint_original_id', ['original_id'], unique=False)
        batch_op.create_index('ix_intake_complaint_credit_code', ['credit_code'], unique=False)
