"""Writes of the sharing app: the applicant's consent (given, revoked), the prefill it allows
(form values and 免提交 materials at evidence level A, each with its source), and the
electronic licences entered when a department returns a result.

Reads of shared data by departments are in :mod:`lianban.sharing.selectors`
(:func:`read_for_case`), which logs each one."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import Applicant, User
from lianban.applications import formdata
from lianban.applications.models import Application, MaterialFile
from lianban.applications.selectors import current_files, plan_of
from lianban.applications.services import store_material
from lianban.audit.models import Event
from lianban.audit.services import appended_together, record_event
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.common.identity import validate_resident_id
from lianban.sharing import licences, prefill
from lianban.sharing.models import AccessLog, Consent, DataItem, ELicence, SharedMaterial
from lianban.sharing.registries import RegistryError, registry_for

S = Application.Status


@dataclass
class PrefillReport:
    fields: dict[str, str] = field(default_factory=dict)  # field key → source department
    materials: dict[str, str] = field(default_factory=dict)  # material code → source
    failures: list[str] = field(default_factory=list)  # what could not be fetched, and why


def _check_verified(application: Application, actor: Any) -> Applicant:
    """Identity verification: the applicant signed in, and their identity number is valid."""
    applicant = application.applicant
    if getattr(actor, "role", None) != User.Role.APPLICANT or applicant.user_id != actor.pk:
        raise NotAllowed("只有申请人本人可以授权使用共享数据。")
    try:
        if applicant.kind == Applicant.Kind.NATURAL:
            validate_resident_id(applicant.id_number)
        elif not applicant.credit_code:
            raise ValidationError("缺少统一社会信用代码")
    except ValidationError:
        raise DomainError("您的身份信息未通过核验，不能使用共享数据，请上传材料。") from None
    return applicant


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant")
        .get(pk=application.pk)
    )


@transaction.atomic
@appended_together()
def consent_give(*, application: Application, actor: Any) -> tuple[Consent, PrefillReport]:
    """The applicant agrees, for this application, that the platform fetches their data from
    the shared-data directory: the form is prefilled (blank fields only) and materials the
    platform can obtain are recorded as 免提交 at evidence level A."""
    application = _lock(application)
    applicant = _check_verified(application, actor)
    if application.status != S.DRAFT:
        raise TransitionError("申请已提交，不能再授权预填。")
    if Consent.objects.filter(application=application, revoked_at__isnull=True).exists():
        raise TransitionError("本申请已授权使用共享数据，无需重复授权。")
    now = timezone.now()
    consent, _ = Consent.objects.update_or_create(
        application=application,
        defaults={"given_by": actor, "given_at": now, "revoked_at": None, "prefilled": {}},
    )
    report = _prefill(application, applicant, consent, actor)
    record_event(
        actor=actor,
        verb="sharing.consent_given",
        target=application,
        data={
            "fields": sorted(report.fields),
            "materials": sorted(report.materials),
            "failures": len(report.failures),
        },
    )
    return consent, report


@transaction.atomic
@appended_together()
def consent_revoke(*, application: Application, actor: Any) -> Consent:
    """The applicant takes the consent back before submitting: the 免提交 materials are
    removed (to be uploaded instead) and prefilled values not changed since are cleared."""
    application = _lock(application)
    if application.applicant.user_id != getattr(actor, "pk", None):
        raise NotAllowed("只有申请人本人可以撤回共享授权。")
    consent = Consent.objects.select_for_update().filter(application=application).first()
    if consent is None or not consent.active:
        raise TransitionError("本申请没有有效的共享授权。")
    if application.status != S.DRAFT:
        raise TransitionError("申请已提交，共享授权不能再撤回。")
    removed = []
    for shared in SharedMaterial.objects.filter(
        material_file__application=application
    ).select_related("material_file"):
        removed.append(shared.material_file.material_code)
        stored = shared.material_file
        shared.delete()
        stored.file.delete(save=False)
        stored.delete()
    cleared = []
    for key, entry in consent.prefilled.items():
        if application.form_data.get(key) == entry.get("value"):
            application.form_data.pop(key, None)
            cleared.append(key)
    application.save(update_fields=["form_data", "updated_at"])
    consent.revoked_at = timezone.now()
    consent.prefilled = {}
    consent.save(update_fields=["revoked_at", "prefilled"])
    record_event(
        actor=actor,
        verb="sharing.consent_revoked",
        target=application,
        data={"materials": sorted(removed), "fields": sorted(cleared)},
    )
    return consent


def _fetch(
    item: DataItem, applicant: Applicant, application: Application, actor: Any, purpose: str
) -> dict[str, Any] | None:
    """The applicant's own record of ``item``, with the read logged (failures too)."""
    log = AccessLog(
        reader=actor,
        department=None,
        data_item=item,
        subject=applicant,
        subject_masked=applicant.masked_identifier,
        application=application,
        fields=item.field_keys(),
        purpose=purpose,
    )
    try:
        record = registry_for(item).fetch(item, applicant.identifier)
    except RegistryError as exc:
        log.outcome, log.reason = AccessLog.Outcome.FAILED, exc.message[:300]
        log.save()
        raise
    log.outcome = AccessLog.Outcome.ALLOWED
    log.reason = "" if record else "无记录"
    log.save()
    return record


def _prefill(
    application: Application, applicant: Applicant, consent: Consent, actor: Any
) -> PrefillReport:
    plan = plan_of(application)
    keys = {f["key"]: f for f in plan.fields}
    codes = {m["code"] for m in plan.materials}
    have = set(current_files(application))
    report = PrefillReport()
    purpose = f"申请人授权预填：{application.bundle_name}"
    records: dict[str, tuple[DataItem, dict[str, Any]]] = {}
    for item in (
        DataItem.objects.exclude(sharing_class=DataItem.SharingClass.NONE)
        .filter(licence_type_code="")
        .select_related("provider", "registry")
    ):
        if not prefill.is_useful(item, keys, codes - have):
            continue
        try:
            record = _fetch(item, applicant, application, actor, purpose)
        except RegistryError as exc:
            report.failures.append(exc.message)
            continue
        if record:
            records[item.code] = (item, record)

    values = prefill.form_values(records, applicant, keys)
    for key, (value, item) in values.items():
        if not formdata.is_blank(application.form_data.get(key)):
            continue  # what the applicant typed wins
        try:
            value, _ = formdata.clean_value(keys[key], value)
        except ValidationError:
            continue
        application.form_data[key] = value
        consent.prefilled[key] = {"value": value, "source": item.provider.name, "item": item.code}
        report.fields[key] = item.provider.name
    application.save(update_fields=["form_data", "updated_at"])
    consent.save(update_fields=["prefilled"])

    for item, record in records.values():
        for code in item.satisfies_materials:
            if code in codes and code not in have and code not in report.materials:
                _share_material(application, code, item, record, actor)
                report.materials[code] = item.provider.name
    for licence in licences.of_holder(applicant):
        for code in licence.data_item.satisfies_materials:
            if code in codes and code not in have and code not in report.materials:
                _share_licence(application, code, licence, actor)
                report.materials[code] = f"{licence.issuer.name}（电子证照）"
    return report


def _share_material(
    application: Application, code: str, item: DataItem, record: dict[str, Any], actor: Any
) -> MaterialFile:
    pdf = prefill.verification_pdf(application, item, record)
    stored = store_material(
        application=application,
        material_code=code,
        stream=io.BytesIO(pdf),
        name=f"{code}-{item.provider.code}-shared.pdf",
        actor=actor,
        evidence=MaterialFile.Evidence.A,
    )
    SharedMaterial.objects.create(
        material_file=stored, data_item=item, source=item.provider, fetched_at=timezone.now()
    )
    return stored


def _share_licence(
    application: Application, code: str, licence: ELicence, actor: Any
) -> MaterialFile:
    with licence.result.file.open("rb") as f:
        content = io.BytesIO(f.read())
    stored = store_material(
        application=application,
        material_code=code,
        stream=content,
        name=f"{code}-{licence.identifier}.pdf",
        actor=actor,
        evidence=MaterialFile.Evidence.A,
    )
    SharedMaterial.objects.create(
        material_file=stored,
        data_item=licence.data_item,
        source=licence.issuer,
        licence=licence,
        fetched_at=timezone.now(),
    )
    return stored


def enter_licences(events: list[Event]) -> None:
    """audit.on_events listener: when a case's results reach the window, each result of an
    item that issues an e-licence type enters the directory as an :class:`ELicence`."""
    for event in events:
        _enter_licences_of(event)


def _enter_licences_of(event: Event) -> None:
    if event.verb != "case.result_returned":
        return
    from lianban.cases.models import ItemCase

    case = (
        ItemCase.objects.select_related("application__applicant", "department")
        .filter(pk=event.target_id)
        .first()
    )
    if case is None:
        return
    for item in DataItem.objects.exclude(licence_type_code=""):
        if case.item_code not in item.issuing_items:
            continue
        for result in case.results.filter(licence__isnull=True):
            licence = ELicence.objects.create(
                identifier=licences.next_identifier(item.licence_type_code, case.department),
                data_item=item,
                holder=case.application.applicant,
                issuer=case.department,
                title=result.title,
                number=result.number,
                result=result,
                issued_at=timezone.now(),
            )
            record_event(
                actor=None,
                verb="sharing.licence_entered",
                target=licence,
                data={"identifier": licence.identifier, "case": case.pk, "item": item.code},
            )
