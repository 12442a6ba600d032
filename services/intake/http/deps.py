"""Intake's request dependencies: its database, settings, the caller (bearer token), If-Match, and what filing needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from services.intake.commands import WorkRules
from services.intake.errors import PreconditionRequired
from services.intake.filing import FilingWriter
from services.intake.ratelimit import FilingLimit
from shared.auth import Principal, principal_dependency
from shared.db import Database
from shared.settings import IntakeSettings


async def get_db(request: Request) -> Database:
    return request.app.state.runtimes["intake"].db


async def get_settings(request: Request) -> IntakeSettings:
    return request.app.state.intake_settings


async def get_policy(request: Request) -> WorkRules:
    return WorkRules.from_settings(request.app.state.intake_settings)


@dataclass(frozen=True)
class FilingDesk:
    """What filing needs from the hosting app."""

    db: Database
    settings: IntakeSettings
    writer: FilingWriter
    limit: FilingLimit


@dataclass(frozen=True)
class FilingCall:
    """A filing's desk and its caller (None for public filing), resolved by one dependency: filing is the hot path,
    and each dependency FastAPI solves costs."""

    desk: FilingDesk
    caller: Principal | None


def _secret(request: Request) -> str:
    return request.app.state.intake_settings.auth_secret


_optional_caller = principal_dependency(_secret, optional=True)


def filing_desk(request: Request) -> FilingDesk:
    """The hosting app's filing desk (built at the first filing): ``POST /v1/complaints`` and Open311 file at it."""
    state = request.app.state
    desk = getattr(state, "intake_filing_desk", None)
    if desk is None:
        runtime = state.runtimes["intake"]
        desk = state.intake_filing_desk = FilingDesk(
            runtime.db, state.intake_settings, runtime.components["filing_writer"], runtime.components["filing_limit"]
        )
    return desk


async def get_filing_call(request: Request) -> FilingCall:
    return FilingCall(filing_desk(request), await _optional_caller(request))


async def if_match(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    """The complaint version the caller read: ``If-Match: "3"`` (``W/"3"`` and ``3`` are accepted too)."""
    if if_match is None:
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionRequired()
    return int(value)


DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[IntakeSettings, Depends(get_settings)]
WorkRulesDep = Annotated[WorkRules, Depends(get_policy)]
#: The caller, required (401 without a valid token).
CallerDep = Annotated[Principal, Depends(principal_dependency(_secret))]
IfMatchDep = Annotated[int | None, Depends(if_match)]
FilingCallDep = Annotated[FilingCall, Depends(get_filing_call)]
