"""Answer one deadline question from the command line.

    python -m services.sla.deadline --policy financial_service --received 2026-09-30T17:30:00+08:00
    answer	2026-10-14T00:00:00+08:00

Prints one line per milestone of the policy: ``milestone<TAB>due instant`` (ISO 8601, +08:00; the due instant is the
end of the last day, i.e. 00:00 of the following day). ``--difficult`` applies the difficult (疑难) limits.
When the answer depends on a year without holiday data, a ``WARNING:`` line per guessed year goes to stderr (the
answer is still printed; ``--strict`` makes that exit with status 3 instead). Bad input exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime

from services.sla.domain.deadlines import NaiveDatetimeError, milestone_deadlines, to_shanghai
from services.sla.domain.policies import load_policies
from services.sla.domain.policy_model import PolicyError
from shared.calendar import CalendarDataError, WorkingCalendar

EXIT_BAD_INPUT = 2
EXIT_GUESSED = 3


def _parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; give the instant with its offset, e.g. 2026-09-30T17:30:00+08:00"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.sla.deadline",
        description="Due instant of each milestone of an SLA policy for a complaint received at a given instant "
        "(Civil Code arts. 201-203, Asia/Shanghai working-day calendar).",
    )
    parser.add_argument("--policy", required=True, help="policy name, e.g. standard, financial_service, guizhou, shanxi")
    parser.add_argument("--received", required=True, type=_parse_instant,
                        help="received instant, ISO 8601 with UTC offset, e.g. 2026-09-30T17:30:00+08:00")
    parser.add_argument("--difficult", action="store_true", help="the complaint is marked difficult (疑难)")
    parser.add_argument("--policies", metavar="PATH", help="policy file (default: shared/data/sla_policies.json)")
    parser.add_argument("--calendar-overrides", metavar="PATH",
                        help="calendar override file (default: shared/data/calendar_overrides.json)")
    parser.add_argument("--strict", action="store_true",
                        help=f"exit with status {EXIT_GUESSED} when the answer relies on guessed holiday data")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The warnings are printed below as WARNING lines; keep the logging copy from reaching stderr a second time.
    calendar_log = logging.getLogger("complaints.calendar")
    calendar_log.addHandler(logging.NullHandler())
    calendar_log.propagate = False
    try:
        store = load_policies(args.policies)
        policy = store.get(args.policy)
        calendar = WorkingCalendar.load(args.calendar_overrides)
        results = milestone_deadlines(policy, args.received, calendar, difficult=args.difficult)
    except (PolicyError, CalendarDataError, NaiveDatetimeError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    warnings: list[str] = []
    for milestone, due in results:
        print(f"{milestone.name}\t{to_shanghai(due.due_at).isoformat()}")
        warnings.extend(w for w in due.calendar_warnings if w not in warnings)
    for line in warnings:
        print(f"WARNING: {line}", file=sys.stderr)
    if warnings and args.strict:
        return EXIT_GUESSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
