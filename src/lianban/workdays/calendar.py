"""Working days in China, as pure functions over a :class:`Calendar`.

Rules (行政许可法 第八十二条; 操作规程 第十四至十七条): time limits count working days; public
holidays are not working days and the make-up working days (调休) announced by the State
Council are. The day of the event is not counted: the first day counted is the next working
day.  A year that neither the library nor the administrator's table knows is computed on
weekends alone, and every answer touching it is flagged ``provisional`` — never an error,
because a clock must always have a due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar

MAX_DAYS = 3660  # ten years of working days: any larger limit is a data error


@dataclass(frozen=True)
class WorkdayResult:
    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class Count:
    days: int
    provisional: bool


@dataclass(frozen=True)
class Calendar:
    """Holidays and make-up working days, and the years whose schedule is known."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_provisional(self, day: dt.date) -> bool:
        return day.year not in self.known_years

    def with_overrides(
        self, *, holidays: set[dt.date], workdays: set[dt.date], published_years: set[int]
    ) -> Calendar:
        """This calendar with an administrator's corrections on top: an override wins over
        the library for its day, and a year the administrator published becomes known."""
        return Calendar(
            holidays=frozenset((self.holidays - workdays) | holidays),
            workdays=frozenset((self.workdays - holidays) | workdays),
            known_years=self.known_years | frozenset(published_years),
        )


@lru_cache(maxsize=1)
def library_calendar() -> Calendar:
    """The schedule shipped with the chinese-calendar library."""
    known = set()
    for year in range(2004, dt.date.today().year + 3):
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            continue
        known.add(year)
    return Calendar(
        holidays=frozenset(d for d in chinese_calendar.holidays if d.year in known),
        workdays=frozenset(d for d in chinese_calendar.workdays if d.year in known),
        known_years=frozenset(known),
    )


def add_workdays(start: dt.date, days: int, calendar: Calendar) -> WorkdayResult:
    """The date on which a limit of ``days`` working days, starting on ``start``, ends.

    ``start`` itself is not counted. Zero days is the start date itself (an on-the-spot
    limit, 即办)."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days > MAX_DAYS:
        raise ValueError(f"days must be at most {MAX_DAYS}")
    provisional = calendar.is_provisional(start) if days == 0 else False
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
        provisional = provisional or calendar.is_provisional(day)
    return WorkdayResult(day, provisional)


def count_workdays(start: dt.date, end: dt.date, calendar: Calendar) -> Count:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    if end <= start:
        return Count(0, False)
    if (end - start).days > MAX_DAYS * 2:
        raise ValueError("the range is too long")
    count = 0
    provisional = False
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
        provisional = provisional or calendar.is_provisional(day)
    return Count(count, provisional)


def workdays_left(today: dt.date, due: dt.date, calendar: Calendar) -> int:
    """Working days from today until a due date: 0 when due today, negative when past due
    (the number of working days overdue)."""
    if due >= today:
        return count_workdays(today, due, calendar).days
    return -count_workdays(due, today, calendar).days
