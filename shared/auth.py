"""Bearer tokens for every service: roles, issuing and verifying HS256 JWTs, a FastAPI dependency, and a CLI.

A token is a JWT signed with ``auth_secret`` (HS256) carrying ``sub`` (the user's name), ``role``, ``department``
(handlers only: the one department they work for), ``township`` (handlers of the ``township`` department only, and
required for them: the id of the one 乡镇/街道 of the gazetteer they work for), ``complaint`` (filer tokens only: the one
complaint they may follow) and ``exp``. A name has at most ``NAME_MAX`` characters a person can read
(``check_name``), so that the actor built from it (``handler:power:张三``) is always stored and compared whole: a token
with any other name is never issued and never accepted. Staff tokens come from the command line, run where the
services run — with the same ``AUTH_SECRET``, or on the embedded default in the same checkout, whose generated secret
(``./var/auth_secret``) it finds::

    python -m shared.auth issue --role handler --department power --name 张三 [--days 30]
    python -m shared.auth issue --role handler --department township --township baisha --name 赵六

Filer tokens are issued by intake when a complaint is filed (the ``access_token`` of the 201 answer), so an anonymous
hotline caller can follow up on the complaint too.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import jwt
from fastapi import HTTPException, Request
from jwt.algorithms import HMACAlgorithm

from shared import clock
from shared.catalog import TOWNSHIP_ID, Township, load_catalog, load_gazetteer
from shared.text import code_points, unreadable

ALGORITHM = "HS256"
ISSUER = "complaintline"


class _HS256CheckedOnce(HMACAlgorithm):
    """PyJWT's HS256 with a secret's checks run once per secret instead of on every token.

    Before it signs or verifies, PyJWT's HMAC ``prepare_key`` tries the secret as a PEM, SSH, DER and JWK key (and
    refuses it if it is one). That was about half of the cost of the filer's token that every filing answers with,
    and it is paid again by every staff request. Here a secret that passes is remembered (a process has one or two);
    one that fails raises as before and is never remembered. Registered for HS256 in PyJWT's default registry, the
    one ``jwt.encode`` and ``jwt.decode`` use, when this module is imported."""

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance for the whole process, never freed anyway
    def prepare_key(self, key: str | bytes) -> bytes:
        return super().prepare_key(key)


jwt.unregister_algorithm(ALGORITHM)
jwt.register_algorithm(ALGORITHM, _HS256CheckedOnce())


class Role(str, Enum):
    filer = "filer"
    operator = "operator"  # hotline operator (话务员): files on behalf of callers
    dispatcher = "dispatcher"  # 派单员 at the business-environment service center: triage, manual dispatch
    handler = "handler"  # 承办人: bound to one department
    supervisor = "supervisor"  # 督办: sees everything, including contact data (audited)
    followup = "followup"  # 回访员 at the service center: calls filers back after an answer (回访)
    admin = "admin"


STAFF_ROLES = frozenset({Role.operator, Role.dispatcher, Role.handler, Role.supervisor, Role.admin,
                         Role.followup})

#: The longest name a token carries. The actor built from it (``handler:<department>:<name>``, 66 characters at
#: most with today's catalog) fits whole the 80-character columns that record who filed, claimed or did something.
NAME_MAX = 40


class InvalidName(ValueError):
    """A name no token may carry."""


def check_name(name: str) -> str:
    """``name`` when a token may carry it: 1 to ``NAME_MAX`` characters, none of them control or invisible
    (``shared.text``), no space around it: what a person reads of a name is the whole of it."""
    if not name.strip():
        raise InvalidName("the name must not be blank")
    if len(name) > NAME_MAX:
        raise InvalidName(f"the name has {len(name)} characters, at most {NAME_MAX} are allowed")
    refused = unreadable(name)
    if refused:
        raise InvalidName(f"the name holds control or invisible characters ({code_points(refused)})")
    if name != name.strip():
        raise InvalidName("the name must not start or end with a space")
    return name


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    name: str
    role: Role
    department: str | None = None
    complaint: str | None = None
    #: The gazetteer id of a ``township`` handler's 乡镇/街道; None for everyone else.
    township: str | None = None

    @property
    def township_name(self) -> str | None:
        """The name of the handler's township as complaints record it (``白沙镇``); None for everyone else."""
        place = load_gazetteer().by_id(self.township) if self.township else None
        return place.name if place else None

    @property
    def actor(self) -> str:
        """Role-qualified name used in history entries and events (``handler:power:张三``, ``filer`` …)."""
        if self.role is Role.filer:
            return "filer"
        if self.role is Role.handler:
            return f"handler:{self.department}:{self.name}"
        return f"{self.role.value}:{self.name}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired or carries impossible claims."""


def issue_token(
    secret: str,
    *,
    role: Role | str,
    name: str,
    department: str | None = None,
    complaint: str | None = None,
    township: str | None = None,
    ttl: timedelta = timedelta(days=30),
    now: datetime | None = None,
) -> str:
    role = Role(role)
    check_name(name)
    _check_claims(role, department, complaint, township)
    issued = now or clock.now()
    claims: dict[str, Any] = {
        "iss": ISSUER, "sub": name, "role": role.value, "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if department:
        claims["department"] = department
    if complaint:
        claims["complaint"] = complaint
    if township:
        claims["township"] = township
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


LEEWAY_S = 30


def verify_token(secret: str, token: str, *, now: datetime | None = None) -> Principal:
    """The token's principal; raises :class:`InvalidToken`. Expiry is judged by ``shared.clock`` (as issuing is), so
    a process whose clock is shifted for a drill keeps accepting the tokens it issues."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"], "verify_exp": False, "verify_iat": False},
        )
        if int(claims["exp"]) + LEEWAY_S < (now or clock.now()).timestamp():
            raise InvalidToken("expired")
        name = check_name(str(claims["sub"]))
        role = Role(claims.get("role"))
        department = claims.get("department")
        complaint = claims.get("complaint")
        township = claims.get("township")
        _check_claims(role, department, complaint, township)
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from None
    return Principal(name=name, role=role, department=department, complaint=complaint, township=township)


def township_of(value: str) -> Township | None:
    """The gazetteer's township with this id or name."""
    gazetteer = load_gazetteer()
    return gazetteer.by_id(value) or gazetteer.by_name(value)


def _check_claims(role: Role, department: str | None, complaint: str | None, township: str | None = None) -> None:
    if role is Role.handler:
        if not department or department not in load_catalog():
            raise ValueError("a handler token needs a department of the catalog")
    elif department:
        raise ValueError("only handler tokens carry a department")
    if department == TOWNSHIP_ID:
        if not isinstance(township, str) or load_gazetteer().by_id(township) is None:
            raise ValueError("a handler of the township department needs a township of the gazetteer")
    elif township is not None:
        raise ValueError("only handlers of the township department carry a township")
    if role is Role.filer and not complaint:
        raise ValueError("a filer token needs its complaint")
    if role is not Role.filer and complaint:
        raise ValueError("only filer tokens carry a complaint")


def _unauthorized(en: str, zh: str) -> HTTPException:
    return HTTPException(
        status_code=401,
        detail={"error": "unauthorized", "message": en, "message_zh": zh},
        headers={"WWW-Authenticate": 'Bearer realm="complaintline"'},
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Use 'Authorization: Bearer <token>'", "请使用 Authorization: Bearer <令牌>")
    return token.strip()


def principal_dependency(
    secret: str | Callable[[Request], str],
    *,
    optional: bool = False,
    roles: frozenset[Role] | set[Role] | None = None,
) -> Callable[[Request], Principal | None]:
    """A FastAPI dependency resolving the caller's :class:`Principal` from the bearer token.

    ``secret`` is the signing secret or a function of the request returning it. Without a token the dependency
    answers 401 (or gives None when ``optional``); an invalid or expired token is always 401; a valid token whose
    role is not in ``roles`` (when given) is 403.
    """

    async def dependency(request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            if optional:
                return None
            raise _unauthorized("A bearer token is required", "需要登录令牌（Bearer）")
        key = secret(request) if callable(secret) else secret
        try:
            principal = verify_token(key, token)
        except InvalidToken:
            raise _unauthorized("The token is invalid or expired", "令牌无效或已过期") from None
        if roles is not None and principal.role not in roles:
            raise HTTPException(status_code=403, detail={
                "error": "forbidden", "message": "Your role may not use this", "message_zh": "您的角色无权使用此功能",
            })
        return principal

    return dependency


# --- command line ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.auth", description="Issue bearer tokens for staff.")
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="print a signed token")
    issue.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.filer])
    issue.add_argument("--name", required=True, help=f"the user's name (token subject), at most {NAME_MAX} characters")
    issue.add_argument("--department", help="department id of the catalog (handlers only)")
    issue.add_argument("--township", help="乡镇/街道 of the gazetteer, by id or name (township handlers only)")
    issue.add_argument("--days", type=float, default=30.0, help="validity in days (default 30)")
    args = parser.parse_args(argv)

    from shared.settings import CommonSettings

    settings = CommonSettings()
    clock.set_offset(timedelta(seconds=settings.clock_offset_seconds))
    township = township_of(args.township) if args.township else None
    if args.township and township is None:
        names = ", ".join(f"{t.id} ({t.name})" for t in load_gazetteer().townships)
        print(f"error: {args.township!r} is not a township of the gazetteer (townships: {names})", file=sys.stderr)
        return 2
    try:
        token = issue_token(
            settings.auth_secret, role=args.role, name=args.name, department=args.department,
            township=township.id if township else None, ttl=timedelta(days=args.days),
        )
    except InvalidName as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        ids = ", ".join(load_catalog().ids)
        print(f"error: {exc} (departments: {ids})", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
