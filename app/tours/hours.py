"""Opening hours of a place: a weekly schedule plus exception days, read on Vietnam's clock. Pure: no I/O.

The schedule is `{"mon": [["08:00", "12:00"], ["13:30", "17:30"]], …, "sun": []}`: for each day, the intervals
the place is open, as local wall-clock times ("HH:MM", 24 h). Decisions:

- An interval opens before it closes on the same day, or closes past midnight: `["18:00", "02:00"]` on
  Friday is open Friday 18:00 to Saturday 02:00 (an overnight interval; its close is at most the open time
  of the next day, never more than 24 h). `"24:00"` is accepted as a close ("open until midnight");
  `["00:00", "24:00"]` is open all day. An interval that opens and closes at the same minute is refused.
- Intervals may not overlap, within a day or across midnight (Friday's `18:00–02:00` and Saturday's
  `01:00–09:00` overlap). Intervals that touch (`…–12:00` and `12:00–…`) are fine and read as one.
- An exception day replaces the weekly schedule of its date: closed all day (Tết), or other hours. An
  overnight interval of the day before still runs into it (the night stays open unless that day says so).
- Times are Asia/Ho_Chi_Minh (no daylight saving), and `at` must be an aware datetime.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS = 6  # per day
LOOKAHEAD_DAYS = 60  # how far next_change looks for the next opening (a long closure for Tết included)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")

Interval = tuple[int, int]  # minutes from the day's midnight: open, close (close may pass 1440)


class HoursException(Protocol):
    """What an exception day looks like (PlaceHoursException rows fit)."""

    day: dt.date
    closed: bool
    hours: Any


@dataclass(frozen=True)
class DayException:
    day: dt.date
    closed: bool = True
    hours: Sequence[Sequence[str]] = ()
    note: str = ""


@dataclass(frozen=True)
class Problem:
    """A refusal, with a code the caller translates: `time` (not HH:MM), `empty` (opens and closes at the same
    minute), `overlap`, `too_many`, `shape` (not a list of pairs), `day` (an unknown day key)."""

    code: str
    day: str  # a DAYS key, or "" for a problem that is not about one day
    value: str = ""


class HoursInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(f"{p.day}:{p.code}" for p in problems))
        self.problems = problems


def parse_time(text: Any) -> int | None:
    """`"08:30"` → 510 minutes; `"24:00"` → 1440; anything else → None. `"8:30"` is read as `"08:30"`."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text
    if not _TIME.fullmatch(text):
        return None
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_time(minutes: int) -> str:
    """510 → "08:30"; 1440 → "24:00" (midnight as a close); an overnight close 1560 → "02:00"."""
    if minutes != 1440:
        minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _interval(pair: Any, day: str, problems: list[Problem]) -> Interval | None:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        problems.append(Problem("shape", day))
        return None
    opens, closes = parse_time(pair[0]), parse_time(pair[1])
    if opens is None or opens == 1440 or closes is None:
        bad = pair[0] if opens is None or opens == 1440 else pair[1]
        problems.append(Problem("time", day, str(bad)[:10]))
        return None
    if closes == opens:
        problems.append(Problem("empty", day, f"{pair[0]}–{pair[1]}"))
        return None
    if closes < opens:
        closes += 1440  # overnight: closes the next morning
    return opens, closes


def _day_intervals(raw: Any, day: str, problems: list[Problem]) -> list[Interval]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        problems.append(Problem("shape", day))
        return []
    if len(raw) > MAX_INTERVALS:
        problems.append(Problem("too_many", day))
        return []
    found = [_interval(pair, day, problems) for pair in raw]
    return sorted(item for item in found if item is not None)


def _check_overlaps(week: list[tuple[int, int, str]], problems: list[Problem]) -> None:
    """`week`: (start, end, day) in minutes from Monday 00:00; Sunday's overnight interval wraps to Monday."""
    spans: list[tuple[int, int, str]] = []
    for start, end, day in week:
        if end > 7 * 1440:
            spans.append((start, 7 * 1440, day))
            spans.append((0, end - 7 * 1440, day))
        else:
            spans.append((start, end, day))
    spans.sort()
    reported: set[str] = set()
    for (_s1, e1, _d1), (s2, _e2, d2) in itertools.pairwise(spans):
        if s2 < e1 and d2 not in reported:
            problems.append(Problem("overlap", d2))
            reported.add(d2)


def validate_schedule(raw: Any) -> dict[str, list[list[str]]]:
    """The schedule in its stored shape (every day present, intervals sorted, times as "HH:MM"), or
    HoursInvalid with every problem found."""
    problems: list[Problem] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise HoursInvalid([Problem("shape", "")])
    for key in raw:
        if key not in DAYS:
            problems.append(Problem("day", str(key)[:10]))
    clean: dict[str, list[list[str]]] = {}
    week: list[tuple[int, int, str]] = []
    for index, day in enumerate(DAYS):
        intervals = _day_intervals(raw.get(day), day, problems)
        clean[day] = [[format_time(o), format_time(c)] for o, c in intervals]
        week.extend((index * 1440 + o, index * 1440 + c, day) for o, c in intervals)
    _check_overlaps(week, problems)
    if problems:
        raise HoursInvalid(problems)
    return clean


def validate_day(raw: Any, label: str = "day") -> list[list[str]]:
    """The intervals of one exception day, cleaned (the same rules as a day of the week)."""
    problems: list[Problem] = []
    intervals = _day_intervals(raw, label, problems)
    for (_o1, c1), (o2, _c2) in itertools.pairwise(intervals):
        if o2 < c1:
            problems.append(Problem("overlap", label))
            break
    if problems:
        raise HoursInvalid(problems)
    return [[format_time(o), format_time(c)] for o, c in intervals]


# --- reading the hours at a moment ---


def _stored(raw: Any) -> list[Interval]:
    """Intervals from stored data, skipping anything unreadable (stored data was validated when saved)."""
    problems: list[Problem] = []
    return _day_intervals(raw, "", problems) if isinstance(raw, list | tuple) else []


def _exceptions_by_day(exceptions: Iterable[HoursException]) -> dict[dt.date, HoursException]:
    return {item.day: item for item in exceptions}


def _day_plan(
    schedule: Mapping[str, Any], by_day: Mapping[dt.date, HoursException], day: dt.date
) -> list[Interval]:
    exception = by_day.get(day)
    if exception is not None:
        return [] if exception.closed else _stored(exception.hours)
    return _stored(schedule.get(DAYS[day.weekday()]) if isinstance(schedule, Mapping) else None)


def local(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return at.astimezone(VN_TZ)


def open_periods(
    schedule: Mapping[str, Any], exceptions: Iterable[HoursException], first: dt.date, days: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The open periods (aware, Vietnam time) that touch the days first … first + days - 1, starting with the
    night that runs in from the day before; touching periods are merged."""
    by_day = _exceptions_by_day(exceptions)
    periods: list[tuple[dt.datetime, dt.datetime]] = []
    for offset in range(-1, days):
        day = first + dt.timedelta(days=offset)
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ)
        for opens, closes in _day_plan(schedule, by_day, day):
            periods.append((midnight + dt.timedelta(minutes=opens), midnight + dt.timedelta(minutes=closes)))
    periods.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in periods:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def is_open(schedule: Mapping[str, Any], exceptions: Iterable[HoursException], at: dt.datetime) -> bool:
    now = local(at)
    return any(start <= now < end for start, end in open_periods(schedule, exceptions, now.date(), 1))


@dataclass(frozen=True)
class Status:
    """Open now or not, and when that changes (None: not within LOOKAHEAD_DAYS, or open around the clock)."""

    open_now: bool
    changes_at: dt.datetime | None  # Vietnam time
    today: bool = False  # the change comes today (so "at 17:30" needs no day name)


def next_change(schedule: Mapping[str, Any], exceptions: Iterable[HoursException], at: dt.datetime) -> Status:
    """Whether the place is open at `at`, and the next moment it closes (if open) or opens (if closed)."""
    now = local(at)
    periods = open_periods(schedule, list(exceptions), now.date(), LOOKAHEAD_DAYS)
    horizon = dt.datetime.combine(now.date() + dt.timedelta(days=LOOKAHEAD_DAYS), dt.time(), tzinfo=VN_TZ)
    for start, end in periods:
        if start <= now < end:
            changes = None if end >= horizon else end  # open around the clock: no closing in sight
            return Status(True, changes, changes is not None and changes.date() == now.date())
        if start > now:
            return Status(False, start, start.date() == now.date())
    return Status(False, None)


@dataclass(frozen=True)
class DayHours:
    day: dt.date
    intervals: list[tuple[str, str]]  # ("08:00", "17:30"); a close past midnight reads as "02:00"
    closed: bool  # no interval starts this day
    exception: bool  # an exception day replaced the weekly hours
    note: str = ""


def today_hours(schedule: Mapping[str, Any], exceptions: Iterable[HoursException], day: dt.date) -> DayHours:
    """The hours that start on `day` (an exception's when it has one), to show as "Today: 08:00–17:30"."""
    by_day = _exceptions_by_day(exceptions)
    exception = by_day.get(day)
    plan = _day_plan(schedule, by_day, day)
    return DayHours(
        day=day,
        intervals=[(format_time(o), format_time(c)) for o, c in plan],
        closed=not plan,
        exception=exception is not None,
        note=str(getattr(exception, "note", "") or "") if exception is not None else "",
    )


@dataclass(frozen=True)
class WeekRow:
    key: str  # mon … sun
    intervals: list[tuple[str, str]] = field(default_factory=list)


def week(schedule: Mapping[str, Any]) -> list[WeekRow]:
    """The weekly schedule in day order, for display."""
    source = schedule if isinstance(schedule, Mapping) else {}
    return [
        WeekRow(day, [(format_time(o), format_time(c)) for o, c in _stored(source.get(day))]) for day in DAYS
    ]


def has_hours(schedule: Mapping[str, Any]) -> bool:
    return any(row.intervals for row in week(schedule))
