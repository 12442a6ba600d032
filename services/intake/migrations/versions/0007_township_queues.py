"""townships as their own queues: a complaint led by the township department records the township it was placed
with; the search reads complaints newest first

Complaints the township department leads that were placed with no township (a dispatch that named none) take the
township they were filed under, so the handlers of that township see them; those filed under none stay with the
dispatchers, who re-dispatch them naming one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE intake_complaint SET assigned_township = township "
        "WHERE department = 'township' AND assigned_township IS NULL AND township IS NOT NULL"
    ))
    with op.batch_alter_table('intake_complaint', schema=None) as batch_op:
        batch_op.create_index('ix_intake_complaint_received', ['received_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intake_complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_complaint_received')
