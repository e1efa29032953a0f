"""Changing the calendar: each change is audited and takes effect at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from lianban.audit.services import appended_together, record_event
from lianban.workdays.models import CalendarOverride, PublishedYear
from lianban.workdays.selectors import clear_cache


@transaction.atomic
@appended_together()
def override_set(
    *, date: dt.date, kind: str, name: str, source: str = "", actor: Any
) -> CalendarOverride:
    """Declare one day a holiday or a make-up working day, replacing any earlier entry."""
    if kind not in CalendarOverride.Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    old = CalendarOverride.objects.filter(date=date).values("kind", "name").first()
    override, _ = CalendarOverride.objects.update_or_create(
        date=date, defaults={"kind": kind, "name": name, "source": source}
    )
    record_event(
        actor=actor,
        verb="workdays.override_set",
        target=override,
        data={"date": date.isoformat(), "old": old, "new": {"kind": kind, "name": name}},
    )
    transaction.on_commit(clear_cache)
    return override


@transaction.atomic
@appended_together()
def override_delete(*, override: CalendarOverride, actor: Any) -> None:
    """Remove an entry: the day falls back to the library (or to weekends)."""
    record_event(
        actor=actor,
        verb="workdays.override_deleted",
        target=override,
        data={"date": override.date.isoformat(), "kind": override.kind, "name": override.name},
    )
    override.delete()
    transaction.on_commit(clear_cache)


@transaction.atomic
@appended_together()
def year_publish(*, year: int, source: str, actor: Any) -> PublishedYear:
    """Mark a year's schedule as fully entered, so its dates stop being provisional."""
    published, _ = PublishedYear.objects.update_or_create(year=year, defaults={"source": source})
    record_event(
        actor=actor,
        verb="workdays.year_published",
        target=published,
        data={"year": year, "source": source},
    )
    transaction.on_commit(clear_cache)
    return published
