"""Intake's request dependencies: its database, settings, the caller (bearer token), If-Match, the filing limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from services.intake.commands import Policy
from services.intake.errors import PreconditionRequired
from services.intake.ratelimit import TokenBuckets
from shared.auth import Principal, principal_dependency
from shared.db import Database
from shared.settings import IntakeSettings


def get_db(request: Request) -> Database:
    return request.app.state.runtimes["intake"].db


def get_settings(request: Request) -> IntakeSettings:
    return request.app.state.intake_settings


def get_policy(request: Request) -> Policy:
    return Policy.from_settings(get_settings(request))


def get_filing_limit(request: Request) -> TokenBuckets:
    return request.app.state.intake_filing_limit


def _secret(request: Request) -> str:
    return get_settings(request).auth_secret


def if_match(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
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
PolicyDep = Annotated[Policy, Depends(get_policy)]
#: The caller, required (401 without a valid token).
CallerDep = Annotated[Principal, Depends(principal_dependency(_secret))]
#: The caller when a token is sent (public filing), else None.
OptionalCallerDep = Annotated[Principal | None, Depends(principal_dependency(_secret, optional=True))]
IfMatchDep = Annotated[int | None, Depends(if_match)]
