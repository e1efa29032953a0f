"""The figures of docs/supervision.md, computed from the applications, cases and clocks into
the monthly rollup (:class:`CaseFigure`, :class:`IntakeFigure`).

A month is recomputed whole, always from the source rows, so recomputing it is idempotent
and a refresh that touched a month twice, or two refreshes in a row, leave the same rows.
Which months to recompute is told by the audit trail: every change of a case or an
application records an event, and the months a changed row counts in are those of its own
dates (dispatch, the acceptance clock's stop, the decision clock's stop, receipt, the first
correction notice) and of the event itself."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, DateField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate, TruncMonth
from django.utils import timezone

from lianban.applications.models import Application, Notice
from lianban.cases.models import Clock, ItemCase
from lianban.supervision.models import CaseFigure, IntakeFigure

S = ItemCase.Status
# A case is concluded (办结) once its department has done with it: decided (whatever the
# outcome, and whether or not the result has reached the applicant yet) or refused.
CONCLUDED = (S.DECIDED, S.RETURNED, S.DELIVERED, S.REFUSED)
CASE_COUNTS = (
    "dispatched",
    "cancelled",
    "concluded",
    "acceptance_decided",
    "refused",
    "decided",
    "decided_on_time",
)
INTAKE_COUNTS = ("received", "online_answered", "online_on_time")
CASE_TARGET = "cases.itemcase"
APPLICATION_TARGET = "applications.application"
CHUNK = 5000

Range = tuple[dt.datetime | None, dt.datetime | None]


def month_of(value: dt.date | dt.datetime) -> dt.date:
    """The first day of the local month ``value`` falls in."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def month_start(month: dt.date) -> dt.datetime:
    """Midnight, local time, on the first day of ``month``."""
    return timezone.make_aware(dt.datetime(month.year, month.month, 1))


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_ranges(months: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive months merged: [(first, after_last), ...], so each run is read once."""
    runs: list[tuple[dt.date, dt.date]] = []
    for m in sorted(set(months)):
        if runs and runs[-1][1] == m:
            runs[-1] = (runs[-1][0], next_month(m))
        else:
            runs.append((m, next_month(m)))
    return runs


def _within(field: str, bounds: Range) -> Q:
    start, end = bounds
    q = Q(**{f"{field}__isnull": False})
    if start is not None:
        q &= Q(**{f"{field}__gte": start})
    if end is not None:
        q &= Q(**{f"{field}__lt": end})
    return q


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, output_field=DateField())


def _first_correction() -> Subquery:
    return Subquery(
        Notice.objects.filter(application=OuterRef("pk"), kind=Notice.Kind.CORRECTION)
        .order_by("issued_at")
        .values("issued_at")[:1]
    )


def answered_applications() -> QuerySet[Any]:
    """Online applications with ``answered``: the first of receipt and the first one-time
    correction notice (LEAST over NULLs differs between databases, hence the Coalesces)."""
    first = _first_correction()
    return (
        Application.objects.filter(channel=Application.Channel.ONLINE)
        .annotate(first_correction=first)
        .annotate(
            answered=Least(
                Coalesce("received_at", "first_correction"),
                Coalesce("first_correction", "received_at"),
            )
        )
        .annotate(answered_day=TruncDate("answered"))
    )


def case_counts(bounds: Range) -> dict[tuple[Any, ...], dict[str, int]]:
    """Every count of :class:`CaseFigure` for the months in ``bounds``, by key."""
    rows: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(CASE_COUNTS, 0))
    app = "application__"
    dispatched = (
        ItemCase.objects.filter(_within("dispatched_at", bounds))
        .annotate(m=_month("dispatched_at"))
        .values(
            "m",
            "department_id",
            b=F(f"{app}bundle_version__bundle_id"),
            w=F(f"{app}received_window"),
            c=F(f"{app}received_by_id"),
        )
        .order_by()
        .annotate(
            dispatched=Count("pk"),
            cancelled=Count("pk", filter=Q(status=S.CANCELLED)),
            concluded=Count("pk", filter=Q(status__in=CONCLUDED)),
        )
    )
    for r in dispatched:
        key = (month_of(r["m"]), r["b"], r["department_id"], r["w"], r["c"])
        for name in ("dispatched", "cancelled", "concluded"):
            rows[key][name] += r[name]
    capp = "case__application__"
    for kind, counts in (
        (
            Clock.Kind.ACCEPTANCE,
            {
                "acceptance_decided": Count("pk"),
                "refused": Count("pk", filter=Q(case__status=S.REFUSED)),
            },
        ),
        (
            Clock.Kind.DECISION,
            {"decided": Count("pk"), "decided_on_time": Count("pk", filter=Q(met=True))},
        ),
    ):
        stopped = (
            Clock.objects.filter(_within("stopped_at", bounds), kind=kind)
            .annotate(m=_month("stopped_at"))
            .values(
                "m",
                d=F("case__department_id"),
                b=F(f"{capp}bundle_version__bundle_id"),
                w=F(f"{capp}received_window"),
                c=F(f"{capp}received_by_id"),
            )
            .order_by()
            .annotate(**counts)
        )
        for r in stopped:
            key = (month_of(r["m"]), r["b"], r["d"], r["w"], r["c"])
            for name in counts:
                rows[key][name] += r[name]
    return rows


def intake_counts(bounds: Range) -> dict[tuple[Any, ...], dict[str, int]]:
    """Every count of :class:`IntakeFigure` for the months in ``bounds``, by key."""
    rows: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(INTAKE_COUNTS, 0)
    )
    received = (
        Application.objects.filter(_within("received_at", bounds))
        .annotate(m=_month("received_at"))
        .values(
            "m", b=F("bundle_version__bundle_id"), w=F("received_window"), c=F("received_by_id")
        )
        .order_by()
        .annotate(n=Count("pk"))
    )
    for r in received:
        rows[(month_of(r["m"]), r["b"], r["w"], r["c"])]["received"] += r["n"]
    # Only applications received, or first told to correct, within the bounds can have been
    # answered within them: the rest are not read at all.
    corrected = Notice.objects.filter(
        _within("issued_at", bounds), kind=Notice.Kind.CORRECTION
    ).values("application_id")
    answered = (
        answered_applications()
        .filter(_within("received_at", bounds) | Q(pk__in=corrected))
        .filter(_within("answered", bounds))
        .annotate(m=_month("answered"))
        .values(
            "m", b=F("bundle_version__bundle_id"), w=F("received_window"), c=F("received_by_id")
        )
        .order_by()
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(answered_day__lte=F("intake_due"))),
        )
    )
    for r in answered:
        key = (month_of(r["m"]), r["b"], r["w"], r["c"])
        rows[key]["online_answered"] += r["n"]
        rows[key]["online_on_time"] += r["on_time"]
    return rows


def rebuild(months: Iterable[dt.date] | None) -> int:
    """Replace the rollup rows of ``months`` (None: all of them) with freshly computed
    ones; runs inside the caller's transaction. Returns the number of months rebuilt."""
    runs: list[Range]
    if months is None:
        CaseFigure.objects.all().delete()
        IntakeFigure.objects.all().delete()
        runs = [(None, None)]
    else:
        merged = month_ranges(months)
        runs = [(month_start(a), month_start(b)) for a, b in merged]
        for a, b in merged:
            CaseFigure.objects.filter(month__gte=a, month__lt=b).delete()
            IntakeFigure.objects.filter(month__gte=a, month__lt=b).delete()
    seen: set[dt.date] = set()
    for bounds in runs:
        cases = case_counts(bounds)
        CaseFigure.objects.bulk_create(
            (
                CaseFigure(
                    month=m, bundle_id=b, department_id=d, window=w or "", clerk_id=c, **counts
                )
                for (m, b, d, w, c), counts in cases.items()
            ),
            batch_size=2000,
        )
        intake = intake_counts(bounds)
        IntakeFigure.objects.bulk_create(
            (
                IntakeFigure(month=m, bundle_id=b, window=w or "", clerk_id=c, **counts)
                for (m, b, w, c), counts in intake.items()
            ),
            batch_size=2000,
        )
        seen.update(k[0] for k in cases)
        seen.update(k[0] for k in intake)
    return len(seen) if months is None else len(set(months))


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for i in ids:
        chunk.append(i)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def months_touched(
    case_ids: Iterable[int], application_ids: Iterable[int], event_times: Iterable[dt.datetime]
) -> set[dt.date]:
    """The months whose figures a change of these cases and applications may have moved."""
    months = {month_of(t) for t in event_times}
    for chunk in _chunks(sorted(set(case_ids))):
        for value in (
            ItemCase.objects.filter(pk__in=chunk, dispatched_at__isnull=False)
            .annotate(m=_month("dispatched_at"))
            .order_by()
            .values_list("m", flat=True)
            .distinct()
        ):
            months.add(month_of(value))
        for value in (
            Clock.objects.filter(case_id__in=chunk, stopped_at__isnull=False)
            .annotate(m=_month("stopped_at"))
            .order_by()
            .values_list("m", flat=True)
            .distinct()
        ):
            months.add(month_of(value))
    for chunk in _chunks(sorted(set(application_ids))):
        for value in (
            Application.objects.filter(pk__in=chunk, received_at__isnull=False)
            .annotate(m=_month("received_at"))
            .order_by()
            .values_list("m", flat=True)
            .distinct()
        ):
            months.add(month_of(value))
        for value in (
            Notice.objects.filter(application_id__in=chunk, kind=Notice.Kind.CORRECTION)
            .annotate(m=_month("issued_at"))
            .order_by()
            .values_list("m", flat=True)
            .distinct()
        ):
            months.add(month_of(value))
    return months
