"""Writes of 电子监察: refreshing the rollup of the figures, and issuing a bulletin (通报)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lianban.audit.models import Event
from lianban.audit.services import record_event
from lianban.catalog.models import Department
from lianban.common.errors import DomainError, NotAllowed
from lianban.documents.render import SEAL_BOX, SEAL_PAGE, render_pdf
from lianban.signing.models import IssuedDocument
from lianban.signing.pdfsign import Stamp
from lianban.signing.services import issue_document
from lianban.supervision import bulletin as layout
from lianban.supervision import rollup, selectors
from lianban.supervision.models import Bulletin, FigureState


@dataclass(frozen=True)
class Refreshed:
    full: bool
    events: int
    months: int
    at: dt.datetime


def refresh_figures(*, full: bool = False) -> Refreshed:
    """Bring the monthly rollup up to date with every change recorded since the last run:
    only the months those changes touch are recomputed (all of them when ``full``, or on the
    first run). The state row is locked for the whole run, so a second worker started at
    the same time waits, then finds nothing left to do; the audit trail's own chain lock
    makes event ids commit in order, so no change is ever skipped."""
    FigureState.objects.get_or_create(pk=1)
    with transaction.atomic():
        state = FigureState.objects.select_for_update().get(pk=1)
        high = Event.objects.aggregate(m=Max("id"))["m"] or 0
        events = 0
        if full or state.last_event_id is None:
            full = True
            months = rollup.rebuild(None)
        else:
            case_ids: set[int] = set()
            application_ids: set[int] = set()
            times = []
            for target_type, target_id, occurred_at in Event.objects.filter(
                id__gt=state.last_event_id,
                id__lte=high,
                target_type__in=(rollup.CASE_TARGET, rollup.APPLICATION_TARGET),
            ).values_list("target_type", "target_id", "occurred_at"):
                events += 1
                if not target_id.isdigit():
                    continue
                times.append(occurred_at)
                ids = case_ids if target_type == rollup.CASE_TARGET else application_ids
                ids.add(int(target_id))
            touched = rollup.months_touched(case_ids, application_ids, times)
            months = rollup.rebuild(touched) if touched else 0
        now = timezone.now()
        state.last_event_id = high
        state.refreshed_at = now
        state.months_refreshed = months
        state.save()
    return Refreshed(full=full, events=events, months=months, at=now)


def supervisor_department() -> Department:
    department = Department.objects.filter(is_supervisor=True).order_by("pk").first()
    if department is None:
        raise DomainError("尚未设置政务大数据局（监察部门），无法签发通报。", path="month")
    return department


def bulletin_issue(*, month: dt.date, actor: Any) -> Bulletin:
    """Issue the bulletin (通报) of ``month``: its figures and rankings as the rollup holds
    them now, laid out, sealed with the supervisor department's seal, entered in the
    register, and kept."""
    if not getattr(actor, "is_supervisor", False):
        raise NotAllowed("只有政务大数据局可以签发监察通报。")
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise DomainError("不能签发尚未开始的月份的通报。", path="month")
    department = supervisor_department()
    with transaction.atomic():
        state = FigureState.objects.filter(pk=1).first()
        content = selectors.bulletin_content(month)
        n = Bulletin.objects.filter(month=month).count() + 1
        number = f"JCTB{month:%Y%m}-{n}"
        now = timezone.now()
        document = layout.document_for(
            content=content,
            number=number,
            issued_at=now,
            issuer=department.name,
            figures_as_of=state.refreshed_at if state else None,
        )
        issued = issue_document(
            pdf=render_pdf(document),
            number=number,
            kind=IssuedDocument.Kind.BULLETIN,
            title=document.title,
            department=department,
            actor=actor,
            stamp=Stamp(SEAL_PAGE, SEAL_BOX.pdf_points()),
        )
        bulletin = Bulletin.objects.create(
            month=month,
            number=number,
            figures=content,
            figures_as_of=state.refreshed_at if state else None,
            document=issued,
            issued_by=actor,
            issued_at=now,
        )
        record_event(
            actor=actor,
            verb="supervision.bulletin_issued",
            target=bulletin,
            data={"month": f"{month:%Y-%m}", "number": number, "sha256": issued.sha256},
        )
    return bulletin
