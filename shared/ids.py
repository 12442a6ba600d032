"""Ids of new rows and events: UUIDs that begin with the time they were made (version 7, RFC 9562).

Ids made one after another sort one after another, so a table's new rows and an outbox's new events go to the right
edge of the indexes that hold their ids (the complaint's key, and the key columns of its contact, history lines, SMS
and events). Random (version 4) ids sent each insert to a random page of every such index: as the tables grew, each
filing touched pages no other filing near it did, and the database's work per filing grew with them
(``bench/RESULTS.md``). 74 bits of each id stay random: an id is not guessed, and it opens nothing by itself.
"""

from __future__ import annotations

import uuid_utils


def new_id() -> str:
    """A new time-ordered id, in the usual text form (``0193c5e2-7b1a-7c3e-9f21-…``)."""
    return str(uuid_utils.uuid7())
