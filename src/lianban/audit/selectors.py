"""Reading the audit trail: the events of one application, as each kind of reader may see
them (全程留痕)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import Q, QuerySet

from lianban.audit.models import Event

# What each verb means, in the words of the trace page.
VERBS = {
    "application.created": "创建申请",
    "application.form_saved": "保存申请表",
    "application.material_uploaded": "提交材料",
    "application.submitted": "网上提交申请",
    "application.material_reviewed": "审查材料",
    "application.correction_requested": "出具补正告知书",
    "application.resubmitted": "补正后重新提交",
    "application.received": "收件，出具收件回执",
    "application.forwarded_in": "下级平台转入",
    "application.withdrawn": "撤回申请",
    "application.commitment_fulfilled": "补交容缺材料",
    "application.delivery_chosen": "选择送达方式",
    "application.delivered": "送达办理结果",
    "application.completed": "全部办结",
    "application.archived": "归档",
    "case.created": "生成联办事项办件",
    "case.dispatched": "分送部门",
    "case.forwarded": "转送上级平台办理",
    "case.accepted": "受理",
    "case.refused": "不予受理",
    "case.supplement_requested": "要求补正",
    "case.supplement_received": "收到补正材料",
    "case.suspended": "中止计时",
    "case.resumed": "恢复计时",
    "case.extended": "延长办理时限",
    "case.decided": "作出决定",
    "case.result_returned": "办理结果送回综合窗口",
    "case.cancelled": "取消办理",
    "case.delivered": "送达",
    "signing.document_issued": "签发文书（加盖电子印章）",
    "signing.document_revoked": "撤销文书",
    "signing.seal_created": "启用电子印章",
    "signing.credential_imported": "导入证书",
}

APPLICATION = "applications.application"
CASE = "cases.itemcase"
DOCUMENT = "signing.issueddocument"


def trail_for_application(application: Any, *, department_id: int | None = None) -> QuerySet[Event]:
    """The events of ``application``, its item cases and the documents issued for it, oldest
    first. With ``department_id``, only that department's cases and their documents: a
    department sees its own part of a joint application, not the others'."""
    cases = application.cases.all()
    documents = application.issued_documents.all()
    if department_id is not None:
        cases = cases.filter(department_id=department_id)
        documents = documents.filter(case__department_id=department_id)
    where = Q(
        target_type=CASE, target_id__in=[str(pk) for pk in cases.values_list("pk", flat=True)]
    )
    where |= Q(
        target_type=DOCUMENT,
        target_id__in=[str(pk) for pk in documents.values_list("pk", flat=True)],
    )
    if department_id is None:
        where |= Q(target_type=APPLICATION, target_id=str(application.pk))
    return Event.objects.filter(where).select_related("actor").order_by("id")


@cache
def _value_labels() -> dict[str, dict[str, str]]:
    """Chinese for the coded values events record (outcome, kind, delivery method)."""
    from lianban.cases.models import Delivery, ItemCase, Suspension
    from lianban.signing.models import IssuedDocument

    return {
        "outcome": dict(ItemCase.Outcome.choices),
        "kind": {**dict(Suspension.Kind.choices), **dict(IssuedDocument.Kind.choices)},
        "method": dict(Delivery.Method.choices),
    }


def describe(event: Event, case_names: dict[str, str]) -> dict[str, Any]:
    """One row of the trace page."""
    data = event.data or {}
    labels = _value_labels()
    details = []
    for key in ("reason", "outcome", "kind", "number", "days", "method"):
        if data.get(key):
            value = str(data[key])
            details.append(labels.get(key, {}).get(value, value))
    subject = ""
    if event.target_type == CASE:
        subject = case_names.get(event.target_id, "")
    actor = event.actor
    who = "系统"
    if actor is not None:
        who = actor.display_name or (
            "申请人" if actor.role == actor.Role.APPLICANT else actor.get_role_display()
        )
        if actor.role != actor.Role.APPLICANT:
            who = f"{who}（{actor.get_role_display()}）"
    return {
        "at": event.occurred_at,
        "who": who,
        "what": VERBS.get(event.verb, event.verb),
        "subject": subject,
        "details": "；".join(details),
        "hash": event.hash[:12],
    }
