"""Event schemas: versioned pydantic models carried in a CloudEvents 1.0 JSON envelope.

Every event is keyed by its complaint id (``subject`` and ``partitionkey``), so one complaint's events stay ordered on
one partition. Event ``data`` never carries filer contact details. Each payload class names its CloudEvents ``type``
and the topic of the service that emits it; ``EVENT_TYPES`` maps a type back to its class.

The envelope, the payloads' base and the topics are in ``envelope.py``; the payloads by the service that emits them
in ``intake.py``, ``router.py`` and ``sla.py``. Everything is importable from ``shared.events``, and importing it
defines (and so registers) every payload class.
"""

from __future__ import annotations

from shared.events import envelope, intake, router, sla
from shared.events.envelope import *  # noqa: F403 - the package's names are its modules' __all__
from shared.events.intake import *  # noqa: F403
from shared.events.router import *  # noqa: F403
from shared.events.sla import *  # noqa: F403

__all__ = [*envelope.__all__, *intake.__all__, *router.__all__, *sla.__all__]
