"""The upstream node's side of 互联互通: a lower node (a district lianban) forwards one item
of an application it received, and this node makes it an application of its own, received
at once (the lower node's window already reviewed the materials and issued the receipt),
with one case for that item, dispatched to the department its own catalog names.

The lower node hears what happens to the case through a webhook subscription of its client
system: :func:`forwarded_client_of` tells the outbox which node a case came from."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import Applicant
from lianban.applications import numbers
from lianban.applications.models import Application, ApplicationItem, MaterialFile
from lianban.applications.services import store_material
from lianban.audit.services import appended_together, record_event
from lianban.cases.models import ItemCase
from lianban.cases.services import dispatch_application
from lianban.catalog.models import Department
from lianban.catalog.planner import PlanError, make_plan
from lianban.catalog.selectors import definition_of, published_version
from lianban.common.errors import DomainError, NotAllowed
from lianban.common.identity import validate_credit_code, validate_phone, validate_resident_id
from lianban.common.text import clean_text
from lianban.integration.models import ClientSystem, ForwardedApplication


def forwarded_client_of(receipt_number: str) -> int | None:
    """The node client whose forwarded application this is, if any."""
    if not receipt_number:
        return None
    return (
        ForwardedApplication.objects.filter(application__receipt_number=receipt_number)
        .values_list("client_id", flat=True)
        .first()
    )


def _checked(check: Any, value: Any, path: str) -> Any:
    try:
        return check(str(value or ""))
    except ValidationError as exc:
        raise DomainError(exc.messages[0], path=path) from exc


def _applicant(data: dict[str, Any]) -> Applicant:
    """The applicant as this node knows them (by identity number or credit code), or a new
    one; the lower node verified their identity."""
    kind = data.get("kind")
    if kind not in Applicant.Kind.values:
        raise DomainError("申请人类型有误。", path="applicant.kind")
    name = clean_text(data.get("name"), max_length=128, path="applicant.name", label="申请人")
    phone = _checked(validate_phone, data.get("phone"), "applicant.phone")
    if kind == Applicant.Kind.NATURAL:
        number = _checked(validate_resident_id, data.get("id_number"), "applicant.id_number")
        found = Applicant.objects.filter(kind=kind, id_number=number).order_by("pk").first()
        return found or Applicant.objects.create(
            kind=kind, name=name, id_number=number, phone=phone
        )
    code = _checked(validate_credit_code, data.get("credit_code"), "applicant.credit_code").value
    found = Applicant.objects.filter(kind=kind, credit_code=code).order_by("pk").first()
    return found or Applicant.objects.create(
        kind=kind,
        name=name,
        credit_code=code,
        phone=phone,
        legal_representative=str(data.get("legal_representative") or "")[:64],
        legal_representative_id=str(data.get("legal_representative_id") or "")[:18],
    )


@transaction.atomic
@appended_together()
def forwarded_receive(*, client: ClientSystem, payload: dict[str, Any]) -> ItemCase:
    """Make the forwarded item a received application with one dispatched case. A second
    call for the same original case returns the case made the first time."""
    if client.kind != ClientSystem.Kind.NODE:
        raise NotAllowed("只有下级联办平台可以转送办件。")
    origin = payload.get("origin") or {}
    origin_case = origin.get("case_id")
    if not isinstance(origin_case, int) or origin_case < 1:
        raise DomainError("缺少原办件编号。", path="origin.case_id")
    done = (
        ForwardedApplication.objects.filter(client=client, origin_case_id=origin_case)
        .select_related("application")
        .first()
    )
    if done is not None:
        return ItemCase.objects.get(application=done.application)
    version = published_version(str(payload.get("bundle_code") or ""))
    if version is None:
        raise DomainError("本平台未发布该一件事。", path="bundle_code")
    try:
        plan = make_plan(definition_of(version), payload.get("answers") or {})
    except PlanError as exc:
        raise DomainError("情形回答有误。", errors=exc.errors) from exc
    item_code = payload.get("item_code")
    item = next((i for i in plan.items if i["code"] == item_code), None)
    if item is None:
        raise DomainError("按情形回答，该一件事不含此事项。", path="item_code")
    department = Department.objects.filter(code=item["department"]["code"]).first()
    if department is None:
        raise DomainError("本平台没有办理该事项的部门。", path="item_code")
    field_keys = [f["key"] for f in item["fields"]]
    form = payload.get("form") or {}
    account = client.service_account
    now = timezone.now()
    application = Application.objects.create(
        bundle_version=version,
        applicant=_applicant(payload.get("applicant") or {}),
        channel=Application.Channel.NODE,
        status=Application.Status.RECEIVED,
        answers={k: sorted(v) for k, v in plan.answers.items()},
        item_codes=[item["code"]],
        form_data={k: form[k] for k in field_keys if k in form},
        created_by=account,
        receipt_number=numbers.next_receipt_number(timezone.localdate(now)),
        submitted_at=now,
        received_at=now,
        received_by=account,
        received_window=client.name[:32],
    )
    receipt = clean_text(
        origin.get("receipt_number"),
        max_length=20,
        path="origin.receipt_number",
        label="原收件编号",
    )
    ForwardedApplication.objects.create(
        application=application,
        client=client,
        origin_receipt_number=receipt,
        origin_case_id=origin_case,
    )
    record_event(
        actor=account,
        verb="application.forwarded_in",
        target=application,
        data={
            "client_id": client.client_id,
            "origin_receipt_number": receipt,
            "origin_case_id": origin_case,
            "item": item["code"],
        },
    )
    allowed = {m["code"] for m in item["materials"]}
    for n, m in enumerate(payload.get("materials") or []):
        code = m.get("code")
        if code not in allowed:
            raise DomainError("该事项不需要此材料。", path=f"materials[{n}].code")
        try:
            content = base64.b64decode(m.get("content_base64") or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError("材料内容不是有效的 Base64。", path=f"materials[{n}]") from exc
        evidence = m.get("evidence")
        store_material(
            application=application,
            material_code=code,
            stream=io.BytesIO(content),
            name=str(m.get("name") or code),
            actor=account,
            evidence=evidence if evidence in MaterialFile.Evidence.values else "C",
        )
    ApplicationItem.objects.create(
        application=application,
        item_code=item["code"],
        item_name=item["name"],
        department=department,
        position=0,
        after=[],  # the lower node forwards an item once its prerequisites are decided
        promised_limit_days=item["promised_limit_days"],
        field_keys=field_keys,
        material_codes=sorted(allowed),
    )
    (case,) = dispatch_application(application=application, actor=account)
    return case
