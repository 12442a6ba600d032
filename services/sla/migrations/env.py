"""Alembic environment of the sla service (its own tables and version table)."""

from alembic import context

import services.sla.dashboard.projection  # noqa: F401 - registers the dashboard tables
import services.sla.models  # noqa: F401 - registers the tables
from shared.migrations import run_env
from sqlmodel import SQLModel

run_env(context, SQLModel.metadata, "sla")
