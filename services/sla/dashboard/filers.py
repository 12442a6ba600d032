"""The dashboard's county figures split by who filed: enterprises, citizens (个人) and anonymous hotline callers.

Each kind's figures are the county total (``figures.summarise``) over that kind's complaints and reopenings, so every
column means what it means in the department table. A complaint whose ``complaint.received`` is not in yet counts
nowhere here (its kind is unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.sla.dashboard import figures, views
from services.sla.dashboard.worklists import ReopenedItem
from shared.vocabulary import FILER_KINDS


def by_filer_kind(rows: Sequence[Any], reopened: Sequence[ReopenedItem], **summarise: Any
                  ) -> list[dict[str, Any]]:
    """One entry per kind of filer: ``kind``, its Chinese ``label``, the county total's figures and ``display``."""
    split = []
    for kind, label in FILER_KINDS.items():
        subset = [row for row in rows if row.filer_kind == kind]
        ids = {row.complaint_id for row in subset}
        total = figures.summarise(subset, reopened=[i for i in reopened if i.complaint_id in ids], **summarise).total
        split.append({**total.as_dict(), "kind": kind, "label": label, "display": views.display(total)})
    return split
