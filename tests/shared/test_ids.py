"""New rows and events get time-ordered ids (UUID version 7, ``shared.ids``): made one after another, they sort one
after another, and so go to the right edge of the indexes that hold them."""

from __future__ import annotations

import time
import uuid

from shared.ids import new_id


def test_ids_are_version_7_and_sort_in_the_order_they_were_made():
    made = []
    for _ in range(3):
        made.append(new_id())
        time.sleep(0.002)
    assert [uuid.UUID(i).version for i in made] == [7, 7, 7]
    assert made == sorted(made) and len(set(made)) == 3
    assert all(str(uuid.UUID(i)) == i for i in made)  # the usual text form
