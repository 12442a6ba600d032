"""The one small interface every SMS provider sits behind, the local provider of the embedded default, and the choice
of provider by settings (``SMS_PROVIDER``).

A provider sends one message and returns its id for it, or raises ``SmsFailed`` with the provider's error code
(never its message text, which may quote the number). Alibaba Cloud and Tencent Cloud take the registered template's
code and its values; the local provider writes the rendered text to a file so a user trying the product sees what
a filer would receive.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from services.intake.notify import texts
from services.intake.schemas import mask_mobile
from shared.calendar import SHANGHAI
from shared.catalog import county_name
from shared.settings import IntakeSettings


@dataclass(frozen=True)
class OutgoingSms:
    #: E.164 (+8613812345678).
    phone: str
    template: str
    params: dict[str, str]
    sign_name: str
    #: The provider's code of the template (empty for the local provider).
    template_code: str = ""
    #: An id of this message of ours, which the provider echoes in delivery reports: the sender's is
    #: ``sms-<row id>-<try>``, so a report leads back to the row and the try.
    reference: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def text(self) -> str:
        return texts.render(self.template, self.params, self.sign_name)


class SmsFailed(Exception):
    """The provider did not take the message; ``code`` is its error code (or the exception's class)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code[:80]


class SmsProvider(Protocol):
    name: str

    async def send(self, message: OutgoingSms, now: datetime) -> str:
        """Send ``message``; the provider's id for it. Raises ``SmsFailed``."""


class LocalFileProvider:
    """Appends each message to a file (``SMS_LOCAL_PATH``, ``./var/sms.txt``): the time, the number masked as lists
    show it, and the text the filer's phone would show."""

    name = "local"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    async def send(self, message: OutgoingSms, now: datetime) -> str:
        at = now.astimezone(SHANGHAI).isoformat(timespec="seconds")
        self._append(f"{at}\t{mask_mobile(message.phone)}\t{message.text}\n")
        return message.reference

    def _append(self, line: str) -> None:
        """One short line appended to a local file, on the event loop as a log line is: handing it to a thread would
        cost more than the write. The folder is made when it is missing (at the first message, or after a user
        cleared it)."""
        try:
            out = self.path.open("a", encoding="utf-8")
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            out = self.path.open("a", encoding="utf-8")
        with out:
            out.write(line)


def sign_name(settings: IntakeSettings) -> str:
    """The line's name every message is signed with: ``SMS_SIGN_NAME``, else ``<county>12345``."""
    return settings.sms_sign_name or f"{county_name()}12345"


def credential(name: str) -> str:
    """A provider credential from the environment; refusing to start without it."""
    value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"refusing to start: SMS_PROVIDER needs {name} in the environment")
    return value
