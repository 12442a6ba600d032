"""Process setup for every entry point: logging (one line per record, level from the settings), the clock and the
process's CPU priority."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from shared import clock
from shared.settings import CommonSettings


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)


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
