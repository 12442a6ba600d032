"""Alembic environment of the intake service (its own tables and version table)."""

from alembic import context

import services.intake.models  # noqa: F401 - registers the tables
from shared.migrations import run_env
from sqlmodel import SQLModel

run_env(context, SQLModel.metadata, "intake")
