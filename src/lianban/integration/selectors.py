"""Reads for department systems: their department's cases (never another's), one case with
exactly the fields and materials its item may see, its ETag, and the supervisor's lists."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from lianban.accounts.models import Applicant
from lianban.applications.models import MaterialFile
from lianban.cases import clocks
from lianban.cases.models import ItemCase
from lianban.cases.transitions import allowed_actions
from lianban.common.errors import DomainError
from lianban.integration.auth import ClientContext
from lianban.integration.models import ApiCall, ClientSystem, WebhookDelivery
from lianban.workbench import selectors as workbench


class NotFound(DomainError):
    code = "not_found"
    status = 404


def cases_of(context: ClientContext) -> QuerySet[ItemCase]:
    """The department's cases; none for a lower node's client, which reads only the cases
    it forwarded, through ``/node/cases``."""
    if context.department_id is None:
        return ItemCase.objects.none()
    return ItemCase.objects.filter(department_id=context.department_id)


def case_list(
    context: ClientContext,
    *,
    statuses: list[str],
    item_code: str = "",
    due_before: dt.date | None = None,
    due_after: dt.date | None = None,
) -> QuerySet[ItemCase]:
    """The department's cases, most urgent first (by the running clock's due date, kept on
    the case and indexed with the department)."""
    qs = cases_of(context)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if item_code:
        qs = qs.filter(item_code=item_code)
    if due_before:
        qs = qs.filter(running_due__lte=due_before)
    if due_after:
        qs = qs.filter(running_due__gte=due_after)
    return qs.order_by(F("running_due").asc(nulls_last=True), "pk")


def list_page(qs: QuerySet[ItemCase], offset: int, limit: int) -> list[dict[str, Any]]:
    """One page of the list as plain rows, read as tuples (the list is the API's busiest
    call: no model instances, one query)."""
    rows = qs.values_list(
        "pk",
        "status",
        "outcome",
        "item_code",
        "item_name",
        "application__receipt_number",
        "application__applicant__kind",
        "application__applicant__name",
        "application__applicant__id_number",
        "application__applicant__credit_code",
        "running_due",
        "extended",
        "dispatched_at",
    )[offset : offset + limit]
    return [
        {
            "id": pk,
            "status": status,
            "outcome": outcome,
            "item_code": item_code,
            "item_name": item_name,
            "receipt_number": receipt or "",
            "applicant_name": name,
            "applicant_identifier": Applicant.mask(kind, id_number, credit_code),
            "running_due": running_due,
            "extended": extended,
            "dispatched_at": dispatched_at,
        }
        for (
            pk,
            status,
            outcome,
            item_code,
            item_name,
            receipt,
            kind,
            name,
            id_number,
            credit_code,
            running_due,
            extended,
            dispatched_at,
        ) in rows
    ]


def case_for(context: ClientContext, case_id: int) -> ItemCase:
    """The case, if it is the client's department's; 404 otherwise (another department's
    case is not told apart from one that does not exist)."""
    case = (
        cases_of(context)
        .select_related(
            "application__applicant", "application__bundle_version", "item", "department"
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("未找到该办件。", path="case_id")
    return case


def _file(f: MaterialFile, case: ItemCase) -> dict[str, Any]:
    return {
        "id": f.pk,
        "version": f.version,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "evidence": f.evidence,
        "uploaded_at": f.uploaded_at,
        "download": f"/api/v1/cases/{case.pk}/materials/{f.pk}",
    }


def case_detail(case: ItemCase) -> dict[str, Any]:
    """One case as the API shows it: its state and clocks, and only the form fields and
    materials its own item needs (the minimum necessary)."""
    today = timezone.localdate()
    item = workbench.item_definition(case)
    fields = workbench.visible_fields(case, item)
    form_data = case.application.form_data or {}
    applicant = case.application.applicant
    return {
        "id": case.pk,
        "status": case.status,
        "status_label": case.get_status_display(),
        "outcome": case.outcome,
        "reason": case.reason,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "department": {"code": case.department.code, "name": case.department.name},
        "receipt_number": case.application.receipt_number or "",
        "bundle_name": case.application.bundle_version.snapshot.get("name", ""),
        "applicant": {
            "kind": applicant.kind,
            "name": applicant.name,
            "identifier": applicant.identifier
            if workbench.identity_visible(case, fields)
            else applicant.masked_identifier,
        },
        "dispatched_at": case.dispatched_at,
        "accepted_at": case.accepted_at,
        "decided_at": case.decided_at,
        "returned_at": case.returned_at,
        "extended": case.extended,
        "running_due": case.running_due,
        "clocks": [
            {
                "kind": row["clock"].kind,
                "started_on": row["clock"].started_on,
                "limit_days": row["clock"].limit_days,
                "due": row["clock"].due,
                "provisional": row["clock"].provisional,
                "paused_days": row["clock"].paused_days,
                "extended_days": row["clock"].extended_days,
                "stopped_at": row["clock"].stopped_at,
                "light": clocks.light(row["clock"], today),
            }
            for row in workbench.case_clocks(case, today)
        ],
        "fields": [
            {
                "key": f["key"],
                "label": f["label"],
                "type": f["type"],
                "value": form_data.get(f["key"]),
            }
            for f in fields
        ],
        "materials": [
            {
                "code": m["code"],
                "name": m["name"],
                "secondary": m["secondary"],
                "files": [_file(f, case) for f in [m["current"], *m["older"]] if f is not None],
                "committed_by": m["commitment"].due if m["commitment"] else None,
            }
            for m in workbench.visible_materials(case, item)
        ],
        "results": [
            {"id": d.pk, "kind": d.kind, "title": d.title, "number": d.number, "sha256": d.sha256}
            for d in case.results.order_by("pk")
        ],
        "allowed_commands": allowed_actions(case),
    }


def canonical_json(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)


def etag_of_json(content: str) -> str:
    return '"' + hashlib.sha256(content.encode()).hexdigest()[:32] + '"'


def etag_of(body: Any) -> str:
    """A strong ETag over the representation itself: it changes exactly when what the
    client would read changes."""
    return etag_of_json(canonical_json(body))


def material_file(case: ItemCase, file_id: int) -> MaterialFile:
    found = MaterialFile.objects.filter(
        pk=file_id,
        application_id=case.application_id,
        material_code__in=list(case.item.material_codes),
    ).first()
    if found is None:
        raise NotFound("未找到该材料文件。", path="file_id")
    return found


# ---- The supervisor's pages --------------------------------------------------------------


def clients() -> QuerySet[ClientSystem]:
    return ClientSystem.objects.select_related("department").order_by(
        "revoked_at", "department__code", "name"
    )


def recent_calls(client: ClientSystem, limit: int = 20) -> QuerySet[ApiCall]:
    return ApiCall.objects.filter(client=client).order_by("-occurred_at", "-id")[:limit]


def deliveries(status: str = "", client_id: int | None = None) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("subscription__client__department")
    if status in WebhookDelivery.Status.values:
        qs = qs.filter(status=status)
    if client_id:
        qs = qs.filter(subscription__client_id=client_id)
    return qs.order_by("-created_at", "-id")
