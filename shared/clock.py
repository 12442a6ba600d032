"""The one source of "now" for the services' entry points and loops.

Domain code never reads the clock (``now`` is passed in). Entry points call :func:`now`; a simulation (the demo month)
or a test may shift it with :func:`set_offset` so that days pass in seconds while everything else runs for real.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_offset = timedelta(0)


def now() -> datetime:
    """The current instant, aware, in UTC (shifted by the simulation offset, normally zero)."""
    return datetime.now(timezone.utc) + _offset


def set_offset(offset: timedelta) -> None:
    global _offset
    _offset = offset


def offset() -> timedelta:
    return _offset
