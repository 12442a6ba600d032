"""What every server-rendered page shares: the Jinja2 environment, the security headers, the staff session and the
CSRF token of its forms.

- **Templates** are Jinja2 files, autoescaped: every value is escaped as it is put in, and no page is built in Python.
- **Security headers** (:class:`PageHeaders`) on every HTML answer: a Content-Security-Policy that allows scripts,
  styles, images and form targets from the page's own host only (no inline script or event handler runs), no
  framing, no referrer (a private tracking link never leaves in a ``Referer``), no caching of pages that may hold a
  complaint.
- **The staff session** is a cookie, HttpOnly and SameSite=Strict, holding the staff token a person logged in with,
  the moment they did and a random session id, signed with the token secret (:class:`Sessions`). It expires after
  ``lifetime`` whatever the token says, and logging out clears it.
- **CSRF**: every form of a page carries a token derived from its session id (:meth:`Sessions.csrf_token`); a form
  posted without it, or with another session's, is refused before anything is read or changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import clock

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
PAGE_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
)


def templates(directory: Path) -> Jinja2Templates:
    """The Jinja2 templates of ``directory``, autoescaped (``.html`` files, as Starlette configures Jinja2)."""
    return Jinja2Templates(directory=str(directory))


class PageHeaders:
    """ASGI middleware: the security headers above on every ``text/html`` answer that does not set its own — under
    ``paths`` only, when given (the pages of one app, and not, say, the API documentation it also serves)."""

    def __init__(self, app: ASGIApp, paths: tuple[str, ...] | None = None) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.paths is not None and not scope["path"].startswith(self.paths)):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _value in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers.extend(header for header in PAGE_HEADERS if header[0] not in names)
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class Session:
    """A logged-in person: the staff token they entered, when, and the session's random id."""

    token: str
    started_at: datetime
    session_id: str


class Sessions:
    """Signed staff sessions in a cookie (see the module's docstring)."""

    def __init__(self, secret: str, *, cookie: str, path: str, lifetime: timedelta = timedelta(hours=8)) -> None:
        self._key = hashlib.sha256(b"page-session\0" + secret.encode()).digest()
        self.cookie = cookie
        self.path = path
        self.lifetime = lifetime

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def encode(self, token: str, now: datetime | None = None) -> str:
        """A new session's cookie value for ``token``."""
        started = (now or clock.now()).timestamp()
        payload = json.dumps({"t": token, "s": int(started), "i": secrets.token_urlsafe(16)}).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._sign(payload)

    def decode(self, value: str | None, now: datetime | None = None) -> Session | None:
        """The session of a cookie value; None when absent, altered or expired."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            return None
        if not hmac.compare_digest(self._sign(payload), signature):
            return None
        data: dict[str, Any] = json.loads(payload)
        started = datetime.fromtimestamp(data["s"], tz=clock.now().tzinfo)
        if (now or clock.now()) - started > self.lifetime:
            return None
        return Session(token=data["t"], started_at=started, session_id=data["i"])

    def csrf_token(self, session: Session) -> str:
        """The token every form of ``session``'s pages carries."""
        return self._sign(b"csrf\0" + session.session_id.encode())

    def csrf_valid(self, session: Session | None, submitted: str | None) -> bool:
        """Whether a form posted in ``session`` carries its own CSRF token."""
        return session is not None and bool(submitted) and hmac.compare_digest(self.csrf_token(session), submitted)

    def cookie_options(self) -> dict[str, Any]:
        """Arguments of ``Response.set_cookie`` for this session cookie (besides its value)."""
        return {"httponly": True, "samesite": "strict", "path": self.path,
                "max_age": int(self.lifetime.total_seconds())}
