"""Figures of the router by slice of a labelled set, and the misplacements that recur.

Where a complaint *lands* is what a person sees: its lead department, or the center when it goes to the triage
queue (the center's dispatchers place it). Each slice reports how many land with their labelled owner, how many
are placed with a wrong department (a triaged complaint is not wrong, only slower) and how many go to triage.
Slices are taken from the labels the file carries: ``in_catalog`` (matters a department of the catalog owns vs
matters the center only coordinates), ``confidence`` (``sure`` / ``unsure`` labels), ``financial_service``, and
the length of the text (long messages tell a story around the request).
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable, Sequence

from shared.catalog import CENTER_ID

#: a text at least this long (characters of title and text) is a long message
LONG_TEXT = 200


def landing(decision) -> str:
    """The department a complaint lands with: the lead, or the center for the triage queue."""
    return CENTER_ID if decision.triage else decision.department


def _is_long(row: dict) -> bool:
    return len(row.get("title") or "") + len(row.get("text") or "") >= LONG_TEXT


def _slices(rows: Sequence[dict]) -> list[tuple[str, Callable[[dict], bool]]]:
    out: list[tuple[str, Callable[[dict], bool]]] = [("all", lambda r: True)]
    has = lambda key: any(key in r for r in rows)  # noqa: E731 - a one-line predicate
    if has("confidence"):
        out.append(("sure labels", lambda r: r.get("confidence") == "sure"))
        out.append(("unsure labels", lambda r: r.get("confidence") == "unsure"))
    if has("in_catalog"):
        out.append(("in catalog", lambda r: r.get("in_catalog") is True))
        out.append(("not in catalog (center coordinates)", lambda r: r.get("in_catalog") is False))
        if has("confidence"):
            out.append(("in catalog, sure", lambda r: r.get("in_catalog") is True and r.get("confidence") == "sure"))
            out.append(("not in catalog, sure",
                        lambda r: r.get("in_catalog") is False and r.get("confidence") == "sure"))
    if has("financial_service"):
        out.append(("financial service", lambda r: r.get("financial_service") is True))
        out.append(("not financial service", lambda r: r.get("financial_service") is False))
    out.append((f"long (≥ {LONG_TEXT} characters)", _is_long))
    out.append((f"short (< {LONG_TEXT} characters)", lambda r: not _is_long(r)))
    return out


def slice_figures(rows: Sequence[dict], decisions: Sequence) -> list[dict]:
    """One line per slice that has labelled complaints: n, landed with the owner, wrong department, triage."""
    labelled = [(r, d) for r, d in zip(rows, decisions) if r.get("department")]
    table = []
    for name, keep in _slices([r for r, _ in labelled]):
        sel = [(r, d) for r, d in labelled if keep(r)]
        if not sel:
            continue
        n = len(sel)
        landed = sum(landing(d) == r["department"] for r, d in sel)
        wrong = sum(not d.triage and d.department != r["department"] for r, d in sel)
        triage = sum(d.triage for _, d in sel)
        line = {"slice": name, "n": n, "landed": round(landed / n, 4), "wrong_department": round(wrong / n, 4),
                "triage": round(triage / n, 4)}
        center_owned = [(r, d) for r, d in sel if r["department"] == CENTER_ID]
        if center_owned and len(center_owned) == n:
            line["sent_to_a_department"] = round(sum(landing(d) != CENTER_ID for _, d in sel) / n, 4)
        table.append(line)
    return table


def confusion(rows: Iterable[dict], decisions: Iterable, top: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (labelled owner, where it landed) pairs among complaints that did not land with the owner."""
    pairs = Counter(
        (r["department"], landing(d)) for r, d in zip(rows, decisions)
        if r.get("department") and landing(d) != r["department"]
    )
    return [(gold, got, n) for (gold, got), n in pairs.most_common(top)]


def print_slices(rows: Sequence[dict], decisions: Sequence, file) -> None:
    print("== by slice (landed: with the labelled owner, triage counting as the center)", file=file)
    for line in slice_figures(rows, decisions):
        extra = f"  sent to a department {line['sent_to_a_department']:.3f}" if "sent_to_a_department" in line else ""
        print(f"  {line['slice']:<38} n={line['n']:<4} landed {line['landed']:.3f}  "
              f"wrong {line['wrong_department']:.3f}  triage {line['triage']:.3f}{extra}", file=file)
    table = confusion(rows, decisions)
    if table:
        print("== most frequent misplacements (labelled owner -> landed with: count)", file=file)
        for gold, got, n in table:
            print(f"  {gold} -> {got}: {n}", file=file)
