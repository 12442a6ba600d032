"""dashboard projection: whether the last answer left a contact to call back, and when a follow-up call (回访) last
reached the filer

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('sla_report_complaint', sa.Column('answer_has_contact', sa.Boolean(), nullable=True))
    op.add_column('sla_report_complaint', sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE sla_report_complaint DROP COLUMN followed_up_at")
    op.execute("ALTER TABLE sla_report_complaint DROP COLUMN answer_has_contact")
