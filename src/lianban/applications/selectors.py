"""Reading applications: their plan, their current materials, the window's queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from lianban.accounts.models import User
from lianban.applications.models import Application, Commitment, MaterialFile, Notice
from lianban.catalog.planner import Plan, make_plan
from lianban.catalog.selectors import definition_of
from lianban.workdays.selectors import add_workdays
from lianban.workdays.selectors import light as clock_light


def plan_of(application: Application) -> Plan:
    """The plan under the version the application was made under."""
    return make_plan(definition_of(application.bundle_version), application.answers)


def fields_by_key(plan: Plan) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in plan.fields}


def materials_by_code(plan: Plan) -> dict[str, dict[str, Any]]:
    return {m["code"]: m for m in plan.materials}


def current_files(application: Application) -> dict[str, MaterialFile]:
    """The latest version of each material handed in."""
    latest: dict[str, MaterialFile] = {}
    for f in application.material_files.order_by("material_code", "-version"):
        latest.setdefault(f.material_code, f)
    return latest


def open_correction(application: Application) -> Notice | None:
    if application.status != Application.Status.CORRECTION:
        return None
    return (
        application.notices.filter(kind=Notice.Kind.CORRECTION, resolved_at__isnull=True)
        .order_by("-issued_at")
        .first()
    )


def correctable(application: Application) -> tuple[set[str], set[str]]:
    """(field keys, material codes) the applicant may still change: everything in a draft,
    only what the open correction notice lists while correcting."""
    if application.status == Application.Status.DRAFT:
        plan = plan_of(application)
        return set(fields_by_key(plan)), set(materials_by_code(plan))
    notice = open_correction(application)
    if notice is None:
        return set(), set()
    return (
        {f["key"] for f in notice.content.get("fields", [])},
        {m["code"] for m in notice.content.get("materials", [])},
    )


def visible_to(user: User, qs: QuerySet[Application] | None = None) -> QuerySet[Application]:
    """Applications a person may see: an applicant their own; window clerks and the
    supervisor all; nobody else any (departments see item cases, not applications)."""
    qs = qs if qs is not None else Application.objects.all()
    if user.is_supervisor:
        return qs
    if user.role == User.Role.CLERK:
        # An online draft is the applicant's own until it is submitted.
        return qs.exclude(channel=Application.Channel.ONLINE, status=Application.Status.DRAFT)
    if user.role == User.Role.APPLICANT:
        return qs.filter(applicant__user=user)
    return qs.none()


def intake_queue() -> QuerySet[Application]:
    """Online submissions waiting for the window, oldest due first."""
    return (
        Application.objects.filter(status=Application.Status.SUBMITTED)
        .select_related("applicant")
        .order_by("intake_due", "submitted_at")
    )


def light(today: dt.date, due: dt.date | None) -> str:
    """green, yellow or red (see :func:`lianban.workdays.selectors.light`); '' with no clock."""
    return clock_light(today, due) if due is not None else ""


def supplement_limit(plan: Plan, material_code: str, today: dt.date) -> tuple[int, dt.date]:
    """容缺: the latest date a deferred material may be promised for — the shortest promised
    limit among the items that need it, counted in working days from today."""
    promised = {i["code"]: i["promised_limit_days"] for i in plan.items}
    material = materials_by_code(plan)[material_code]
    days = min(promised[c] for c in material["items"])
    return days, add_workdays(today, days).date


def window_drafts(clerk: User) -> QuerySet[Application]:
    return (
        Application.objects.filter(
            channel=Application.Channel.WINDOW, status=Application.Status.DRAFT, created_by=clerk
        )
        .select_related("applicant", "bundle_version")
        .order_by("-updated_at")
    )


def in_correction() -> QuerySet[Application]:
    return (
        Application.objects.filter(status=Application.Status.CORRECTION)
        .select_related("applicant")
        .order_by("updated_at")
    )


def received_on(day: dt.date) -> QuerySet[Application]:
    # A range on the column (not its date in the local zone), so the index serves it.
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return (
        Application.objects.filter(
            status=Application.Status.RECEIVED,
            received_at__gte=start,
            received_at__lt=start + dt.timedelta(days=1),
        )
        .select_related("applicant", "received_by")
        .order_by("-received_at")
    )


def open_commitments() -> QuerySet[Commitment]:
    """容缺 materials still to be handed in, the earliest promise first."""
    return (
        Commitment.objects.filter(
            fulfilled_at__isnull=True, application__status=Application.Status.RECEIVED
        )
        .select_related("application__applicant")
        .annotate(bundle_title=F("application__bundle_version__bundle__name"))
        .order_by("due", "pk")
    )


def applicant_may_download(application: Application, case: Any) -> bool:
    """A result is the applicant's to download only for 网上自助打印, once delivered (the
    first download, a deliberate act, is the delivery). The page and the API both ask here."""
    from lianban.cases.models import Delivery, ItemCase  # cases build on intake

    return (
        application.delivery_method == Delivery.Method.SELF_PRINT
        and case.status == ItemCase.Status.DELIVERED
    )
