"""Process setup for every entry point: logging (one line per record, level from the settings), the clock and the
process's CPU priority; and the access log's redaction of secrets a URL may carry (Open311's ``api_key``, the filer's
access token ``t`` of a private tracking link)."""

from __future__ import annotations

import logging
import os
import re
from datetime import timedelta

from shared import clock
from shared.settings import CommonSettings


#: Query parameters whose values are secrets: the Open311 standard puts a partner's ``api_key`` in the query string, a
#: private tracking link (``/track/<number>?t=…``) the filer's access token.
_SECRET_PARAMETER = re.compile(r"(?i)((?:^|[?&])(?:api_key|t)=)[^&#\s]*")


def redact(text: str) -> str:
    return _SECRET_PARAMETER.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites the secrets of a URL in an access log record (uvicorn's arguments: client, method, path, …)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Install ``RedactSecrets`` on uvicorn's access logger (once; it stays through uvicorn's logging setup)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    redact_access_log()


def prepare_process(settings: CommonSettings) -> None:
    setup_logging(settings.log_level)
    if settings.clock_offset_seconds:
        clock.set_offset(timedelta(seconds=settings.clock_offset_seconds))
        logging.getLogger("complaints").warning(
            "this process's clock is shifted by %s s (CLOCK_OFFSET_SECONDS)", settings.clock_offset_seconds
        )
    if settings.process_niceness:
        niceness = os.nice(settings.process_niceness)
        logging.getLogger("complaints").info("this process runs at niceness %d (PROCESS_NICENESS)", niceness)
