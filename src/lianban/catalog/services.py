"""Changing the catalog's versions: submit for 备案, record, return, withdraw, publish.

Each function locks the bundle, checks the transition in :mod:`lianban.catalog.transitions`,
changes the version, writes the audit event and queues the notifications, in one
transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lianban.accounts.models import User
from lianban.audit.services import appended_together, record_event
from lianban.catalog.models import Bundle, BundleVersion, snapshot_digest
from lianban.catalog.snapshot import bundle_snapshot
from lianban.catalog.transitions import target_status
from lianban.catalog.validation import definition_errors
from lianban.common.errors import DomainError, NotAllowed
from lianban.notifications.services import notify

S = BundleVersion.Status


def _is_supervisor(actor: Any) -> bool:
    return actor is None or getattr(actor, "is_supervisor", False)


def _may_edit(actor: Any, bundle: Bundle) -> bool:
    if _is_supervisor(actor):
        return True
    return actor.role == User.Role.EDITOR and actor.department_id == bundle.lead_department_id


def _supervisors() -> list[User]:
    return list(User.objects.filter(role=User.Role.SUPERVISOR, is_active=True))


def _editors(bundle: Bundle) -> list[User]:
    return list(
        User.objects.filter(
            role=User.Role.EDITOR, is_active=True, department_id=bundle.lead_department_id
        )
    )


def _lock(version: BundleVersion) -> BundleVersion:
    Bundle.objects.select_for_update().filter(pk=version.bundle_id).first()
    return BundleVersion.objects.select_related("bundle").get(pk=version.pk)


@transaction.atomic
@appended_together()
def bundle_submit_for_filing(*, bundle: Bundle, actor: Any, change_note: str = "") -> BundleVersion:
    """Freeze the bundle's working copy as a new version awaiting 备案 by the supervisor."""
    bundle = Bundle.objects.select_for_update().select_related("lead_department").get(pk=bundle.pk)
    if not _may_edit(actor, bundle):
        raise NotAllowed(
            f"只有牵头部门（{bundle.lead_department.name}）可以提交“{bundle.name}”备案。"
        )
    snapshot = bundle_snapshot(bundle)
    problems = definition_errors(snapshot)
    if problems:
        raise DomainError(
            "；".join(problems[:5]), errors=[{"path": "bundle", "message": p} for p in problems]
        )
    versions = BundleVersion.objects.filter(bundle=bundle)
    if versions.filter(status__in=[S.SUBMITTED, S.RECORDED]).exists():
        raise DomainError(f"“{bundle.name}”已有待备案或待发布的版本，请先处理该版本。")
    current = versions.filter(status=S.PUBLISHED).values_list("digest", flat=True).first()
    if current == snapshot_digest(snapshot):
        raise DomainError(f"“{bundle.name}”的内容与现行版本相同，无需提交。")
    number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = BundleVersion.objects.create(
        bundle=bundle,
        number=number,
        status=S.SUBMITTED,
        snapshot=snapshot,
        change_note=change_note,
        submitted_at=timezone.now(),
        submitted_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(
        actor=actor,
        verb="catalog.version_submitted",
        target=version,
        data={
            "bundle": bundle.code,
            "number": number,
            "digest": version.digest,
            "change_note": change_note,
        },
    )
    notify(
        recipients=_supervisors(),
        subject=f"“{bundle.name}”第{number}版提交备案",
        body=change_note,
        link=f"/admin/catalog/bundleversion/{version.pk}/change/",
    )
    return version


def _move(version: BundleVersion, action: str, actor: Any, **data: Any) -> BundleVersion:
    old = version.status
    version.status = target_status(version, action)
    return_reason = data.get("reason", "")
    if action == "return":
        version.return_reason = return_reason
    if action == "record":
        version.recorded_at = timezone.now()
        version.recorded_by = actor if getattr(actor, "pk", None) else None
    if action == "publish":
        version.published_at = timezone.now()
    version.save()
    record_event(
        actor=actor,
        verb=f"catalog.version_{version.status}",
        target=version,
        data={
            "bundle": version.bundle.code,
            "number": version.number,
            "old": old,
            "new": version.status,
            **data,
        },
    )
    return version


@transaction.atomic
@appended_together()
def version_record(*, version: BundleVersion, actor: Any) -> BundleVersion:
    """The supervisor records (备案) a submitted version; it may then be published."""
    version = _lock(version)
    if not _is_supervisor(actor):
        raise NotAllowed("只有政务大数据局可以备案。")
    _move(version, "record", actor)
    notify(
        recipients=_editors(version.bundle),
        subject=f"“{version.bundle.name}”第{version.number}版已备案",
    )
    return version


@transaction.atomic
@appended_together()
def version_return(*, version: BundleVersion, actor: Any, reason: str) -> BundleVersion:
    """The supervisor sends a submitted version back to the lead department, with a reason."""
    version = _lock(version)
    if not _is_supervisor(actor):
        raise NotAllowed("只有政务大数据局可以退回备案。")
    if not reason.strip():
        raise DomainError("退回备案必须说明理由。", path="reason")
    _move(version, "return", actor, reason=reason.strip())
    notify(
        recipients=_editors(version.bundle),
        subject=f"“{version.bundle.name}”第{version.number}版被退回",
        body=reason,
    )
    return version


@transaction.atomic
@appended_together()
def version_withdraw(*, version: BundleVersion, actor: Any) -> BundleVersion:
    """The lead department takes back a version it submitted, before 备案."""
    version = _lock(version)
    if not _may_edit(actor, version.bundle):
        raise NotAllowed("只有牵头部门可以撤回备案。")
    return _move(version, "withdraw", actor)


@transaction.atomic
@appended_together()
def version_publish(*, version: BundleVersion, actor: Any) -> BundleVersion:
    """Put a recorded version in force; the version it replaces is superseded. Applications
    already made keep the version they were made under."""
    version = _lock(version)
    if not _is_supervisor(actor):
        raise NotAllowed("只有政务大数据局可以发布。")
    target_status(version, "publish")
    current = BundleVersion.objects.filter(bundle=version.bundle, status=S.PUBLISHED).first()
    if current is not None:
        _move(current, "supersede", actor, replaced_by=version.number)
    _move(version, "publish", actor)
    notify(
        recipients=_editors(version.bundle),
        subject=f"“{version.bundle.name}”第{version.number}版已发布",
    )
    return version
