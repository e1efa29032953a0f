"""Reads of the sharing app. Every read of shared data by a department goes through
:func:`read_for_case`, which checks the case and the item's needs and writes the access log
row, also when it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.cases.models import ItemCase
from lianban.common.errors import NotAllowed
from lianban.sharing.models import AccessLog, Consent, DataItem, DataUse
from lianban.sharing.registries import RegistryError, registry_for


@dataclass
class SharedRead:
    item: DataItem
    fields: list[dict[str, Any]]  # [{"key", "label", "value"}], only the allowed fields
    purpose: str
    error: str = ""
    found: bool = True


def uses_for(case: ItemCase) -> list[DataUse]:
    """The directory's grants for the case's item (or for its whole department)."""
    return list(
        DataUse.objects.filter(Q(item_code=case.item_code) | Q(department=case.department_id))
        .exclude(data_item__sharing_class=DataItem.SharingClass.NONE)
        .filter(data_item__licence_type_code="")
        .select_related("data_item__provider", "data_item__registry")
        .order_by("data_item__code", "id")
    )


def _log(
    *,
    reader: Any,
    case: ItemCase,
    item: DataItem,
    fields: list[str],
    purpose: str,
    outcome: str,
    reason: str = "",
) -> AccessLog:
    applicant = case.application.applicant
    return AccessLog.objects.create(
        reader=reader if getattr(reader, "pk", None) else None,
        department_id=getattr(reader, "department_id", None),
        data_item=item,
        subject=applicant,
        subject_masked=applicant.masked_identifier,
        application=case.application,
        case=case,
        fields=fields,
        purpose=purpose[:200],
        outcome=outcome,
        reason=reason[:300],
    )


def read_for_case(
    *, reader: Any, case: ItemCase, data_item: DataItem, fields: list[str] | None = None
) -> SharedRead:
    """A department reads the applicant's record of ``data_item`` for ``case``: only a
    reviewer of the case's own department, only the fields the directory grants the case's
    item, and only for the purpose written there. Logged either way; NotAllowed if refused."""
    wanted = list(fields) if fields is not None else None
    grants = [u for u in uses_for(case) if u.data_item_id == data_item.pk]
    allowed = sorted({k for u in grants for k in u.fields})
    purpose = grants[0].purpose if grants else "（无授权用途）"
    requested = wanted if wanted is not None else allowed
    reason = ""
    if (
        getattr(reader, "role", None) != User.Role.REVIEWER
        or reader.department_id != case.department_id
    ):
        reason = "读取人所在部门没有该申请人的本部门办件"
    elif data_item.sharing_class == DataItem.SharingClass.NONE:
        reason = "该数据项不予共享"
    elif not grants:
        reason = "共享目录未授权本事项使用该数据项"
    elif set(requested) - set(allowed):
        reason = "超出本事项所需的数据项：" + "、".join(sorted(set(requested) - set(allowed)))
    if reason:
        _log(
            reader=reader,
            case=case,
            item=data_item,
            fields=requested,
            purpose=purpose,
            outcome=AccessLog.Outcome.DENIED,
            reason=reason,
        )
        raise NotAllowed(f"不能读取“{data_item.name}”：{reason}。")
    try:
        record = registry_for(data_item).fetch(data_item, case.application.applicant.identifier)
    except RegistryError as exc:
        _log(
            reader=reader,
            case=case,
            item=data_item,
            fields=requested,
            purpose=purpose,
            outcome=AccessLog.Outcome.FAILED,
            reason=exc.message,
        )
        return SharedRead(data_item, [], purpose, error=exc.message)
    _log(
        reader=reader,
        case=case,
        item=data_item,
        fields=requested,
        purpose=purpose,
        outcome=AccessLog.Outcome.ALLOWED,
        reason="" if record else "无记录",
    )
    labels = {f["key"]: f["label"] for f in data_item.fields}
    values = [
        {"key": k, "label": labels.get(k, k), "value": (record or {}).get(k, "")} for k in requested
    ]
    return SharedRead(data_item, values, purpose, found=record is not None)


def reads_for_case_page(reader: Any, case: ItemCase) -> list[SharedRead]:
    """Everything the case's item may read, each read logged (the workbench's panel)."""
    items = {u.data_item.pk: u.data_item for u in uses_for(case)}
    return [read_for_case(reader=reader, case=case, data_item=i) for i in items.values()]


def prefilled_sources(application: Application) -> dict[str, str]:
    """Form field key → the department its value was shared from (while consent holds)."""
    consent = Consent.objects.filter(application=application, revoked_at__isnull=True).first()
    if consent is None:
        return {}
    return {k: v.get("source", "") for k, v in consent.prefilled.items()}


def consent_of(application: Application) -> Consent | None:
    return Consent.objects.filter(application=application).first()


# The access log, as each role may see it.


def log_rows() -> QuerySet[AccessLog]:
    return AccessLog.objects.select_related(
        "reader", "department", "data_item__provider", "application", "case"
    )


def log_for_applicant(user: Any) -> QuerySet[AccessLog]:
    """Who read my data: every read whose subject is the signed-in applicant."""
    applicant = getattr(user, "applicant", None)
    if applicant is None:
        return AccessLog.objects.none()
    return log_rows().filter(subject=applicant)


def log_for_case(user: Any, case: ItemCase) -> QuerySet[AccessLog]:
    """A reviewer sees the reads for a case of their own department; the supervisor any."""
    if getattr(user, "is_supervisor", False):
        return log_rows().filter(case=case)
    if (
        getattr(user, "role", None) == User.Role.REVIEWER
        and user.department_id == case.department_id
    ):
        return log_rows().filter(case=case)
    raise NotAllowed("只能查看本部门办件的共享数据访问记录。")


def log_for_supervisor(user: Any) -> QuerySet[AccessLog]:
    if not getattr(user, "is_supervisor", False):
        raise NotAllowed("仅政务大数据局可以审计共享数据的使用。")
    return log_rows()


def directory() -> QuerySet[DataItem]:
    return DataItem.objects.select_related("provider", "registry").prefetch_related(
        "uses__department"
    )
