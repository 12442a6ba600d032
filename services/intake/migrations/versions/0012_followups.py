"""Follow-up calls (回访): one row per answer the center's follow-up staff call the filer about

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intake_followup',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('complaint_id', sa.String(length=36), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('next_call_on', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['intake_complaint.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_intake_followup_complaint_id', 'intake_followup', ['complaint_id'], unique=False)
    op.create_index('ix_intake_followup_state_next', 'intake_followup', ['state', 'next_call_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_intake_followup_state_next', table_name='intake_followup')
    op.drop_index('ix_intake_followup_complaint_id', table_name='intake_followup')
    op.drop_table('intake_followup')
