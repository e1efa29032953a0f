"""Reading the working-day calendar in force: the library plus the override table."""

from __future__ import annotations

import datetime as dt
import threading
import time

from lianban.workdays import calendar as cal
from lianban.workdays.models import CalendarOverride, PublishedYear

# Overrides change a few times a year; every clock reads them. A short per-process cache
# keeps clock arithmetic free of queries; writes clear it at once in the writing process,
# and other processes pick the change up within CACHE_SECONDS.
CACHE_SECONDS = 30.0
_lock = threading.Lock()
_cached: tuple[float, cal.Calendar] | None = None


def current_calendar() -> cal.Calendar:
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, kind in CalendarOverride.objects.values_list("date", "kind"):
        (holidays if kind == CalendarOverride.Kind.HOLIDAY else workdays).add(day)
    years = set(PublishedYear.objects.values_list("year", flat=True))
    calendar = cal.library_calendar().with_overrides(
        holidays=holidays, workdays=workdays, published_years=years
    )
    with _lock:
        _cached = (time.monotonic(), calendar)
    return calendar


def clear_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def add_workdays(start: dt.date, days: int) -> cal.WorkdayResult:
    return cal.add_workdays(start, days, current_calendar())


def count_workdays(start: dt.date, end: dt.date) -> cal.Count:
    return cal.count_workdays(start, end, current_calendar())


def workdays_left(today: dt.date, due: dt.date) -> int:
    return cal.workdays_left(today, due, current_calendar())


def light(today: dt.date, due: dt.date) -> str:
    """The one rule for every clock's light: yellow with one working day or less left, red
    once past due, green otherwise."""
    left = workdays_left(today, due)
    if left < 0:
        return "red"
    return "yellow" if left <= 1 else "green"
