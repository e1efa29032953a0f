"""Reading 电子监察: who may see what, the month's figures by 一件事, department, window or
clerk (from the rollup), their monthly trend, the department ranking, the live yellow and
red lists (from the cases' running due dates), and the cases behind a figure.

Every rate is a fraction of two counts of the rollup, defined in docs/supervision.md; the
rollup holds counts only, so any grouping sums exactly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.cases import clocks
from lianban.cases.models import Clock, ItemCase
from lianban.catalog.models import Bundle, Department
from lianban.common.rowurls import url_of
from lianban.supervision import rollup
from lianban.supervision.models import CaseFigure, FigureState, IntakeFigure
from lianban.workdays.selectors import add_workdays

S = ItemCase.Status
PAGE_SIZE = 50
TREND_MONTHS = 12

DIMENSIONS = {
    "bundle": "一件事",
    "department": "部门",
    "window": "收件窗口",
    "clerk": "收件人员",
}
# The rollup column each dimension groups by.
COLUMN = {
    "bundle": "bundle_id",
    "department": "department_id",
    "window": "window",
    "clerk": "clerk_id",
}
# A case's clock runs (and has a light) in these states; a request for supplement and a
# suspension (第四十五条) pause it, and the workbench shows such a case as paused.
LIGHTED = (S.DISPATCHED, S.ACCEPTED, S.DECIDED)
LIGHTS = {"yellow": "即将到期（预警）", "red": "已超期"}


# Who may see what.


@dataclass(frozen=True)
class Scope:
    """What one person may see: everything (department None), or one department's cases
    and their figures."""

    department_id: int | None

    @property
    def everything(self) -> bool:
        return self.department_id is None


def scope_of(user: Any) -> Scope | None:
    """The supervisor sees everything; a department reviewer their own department; anyone
    else nothing (None)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_supervisor:
        return Scope(None)
    if user.role == User.Role.REVIEWER and user.department_id and user.is_person:
        return Scope(user.department_id)
    return None


# The figures.


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    received: int = 0
    online_answered: int = 0
    online_on_time: int = 0
    dispatched: int = 0
    cancelled: int = 0
    concluded: int = 0
    acceptance_decided: int = 0
    refused: int = 0
    decided: int = 0
    decided_on_time: int = 0
    intake_shown: bool = field(default=True, compare=False)

    def add(self, counts: dict[str, Any]) -> None:
        for name in counts:
            if hasattr(self, name) and name != "intake_shown":
                setattr(self, name, getattr(self, name) + (counts[name] or 0))

    @property
    def intake_rate(self) -> float | None:
        """收件及时率: online applications answered by their intake due date."""
        return ratio(self.online_on_time, self.online_answered)

    @property
    def refusal_rate(self) -> float | None:
        """不予受理率: refusals among the cases whose acceptance was decided."""
        return ratio(self.refused, self.acceptance_decided)

    @property
    def processing_rate(self) -> float | None:
        """办理及时率: decisions made by the decision clock's due date."""
        return ratio(self.decided_on_time, self.decided)

    @property
    def completion_rate(self) -> float | None:
        """办结率: of the cases dispatched, those concluded (cancelled ones left out)."""
        return ratio(self.concluded, self.dispatched - self.cancelled)

    @property
    def decided_late(self) -> int:
        return self.decided - self.decided_on_time

    @property
    def online_late(self) -> int:
        return self.online_answered - self.online_on_time

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("intake_rate", "refusal_rate", "processing_rate", "completion_rate"):
            d[name] = getattr(self, name)
        return d


CASE_SUMS = {name: Sum(name) for name in rollup.CASE_COUNTS}
INTAKE_SUMS = {name: Sum(name) for name in rollup.INTAKE_COUNTS}


def case_figures(scope: Scope) -> QuerySet[CaseFigure]:
    rows = CaseFigure.objects.all()
    if scope.department_id is not None:
        rows = rows.filter(department_id=scope.department_id)
    return rows


def intake_figures(scope: Scope) -> QuerySet[IntakeFigure]:
    # The window's intake is no department's work: a department sees none of it.
    return IntakeFigure.objects.all() if scope.everything else IntakeFigure.objects.none()


@dataclass
class Row:
    key: str
    label: str
    figures: Figures
    query: str = ""  # the drill-down's query string, set by the view


def labels(by: str, keys: set[Any]) -> dict[Any, str]:
    keys = {k for k in keys if k not in (None, "")}
    if by == "bundle":
        return dict(Bundle.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "department":
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "clerk":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    return {k: k for k in keys}


NO_LABEL = {"window": "（未记录窗口）", "clerk": "（尚未收件）"}


def month_figures(scope: Scope, month: dt.date, by: str) -> tuple[list[Row], Figures]:
    """The month's figures, one row per value of ``by`` (largest volume first), and the
    total. Two grouped queries over the month's rollup rows, whatever their number."""
    column = COLUMN[by]
    by_key: dict[Any, Figures] = {}
    total = Figures(intake_shown=scope.everything)
    for r in (
        case_figures(scope).filter(month=month).values(column).order_by().annotate(**CASE_SUMS)
    ):
        by_key.setdefault(r[column], Figures(intake_shown=scope.everything and by != "department"))
        by_key[r[column]].add(r)
        total.add(r)
    if by != "department":
        for r in (
            intake_figures(scope)
            .filter(month=month)
            .values(column)
            .order_by()
            .annotate(**INTAKE_SUMS)
        ):
            by_key.setdefault(r[column], Figures())
            by_key[r[column]].add(r)
            total.add(r)
    else:
        total.add(intake_figures(scope).filter(month=month).aggregate(**INTAKE_SUMS))
    names = labels(by, set(by_key))
    rows = [
        Row(
            key="" if k is None else str(k),
            label=names.get(k, NO_LABEL.get(by, str(k))),
            figures=f,
        )
        for k, f in by_key.items()
    ]
    rows.sort(key=lambda r: (-r.figures.dispatched, -r.figures.received, r.label))
    return rows, total


def trend(scope: Scope, last: dt.date, months: int = TREND_MONTHS) -> list[tuple[dt.date, Figures]]:
    """The totals of each of the ``months`` months up to ``last``, oldest first."""
    first = last
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    totals = {}
    m = first
    while m <= last:
        totals[m] = Figures(intake_shown=scope.everything)
        m = rollup.next_month(m)
    span = Q(month__gte=first, month__lte=last)
    for r in case_figures(scope).filter(span).values("month").order_by().annotate(**CASE_SUMS):
        totals[r["month"]].add(r)
    for r in intake_figures(scope).filter(span).values("month").order_by().annotate(**INTAKE_SUMS):
        totals[r["month"]].add(r)
    return sorted(totals.items())


def _rank_key(row: Row) -> tuple[float, float, float, int, str]:
    f = row.figures
    return (
        -(f.processing_rate if f.processing_rate is not None else -1.0),
        -(f.completion_rate if f.completion_rate is not None else -1.0),
        f.refusal_rate if f.refusal_rate is not None else 2.0,
        -f.dispatched,
        row.label,
    )


def ranking(month: dt.date) -> list[Row]:
    """Departments ranked for ``month`` (docs/supervision.md): processing timeliness first,
    then completion rate, then the lower refusal rate, then volume."""
    rows, _ = month_figures(Scope(None), month, "department")
    return sorted((r for r in rows if r.figures.dispatched or r.figures.decided), key=_rank_key)


def freshness() -> FigureState | None:
    return FigureState.objects.filter(pk=1).first()


# Seconds a dashboard's figures are kept in the cache. The key carries the rollup's state, and
# every refresh moves it, so a kept answer is never older than the rollup itself; only a
# renamed department or clerk shows under the old name until the next refresh.
DASHBOARD_CACHE_SECONDS = 900


@dataclass
class Dashboard:
    rows: list[Row]
    total: Figures
    trend: list[tuple[dt.date, Figures]]
    ranking: list[Row]


def dashboard(scope: Scope, month: dt.date, by: str, state: FigureState | None) -> Dashboard:
    """The month's figures by ``by``, the trend and (for the whole platform) the ranking:
    read from the rollup once per refresh and kept in the cache (shared by every web process
    when the cache is Redis), since a province's supervisors all open the same few views."""
    stamp = f"{state.last_event_id}:{state.refreshed_at:%Y%m%d%H%M%S%f}" if state else "none"
    key = f"supervision:dashboard:{scope.department_id}:{month:%Y-%m}:{by}:{stamp}"
    found = cache.get(key)
    if found is None:
        rows, total = month_figures(scope, month, by)
        found = Dashboard(
            rows, total, trend(scope, month), ranking(month) if scope.everything else []
        )
        cache.set(key, found, DASHBOARD_CACHE_SECONDS)
    return found


# The live yellow and red lists.


def yellow_until(today: dt.date) -> dt.date:
    """The last due date still yellow today: one working day or less left (the workdays
    rule the workbench lights follow)."""
    return add_workdays(today, 1).date


def warning_cases(scope: Scope, light: str, today: dt.date) -> QuerySet[ItemCase]:
    """Open cases whose running clock is yellow or red today, most urgent first: for the
    whole platform through the index of lighted cases by due date, for one department
    through its (department, running_due, id) range."""
    cases = ItemCase.objects.filter(status__in=LIGHTED)
    if scope.department_id is not None:  # not everything
        cases = cases.filter(department_id=scope.department_id)
    if light == "red":
        cases = cases.filter(running_due__lt=today)
    else:
        cases = cases.filter(running_due__gte=today, running_due__lte=yellow_until(today))
    return cases.order_by("running_due", "pk")


def warning_counts(scope: Scope, today: dt.date) -> dict[str, int]:
    """How many cases :func:`warning_cases` lists for each light, in one query: red and
    yellow are the two ends of one range of due dates on the same index."""
    cases = ItemCase.objects.filter(status__in=LIGHTED, running_due__lte=yellow_until(today))
    if scope.department_id is not None:
        cases = cases.filter(department_id=scope.department_id)
    return cases.aggregate(
        yellow=Count("pk", filter=Q(running_due__gte=today)),
        red=Count("pk", filter=Q(running_due__lt=today)),
    )


def warning_rows(cases: list[ItemCase], today: dt.date) -> list[dict[str, Any]]:
    """Each case with its running clock and light, by the workbench's own rule."""
    running: dict[int, Clock] = {}
    for clock in Clock.objects.filter(
        case_id__in=[c.pk for c in cases], stopped_at__isnull=True
    ).order_by("due"):
        running.setdefault(clock.case_id, clock)
    rows = []
    for case in cases:
        shown = running.get(case.pk)
        # Formatted here once, not per row in the template (a page has fifty).
        rows.append(
            {
                "clock": shown,
                "light": clocks.light(shown, today),
                "pk": case.pk,
                "href": url_of(case.application_id, "audit:application"),
                "receipt_number": case.application.receipt_number,
                "item_name": case.item_name,
                "department": case.department.name,
                "status_label": S(case.status).label,
                # What the "Y-m-d" date filter prints, for a date.
                "due": case.running_due.isoformat() if case.running_due else "",
                "clock_kind": Clock.Kind(shown.kind).label if shown else "",
            }
        )
    return rows


# The cases behind a figure.

CASE_DRILLS = {
    "dispatched": "办件",
    "concluded": "已办结",
    "refused": "不予受理",
    "decided": "已决定",
    "decided_late": "超期决定",
}
APPLICATION_DRILLS = {"received": "收件", "online_late": "网上申请超期答复"}


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return rollup.month_start(month), rollup.month_start(rollup.next_month(month))


def drill_cases(
    scope: Scope, figure: str, month: dt.date, by: str, key: str | None
) -> QuerySet[ItemCase]:
    """The cases counted in one figure of one row of the dashboard, newest first."""
    start, end = _bounds(month)
    cases = ItemCase.objects.all()
    if scope.department_id is not None:
        cases = cases.filter(department_id=scope.department_id)
    # Newest first by the figure's own date: for the clock figures that is the clock's
    # stop, which the database reads backwards off the clock's (stopped_at, due) index.
    order = ("-clocks__stopped_at", "-pk")
    if figure in ("dispatched", "concluded"):
        cases = cases.filter(dispatched_at__gte=start, dispatched_at__lt=end)
        if figure == "concluded":
            cases = cases.filter(status__in=rollup.CONCLUDED)
        order = ("-dispatched_at", "-pk")  # backwards off the dispatched_at index
    elif figure == "refused":
        cases = cases.filter(
            status=S.REFUSED,
            clocks__kind=Clock.Kind.ACCEPTANCE,
            clocks__stopped_at__gte=start,
            clocks__stopped_at__lt=end,
        )
    else:
        q = Q(
            clocks__kind=Clock.Kind.DECISION,
            clocks__stopped_at__gte=start,
            clocks__stopped_at__lt=end,
        )
        if figure == "decided_late":
            q &= Q(clocks__met=False)
        cases = cases.filter(q)
    return _by(cases, "application__", by, key).order_by(*order)


def drill_applications(
    figure: str, month: dt.date, by: str, key: str | None
) -> QuerySet[Application]:
    start, end = _bounds(month)
    apps: QuerySet[Any]
    if figure == "received":
        apps = Application.objects.filter(received_at__gte=start, received_at__lt=end)
    else:
        apps = (
            rollup.answered_applications()
            .filter(answered__gte=start, answered__lt=end)
            .exclude(answered_day__lte=F("intake_due"))
        )
    return _by(apps, "", by, key).order_by("-pk")


def _by(qs: QuerySet[Any], prefix: str, by: str, key: str | None) -> QuerySet[Any]:
    if key is None:
        return qs
    if by == "bundle" and key.isdigit():
        return qs.filter(**{f"{prefix}bundle_version__bundle_id": int(key)})
    if by == "department" and key.isdigit() and prefix:  # applications have no department
        return qs.filter(department_id=int(key))
    if by == "window":
        return qs.filter(**{f"{prefix}received_window": key})
    if by == "clerk":
        if key.isdigit():
            return qs.filter(**{f"{prefix}received_by_id": int(key)})
        return qs.filter(**{f"{prefix}received_by__isnull": True})
    return qs


def page(qs: QuerySet[Any], number: int) -> tuple[list[Any], bool]:
    """One page, and whether there is another; no COUNT over a month of cases."""
    start = (number - 1) * PAGE_SIZE
    found = list(qs[start : start + PAGE_SIZE + 1])
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


# The bulletin.


def bulletin_content(month: dt.date) -> dict[str, Any]:
    """What a bulletin says, as plain data (kept with it): the month's totals, by 一件事,
    the department ranking and the trend of the last months."""
    everything = Scope(None)
    bundles, total = month_figures(everything, month, "bundle")
    return {
        "month": f"{month:%Y-%m}",
        "total": total.as_dict(),
        "bundles": [{"label": r.label, **r.figures.as_dict()} for r in bundles],
        "ranking": [{"label": r.label, **r.figures.as_dict()} for r in ranking(month)],
        "trend": [{"month": f"{m:%Y-%m}", **f.as_dict()} for m, f in trend(everything, month, 6)],
    }
