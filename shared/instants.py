"""Instants people and programs pass as parameters: a value without an offset is Asia/Shanghai time (the county's
clock), and only instants within the product's range are accepted — anything else is a field error, never a 500.

Use ``LocalInstant`` as the type of a query parameter or body field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from shared.calendar import SHANGHAI
from shared.problems import field_error

#: The range of instants the product reasons about (deadlines, periods, filters).
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)
LATEST = datetime(2100, 1, 1, tzinfo=SHANGHAI)


def local_instant(value: datetime) -> datetime:
    """``value`` made aware (no offset: Asia/Shanghai) and checked against the range."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    if not EARLIEST <= value < LATEST:
        raise field_error(
            "datetime_out_of_range", f"Must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}",
            f"时间应在 {EARLIEST:%Y-%m-%d} 至 {LATEST:%Y-%m-%d} 之间",
        )
    return value


LocalInstant = Annotated[datetime, AfterValidator(local_instant)]
