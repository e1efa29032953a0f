"""A small data set with chosen dates and states, written straight into the tables (as the
bench does at scale), so that the figures a test expects are worked out by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from lianban.accounts.models import User
from lianban.applications.models import Application, ApplicationItem, Notice
from lianban.applications.tests.factories import ApplicantFactory
from lianban.cases.models import Clock, ItemCase
from lianban.catalog.models import Bundle, BundleVersion, Department
from lianban.catalog.tests.factories import BundleFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_seq = {"n": 0}


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> dt.datetime:
    """A moment in the service hall's local time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def version(name: str) -> BundleVersion:
    bundle: Bundle = BundleFactory(name=name)
    return BundleVersion.objects.create(
        bundle=bundle,
        number=1,
        status=BundleVersion.Status.PUBLISHED,
        snapshot={"name": name},
        digest="0" * 64,
        submitted_at=at(1, 5),
    )


def clerk(window: str) -> User:
    return UserFactory(role=User.Role.CLERK, window=window)


def application(
    v: BundleVersion,
    *,
    channel: str = "online",
    submitted: dt.datetime | None = None,
    intake_due: dt.date | None = None,
    received: dt.datetime | None = None,
    by: User | None = None,
    corrected: dt.datetime | None = None,
) -> Application:
    _seq["n"] += 1
    applicant = ApplicantFactory()
    app = Application.objects.create(
        bundle_version=v,
        applicant=applicant,
        channel=channel,
        status=Application.Status.RECEIVED if received else Application.Status.SUBMITTED,
        receipt_number=f"T{_seq['n']:06d}" if received else None,
        created_by=by or applicant.user,
        submitted_at=submitted,
        intake_due=intake_due,
        received_at=received,
        received_by=by if received else None,
        received_window=by.window if (received and by) else "",
    )
    if corrected is not None:
        Notice.objects.create(
            application=app,
            kind=Notice.Kind.CORRECTION,
            number=f"BZ{_seq['n']:06d}",
            content={},
            issued_by=by or applicant.user,
            issued_at=corrected,
        )
    return app


def case(
    app: Application,
    department: Department,
    *,
    status: str,
    dispatched: dt.datetime,
    acceptance_stopped: dt.datetime | None = None,
    decision_stopped: dt.datetime | None = None,
    met: bool | None = None,
    running_due: dt.date | None = None,
) -> ItemCase:
    _seq["n"] += 1
    code = f"item{_seq['n']}"
    item = ApplicationItem.objects.create(
        application=app,
        item_code=code,
        item_name=f"事项{_seq['n']}",
        department=department,
        promised_limit_days=5,
    )
    c = ItemCase.objects.create(
        application=app,
        item=item,
        department=department,
        item_code=code,
        item_name=item.item_name,
        status=status,
        outcome=ItemCase.Outcome.APPROVED if decision_stopped else "",
        dispatched_at=dispatched,
        decided_at=decision_stopped,
        running_due=running_due,
    )
    day = dispatched.astimezone(SHANGHAI).date()
    clock: dict[str, Any] = {"started_on": day, "limit_days": 1, "due": day}
    Clock.objects.create(
        case=c,
        kind=Clock.Kind.ACCEPTANCE,
        stopped_at=acceptance_stopped,
        met=True if acceptance_stopped else None,
        **clock,
    )
    if decision_stopped is not None:
        Clock.objects.create(
            case=c, kind=Clock.Kind.DECISION, stopped_at=decision_stopped, met=met, **clock
        )
    return c
