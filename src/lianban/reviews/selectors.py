"""好差评 reads: who sees which follow-ups, and the public statistics per unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from lianban.accounts.models import User
from lianban.catalog.models import Department
from lianban.reviews.models import Level, Occasion, Rectification, Review
from lianban.reviews.transitions import DONE, RUNNING

R = Rectification.Status
SATISFIED_LEVELS = frozenset({Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED})


def may_follow_up(user: Any) -> bool:
    """Who has a follow-up list: a department's reviewers, a window's clerks, the supervisor."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_supervisor:
        return True
    if user.role == User.Role.REVIEWER:
        return bool(user.department_id)
    return user.role == User.Role.CLERK and bool(user.window)


def followups_for(user: Any) -> QuerySet[Rectification]:
    """The follow-ups a person may see: all for the supervisor, else their unit's."""
    # The bundle's name comes from the bundle row: a version's snapshot is large and the
    # list needs none of it.
    qs = Rectification.objects.select_related(
        "department", "review__occasion__application__bundle_version__bundle"
    ).defer("review__occasion__application__bundle_version__snapshot")
    if user.is_supervisor:
        return qs
    if user.role == User.Role.REVIEWER and user.department_id:
        return qs.filter(department_id=user.department_id)
    if user.role == User.Role.CLERK and user.window:
        return qs.filter(department__isnull=True, window=user.window)
    return qs.none()


def filtered(qs: QuerySet[Rectification], params: Any, today: dt.date) -> QuerySet[Rectification]:
    """The supervisor's filters: status, unit, overdue only, appeals to decide."""
    status = params.get("status") or ""
    if status in R.values:
        qs = qs.filter(status=status)
    unit = params.get("unit") or ""
    if unit.startswith("d:") and unit[2:].isdigit():
        qs = qs.filter(department_id=int(unit[2:]))
    elif unit.startswith("w:"):
        qs = qs.filter(department__isnull=True, window=unit[2:])
    if params.get("overdue"):
        qs = qs.filter(overdue_query(today))
    return qs


def overdue_query(today: dt.date) -> Q:
    """Past due and not yet reported (marked by the sweep or not yet swept)."""
    return Q(status__in=RUNNING) & (Q(overdue_at__isnull=False) | Q(due__lt=today))


def unit_choices() -> list[tuple[str, str]]:
    departments = Department.objects.filter(
        pk__in=Rectification.objects.values("department_id")
    ).order_by("code")
    windows = (
        Rectification.objects.filter(department__isnull=True)
        .order_by("window")
        .values_list("window", flat=True)
        .distinct()
    )
    return [(f"d:{d.pk}", d.name) for d in departments] + [(f"w:{w}", w) for w in windows]


def occasions_of(application: Any) -> list[Occasion]:
    return list(
        Occasion.objects.filter(application=application)
        .select_related("review")
        .prefetch_related("departments")
        .order_by("created_at", "id")
    )


# ---- Statistics ----------------------------------------------------------------------------


@dataclass
class UnitStats:
    """One unit's figures; the rates are defined in docs/reviews.md."""

    kind: str  # "department" or "window"
    name: str
    count: int = 0
    levels: dict[int, int] = field(default_factory=lambda: {v: 0 for v in Level.values})
    excluded: int = 0  # reviews set aside by an upheld appeal
    rectifications: int = 0
    rectified: int = 0
    due_or_done: int = 0
    on_time: int = 0

    @property
    def level_shares(self) -> list[tuple[str, int, float | None]]:
        return [
            (label, self.levels[value], _rate(self.levels[value], self.count))
            for value, label in Level.choices
        ]

    @property
    def satisfaction(self) -> float | None:
        return _rate(sum(self.levels[v] for v in SATISFIED_LEVELS), self.count)

    @property
    def rectification_rate(self) -> float | None:
        return _rate(self.rectified, self.rectifications)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due_or_done)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def unit_statistics(today: dt.date | None = None) -> list[UnitStats]:
    """Per department and per window: reviews, the share of each level, the satisfaction
    rate, the rectification rate and the on-time rate. A review whose appeal the supervisor
    upheld is left out of the unit it was held unfair against. Counted in the database:
    four grouped queries, whatever the number of reviews."""
    today = today or timezone.localdate()
    units: dict[tuple[str, Any], UnitStats] = {}
    names = dict(Department.objects.values_list("pk", "name"))

    def unit(kind: str, ident: Any) -> UnitStats:
        if (kind, ident) not in units:
            units[kind, ident] = UnitStats(
                kind, names.get(ident, "") if kind == "department" else ident
            )
        return units[kind, ident]

    upheld = Rectification.objects.filter(status=R.APPEAL_UPHELD)
    # A completion is about each of its departments.
    through: Any = Occasion.departments.through  # django-stubs cannot see its annotations
    links = (
        through.objects.filter(occasion__review__isnull=False)
        .annotate(
            upheld=Exists(
                upheld.filter(
                    review__occasion_id=OuterRef("occasion_id"),
                    department_id=OuterRef("department_id"),
                )
            )
        )
        .values("department_id", "occasion__review__level", "upheld")
        .annotate(n=Count("id"))
    )
    for row in links:
        s = unit("department", row["department_id"])
        if row["upheld"]:
            s.excluded += row["n"]
        else:
            s.count += row["n"]
            s.levels[row["occasion__review__level"]] += row["n"]
    # A visit is about its window.
    visits = (
        Review.objects.exclude(occasion__kind=Occasion.Kind.COMPLETION)
        .annotate(upheld=Exists(upheld.filter(review_id=OuterRef("pk"), department__isnull=True)))
        .values("occasion__window", "level", "upheld")
        .annotate(n=Count("id"))
    )
    for row in visits:
        s = unit("window", row["occasion__window"])
        if row["upheld"]:
            s.excluded += row["n"]
        else:
            s.count += row["n"]
            s.levels[row["level"]] += row["n"]
    done = Q(status__in=DONE)
    follow_ups = (
        Rectification.objects.exclude(status=R.APPEAL_UPHELD)
        # Reported in time is judged by the calendar day in the service hall's time zone.
        .alias(reported_day=TruncDate("reported_at", tzinfo=timezone.get_current_timezone()))
        .values("department_id", "window")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=done),
            on_time=Count("id", filter=done & Q(reported_day__lte=F("due"))),
            late=Count("id", filter=Q(status__in=RUNNING, due__lt=today)),
        )
    )
    for row in follow_ups:
        s = (
            unit("department", row["department_id"])
            if row["department_id"]
            else unit("window", row["window"])
        )
        s.rectifications += row["total"]
        s.rectified += row["done"]
        s.on_time += row["on_time"]
        s.due_or_done += row["done"] + row["late"]
    return sorted(units.values(), key=lambda s: (s.kind != "department", s.name))
