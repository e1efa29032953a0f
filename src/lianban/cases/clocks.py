"""Statutory clocks, stored and moved rather than recomputed.

- Start: the day of the event is not counted; the due date is ``limit`` working days later.
- Pause (行政许可法 第四十五条): the day the clock stops counts; the working days after it up
  to and including the day it restarts do not, so the due date moves by exactly those.
- Extension (第四十二条): the due date moves by the extension's working days.
- Lights: yellow when one working day or less is left, red when past due.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lianban.cases.models import Clock, ItemCase
from lianban.workdays.selectors import add_workdays, count_workdays
from lianban.workdays.selectors import light as workday_light


def start(case: ItemCase, kind: str, limit_days: int, today: dt.date) -> Clock:
    due = add_workdays(today, limit_days)
    clock, _ = Clock.objects.update_or_create(
        case=case,
        kind=kind,
        defaults={
            "started_on": today,
            "limit_days": limit_days,
            "due": due.date,
            "provisional": due.provisional,
            "paused_on": None,
            "paused_days": 0,
            "extended_days": 0,
            "stopped_at": None,
            "met": None,
        },
    )
    _show(case, clock.due)
    return clock


def opened(case: ItemCase, kind: str, limit_days: int, today: dt.date) -> Clock:
    """The clock :func:`start` would start, for a case made in the same step and not yet
    saved: the case shows the due date, and the caller inserts the step's clocks together
    once the cases have their ids."""
    due = add_workdays(today, limit_days)
    case.running_due = due.date
    return Clock(
        case=case,
        kind=kind,
        started_on=today,
        limit_days=limit_days,
        due=due.date,
        provisional=due.provisional,
    )


def _show(case: ItemCase, due: dt.date | None) -> None:
    ItemCase.objects.filter(pk=case.pk).update(running_due=due)
    case.running_due = due


def stop(clock: Clock) -> Clock:
    now = timezone.now()
    clock.stopped_at = now
    clock.met = timezone.localdate(now) <= clock.due
    clock.save(update_fields=["stopped_at", "met"])
    _show(clock.case, None)
    return clock


def pause(clock: Clock, today: dt.date) -> Clock:
    clock.paused_on = today
    clock.save(update_fields=["paused_on"])
    return clock


def resume(clock: Clock, today: dt.date) -> int:
    """Restart a paused clock; returns the working days that did not count."""
    assert clock.paused_on is not None
    skipped = count_workdays(clock.paused_on, today)
    moved = add_workdays(clock.due, skipped.days)
    clock.due = moved.date
    clock.provisional = clock.provisional or moved.provisional or skipped.provisional
    clock.paused_days += skipped.days
    clock.paused_on = None
    clock.save(update_fields=["due", "provisional", "paused_days", "paused_on"])
    _show(clock.case, clock.due)
    return skipped.days


def extend(clock: Clock, days: int) -> Clock:
    moved = add_workdays(clock.due, days)
    clock.due = moved.date
    clock.provisional = clock.provisional or moved.provisional
    clock.extended_days += days
    clock.save(update_fields=["due", "provisional", "extended_days"])
    _show(clock.case, clock.due)
    return clock


def light(clock: Clock | None, today: dt.date) -> str:
    """'' (no running clock), 'paused', 'green', 'yellow' or 'red'."""
    if clock is None or clock.stopped_at is not None:
        return ""
    if clock.paused_on is not None:
        return "paused"
    return workday_light(today, clock.due)
