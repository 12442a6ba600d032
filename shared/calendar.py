"""The working-day calendar of mainland China (Asia/Shanghai), for deadline arithmetic.

A date is a *working day* when government offices work on it: Monday to Friday unless it is a statutory holiday
(法定节假日, including the days moved into a holiday block), plus the adjusted working days (调休) that the State
Council's annual notice (国务院办公厅关于某年部分节假日安排的通知) puts on a Saturday or Sunday. Every other date is a
*rest day* (休息日).

Where the data comes from, in order of precedence:

1. ``shared/data/calendar_overrides.json`` (or another file passed to :meth:`WorkingCalendar.load`): whole years of
   holiday / adjusted-working-day data, each year with the source it was transcribed from. A year in this file
   replaces the library's data for that year, so it serves both for years the library does not know yet and for
   corrections.
2. The ``chinese-calendar`` library (1.11.0 knows 2004–2026).
3. Nothing: a date in a year neither source covers is *guessed*: Monday–Friday working, except the statutory holidays
   whose date is fixed by the 全国年节及纪念日放假办法 (as revised in 2024: 元旦 1 Jan, 劳动节 1–2 May, 国庆节
   1–3 Oct). The lunar holidays and the year's 调休 days are unknown until the State Council's notice, so the guess
   is wrong around them and it is never silent: each guess is logged with ``logging.warning`` on the
   ``complaints.calendar`` logger, and the ``trace_*`` methods return the guessed dates so that callers can attach
   them to their results (see :func:`describe_guesses`). Add the year to the override file to remove the warning.

Dates here are plain :class:`datetime.date` values, meant as local dates in Asia/Shanghai (:data:`SHANGHAI`);
converting an instant to its local date is the caller's job. Passing a ``datetime`` raises ``TypeError`` so that a
UTC instant is never silently read as a Shanghai date. The module is pure: no clock, no I/O except loading the file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from chinese_calendar import constants as _cc

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_OVERRIDES_PATH = DATA_DIR / "calendar_overrides.json"
OVERRIDES_FORMAT = 1

#: Logger for every guessed date (and nothing else).
log = logging.getLogger("complaints.calendar")

_ONE_DAY = timedelta(days=1)
#: No real calendar has this many consecutive rest days; hitting it means the data is broken.
_MAX_REST_RUN = 60

SOURCE_LIBRARY = "chinese-calendar"
SOURCE_OVERRIDE = "override"
SOURCE_GUESS = "guess:weekends-and-fixed-date-holidays"

#: Statutory holidays with a fixed Gregorian date (全国年节及纪念日放假办法, 2024 revision, art. 2), known for any year.
FIXED_DATE_HOLIDAYS: dict[tuple[int, int], str] = {
    (1, 1): "New Year's Day",
    (5, 1): "Labour Day",
    (5, 2): "Labour Day",
    (10, 1): "National Day",
    (10, 2): "National Day",
    (10, 3): "National Day",
}


class CalendarDataError(ValueError):
    """The override file is malformed."""


@dataclass(frozen=True)
class DayInfo:
    """What the calendar knows about one date."""

    date: date
    working: bool
    statutory_holiday: bool  # inside a statutory holiday block (法定节假日 and the days moved into it)
    known: bool  # False = guessed (weekends and fixed-date holidays only)
    source: str  # SOURCE_LIBRARY | "override:<year>" | SOURCE_GUESS
    name: str | None = None  # holiday name, or the holiday an adjusted working day belongs to

    @property
    def rest(self) -> bool:
        return not self.working


@dataclass(frozen=True)
class OverrideYear:
    """One year of holiday data from the override file."""

    year: int
    source: str
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)


class Traced(NamedTuple):
    """A calendar result plus the dates on the way that had to be guessed (empty when all were known)."""

    date: date
    guessed: tuple[date, ...]


def _check_date(d: object) -> date:
    if isinstance(d, datetime):
        raise TypeError("pass a local date (Asia/Shanghai), not a datetime; use dt.astimezone(SHANGHAI).date()")
    if not isinstance(d, date):
        raise TypeError(f"expected datetime.date, got {type(d).__name__}")
    return d


def describe_guesses(guessed: Iterable[date], calendar: WorkingCalendar | None = None) -> tuple[str, ...]:
    """Human-readable warnings for guessed dates: one line per uncovered year, naming the dates used."""
    by_year: dict[int, list[date]] = {}
    for d in sorted(set(guessed)):
        by_year.setdefault(d.year, []).append(d)
    if not by_year:
        return ()
    known = ""
    if calendar is not None:
        first, last = calendar.known_range()
        known = f" (holiday data covers {first.year}–{last.year})"
    lines = []
    for year, dates in by_year.items():
        span = dates[0].isoformat() if len(dates) == 1 else f"{dates[0].isoformat()}..{dates[-1].isoformat()}"
        lines.append(
            f"no holiday data for {year}{known}: {span} guessed (Mon–Fri working except 元旦, 1–2 May, 1–3 Oct); "
            f"lunar holidays and 调休 days of {year} are not known — add {year} to the calendar override file "
            "from the State Council's 节假日安排 notice"
        )
    return tuple(lines)


class WorkingCalendar:
    """Working days and rest days in Asia/Shanghai, from chinese-calendar plus an override file."""

    def __init__(self, overrides: Mapping[int, OverrideYear] | Iterable[OverrideYear] = ()):
        if isinstance(overrides, Mapping):
            overrides = overrides.values()
        self._overrides: dict[int, OverrideYear] = {o.year: o for o in overrides}
        self._ov_holidays: dict[date, tuple[int, str]] = {}
        self._ov_workdays: dict[date, tuple[int, str]] = {}
        for o in self._overrides.values():
            for d, name in o.holidays.items():
                self._ov_holidays[d] = (o.year, name)
            for d, name in o.workdays.items():
                self._ov_workdays[d] = (o.year, name)
        self._lib_holidays: Mapping[date, object] = _cc.holidays
        self._lib_workdays: Mapping[date, object] = _cc.workdays
        self._lib_years = range(min(_cc.holidays).year, max(_cc.holidays).year + 1)

    # -- construction --------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, override_path: str | Path | None = None) -> WorkingCalendar:
        """The calendar with the override file at ``override_path`` (default: shared/data/calendar_overrides.json).

        A missing default file means "no overrides"; a missing explicit path is an error.
        """
        path = Path(override_path) if override_path is not None else DEFAULT_OVERRIDES_PATH
        if not path.exists():
            if override_path is None:
                return cls()
            raise FileNotFoundError(f"calendar override file not found: {path}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CalendarDataError(f"{path}: not valid JSON: {exc}") from exc
        return cls(parse_overrides(raw, origin=str(path)))

    # -- coverage ------------------------------------------------------------------------------------------------

    def covered_years(self) -> tuple[int, ...]:
        return tuple(sorted(set(self._lib_years) | set(self._overrides)))

    def covers(self, d: date) -> bool:
        """True when the calendar has real (non-guessed) data for ``d``."""
        d = _check_date(d)
        return d.year in self._overrides or d.year in self._lib_years

    def known_range(self) -> tuple[date, date]:
        """First and last date of the contiguous run of covered years that starts with the library's first year.

        An override year that is not adjacent to that run is still covered (see :meth:`covers`) but not included.
        """
        first = self._lib_years.start
        last = self._lib_years.stop - 1
        while last + 1 in self._overrides:
            last += 1
        return date(first, 1, 1), date(last, 12, 31)

    # -- single days ---------------------------------------------------------------------------------------------

    def day(self, d: date) -> DayInfo:
        """Everything known about ``d``, without logging (a guess is marked ``known=False``)."""
        d = _check_date(d)
        if d in self._ov_workdays:
            year, name = self._ov_workdays[d]
            return DayInfo(d, True, False, True, f"override:{year}", name)
        if d in self._ov_holidays:
            year, name = self._ov_holidays[d]
            return DayInfo(d, False, True, True, f"override:{year}", name)
        weekday = d.weekday() < 5
        if d.year in self._overrides:
            return DayInfo(d, weekday, False, True, f"override:{d.year}")
        if d.year in self._lib_years:
            if d in self._lib_workdays:
                return DayInfo(d, True, False, True, SOURCE_LIBRARY, str(self._lib_workdays[d]))
            if d in self._lib_holidays:
                return DayInfo(d, False, True, True, SOURCE_LIBRARY, str(self._lib_holidays[d]))
            return DayInfo(d, weekday, False, True, SOURCE_LIBRARY)
        fixed = FIXED_DATE_HOLIDAYS.get((d.month, d.day))
        if fixed:
            return DayInfo(d, False, True, False, SOURCE_GUESS, fixed)
        return DayInfo(d, weekday, False, False, SOURCE_GUESS)

    def is_working_day(self, d: date) -> bool:
        info = self.day(d)
        self._warn_guessed((d,) if not info.known else ())
        return info.working

    def is_rest_day(self, d: date) -> bool:
        """Rest day (休息日): a statutory holiday or a weekend day that is not an adjusted working day."""
        return not self.is_working_day(d)

    def is_statutory_holiday(self, d: date) -> bool:
        info = self.day(d)
        self._warn_guessed((d,) if not info.known else ())
        return info.statutory_holiday

    # -- walking -------------------------------------------------------------------------------------------------

    def trace_next_working_day(self, d: date, *, inclusive: bool = False) -> Traced:
        """The first working day after ``d`` (on or after it when ``inclusive``), with the guessed dates seen."""
        return self._trace_working_day(d, _ONE_DAY, inclusive, "after")

    def trace_previous_working_day(self, d: date, *, inclusive: bool = False) -> Traced:
        """The last working day before ``d`` (on or before it when ``inclusive``), with the guessed dates seen."""
        return self._trace_working_day(d, -_ONE_DAY, inclusive, "before")

    def _trace_working_day(self, d: date, step: timedelta, inclusive: bool, direction: str) -> Traced:
        """The nearest working day from ``d`` walking by ``step`` (``d`` itself when ``inclusive``)."""
        d = _check_date(d)
        guessed: list[date] = []
        current = d if inclusive else d + step
        for _ in range(_MAX_REST_RUN + 1):
            info = self.day(current)
            if not info.known:
                guessed.append(current)
            if info.working:
                return Traced(current, tuple(guessed))
            current += step
        raise CalendarDataError(f"no working day within {_MAX_REST_RUN} days {direction} {d}: check the holiday data")

    def trace_add_working_days(self, d: date, n: int) -> Traced:
        """The ``n``-th working day counted from the day after ``d`` (``d`` itself when ``n == 0``)."""
        d = _check_date(d)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        guessed: list[date] = []
        current = d
        for _ in range(n):
            step = self.trace_next_working_day(current)
            guessed.extend(step.guessed)
            current = step.date
        return Traced(current, tuple(guessed))

    def next_working_day(self, d: date, *, inclusive: bool = False) -> date:
        result = self.trace_next_working_day(d, inclusive=inclusive)
        self._warn_guessed(result.guessed)
        return result.date

    def previous_working_day(self, d: date, *, inclusive: bool = False) -> date:
        result = self.trace_previous_working_day(d, inclusive=inclusive)
        self._warn_guessed(result.guessed)
        return result.date

    def add_working_days(self, d: date, n: int) -> date:
        result = self.trace_add_working_days(d, n)
        self._warn_guessed(result.guessed)
        return result.date

    # -- warnings ------------------------------------------------------------------------------------------------

    def describe_guesses(self, guessed: Iterable[date]) -> tuple[str, ...]:
        return describe_guesses(guessed, self)

    def _warn_guessed(self, guessed: Iterable[date]) -> tuple[str, ...]:
        lines = self.describe_guesses(guessed)
        for line in lines:
            log.warning("%s", line)
        return lines


def parse_overrides(raw: object, *, origin: str = "calendar overrides") -> list[OverrideYear]:
    """Validate the override file's JSON (see services/sla/DEADLINES.md for the format)."""

    def fail(msg: str) -> CalendarDataError:
        return CalendarDataError(f"{origin}: {msg}")

    if not isinstance(raw, dict):
        raise fail("top level must be an object")
    if raw.get("format") != OVERRIDES_FORMAT:
        raise fail(f'"format" must be {OVERRIDES_FORMAT}')
    years = raw.get("years")
    if not isinstance(years, dict):
        raise fail('"years" must be an object keyed by year ("2027": {...})')
    result: list[OverrideYear] = []
    seen: dict[date, str] = {}
    for key, entry in years.items():
        if not (isinstance(key, str) and len(key) == 4 and key.isdigit()):
            raise fail(f"year key {key!r} must be four digits")
        year = int(key)
        if not isinstance(entry, dict):
            raise fail(f"{key}: must be an object")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise fail(f"{key}: \"source\" is required (the notice the dates were taken from)")
        parsed: dict[str, dict[date, str]] = {}
        for kind in ("holidays", "workdays"):
            items = entry.get(kind, {})
            if not isinstance(items, dict):
                raise fail(f'{key}: "{kind}" must be an object of "YYYY-MM-DD": "name"')
            parsed[kind] = {}
            for text, name in items.items():
                try:
                    d = date.fromisoformat(text)
                except (TypeError, ValueError):
                    raise fail(f"{key}: {kind}: {text!r} is not a YYYY-MM-DD date") from None
                if not isinstance(name, str):
                    raise fail(f"{key}: {kind}: {text}: the value must be the holiday's name")
                if abs(d.year - year) > 1:
                    raise fail(f"{key}: {kind}: {text} is not in or next to {year}")
                if kind == "workdays" and d.weekday() < 5:
                    raise fail(f"{key}: workdays: {text} is a weekday; adjusted working days (调休) fall on weekends")
                if d in seen:
                    raise fail(f"{key}: {text} is listed twice ({seen[d]} and {kind})")
                seen[d] = kind
                parsed[kind][d] = name
        result.append(OverrideYear(year, source.strip(), parsed["holidays"], parsed["workdays"]))
    return result
