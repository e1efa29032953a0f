"""Intake: starting an application, filling the one form, handing in the one set of
materials, submitting, and the window's review — receipt, one-time correction notice, or
容缺 acceptance — ending in the hand-over of each item to its department.

Every function that changes an application's state locks it, checks the transition in
:mod:`lianban.applications.transitions`, and writes the audit event and the notifications in
the same transaction, appending its events at its end
(:func:`~lianban.audit.services.appended_together`), so that the audit chain's head is not held
while it works (a notice sealed, a file stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lianban.accounts.models import Applicant, User
from lianban.applications import formdata, notices, numbers
from lianban.applications.files import CheckedFile, check_upload
from lianban.applications.models import (
    Application,
    ApplicationItem,
    Commitment,
    MaterialFile,
    MaterialReview,
    Notice,
)
from lianban.applications.selectors import (
    correctable,
    current_files,
    fields_by_key,
    materials_by_code,
    open_correction,
    plan_of,
    supplement_limit,
)
from lianban.applications.transitions import EDITABLE, target_status
from lianban.audit.services import appended_together, before_append, record_event
from lianban.catalog.models import Department
from lianban.catalog.planner import PlanError, make_plan
from lianban.catalog.selectors import definition_of, published_version
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.common.identity import mask_credit_code, mask_phone, mask_resident_id
from lianban.common.text import clean_text
from lianban.notifications.services import notify_applicant
from lianban.workdays.selectors import add_workdays

S = Application.Status


def _today() -> dt.date:
    return timezone.localdate()


def _is_clerk(actor: Any) -> bool:
    return getattr(actor, "role", None) == User.Role.CLERK or getattr(actor, "is_superuser", False)


def _check_actor(application: Application, actor: Any) -> None:
    """Who may fill and change an application: the applicant, online; the clerk, for an
    application taken at the window. A clerk never edits an online applicant's data."""
    if _is_clerk(actor):
        if application.channel == Application.Channel.WINDOW:
            return
        raise NotAllowed("网上申请由申请人本人填写和修改，窗口人员只能审查。")
    owner = application.applicant.user_id
    if owner is None or owner != getattr(actor, "pk", None):
        raise NotAllowed("无权办理该申请。")


def _lock(application: Application) -> Application:
    # The version's snapshot is large and its compiled form is cached by (id, digest):
    # decoding it on every state change would be wasted work. Only the application's row
    # is locked.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "bundle_version")
        .defer("bundle_version__snapshot")
        .get(pk=application.pk)
    )


def _masked(field: dict[str, Any], value: Any) -> Any:
    # The audit trail keeps what changed without spreading identity numbers further.
    kind = field["type"]
    if not isinstance(value, str) or not value:
        return value
    if kind == "id_number":
        return mask_resident_id(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "credit_code":
        return mask_credit_code(value)
    return value


@transaction.atomic
@appended_together()
def application_start(
    *, bundle_code: str, answers: Any, applicant: Applicant, channel: str, actor: Any
) -> Application:
    """Open a draft for ``applicant`` under the version of the bundle now in force."""
    return open_draft(
        bundle_code=bundle_code, answers=answers, applicant=applicant, channel=channel, actor=actor
    )


def open_draft(
    *, bundle_code: str, answers: Any, applicant: Applicant, channel: str, actor: Any
) -> Application:
    """:func:`application_start` inside a caller's transaction that is rolled back whole if
    anything in it fails (一次提交): no savepoint of its own, one round trip fewer each way."""
    if channel == Application.Channel.WINDOW and not _is_clerk(actor):
        raise NotAllowed("只有窗口人员可以在窗口代为申请。")
    if channel == Application.Channel.ONLINE and applicant.user_id != getattr(actor, "pk", None):
        raise NotAllowed("只能以本人（本单位）名义在网上申请。")
    version = published_version(bundle_code)
    if version is None:
        raise DomainError(f"未找到一件事“{bundle_code}”。", path="bundle")
    definition = definition_of(version)
    subject = definition.snapshot["subject"]
    if subject != applicant.kind:
        who = "个人" if subject == "natural" else "法人及其他组织"
        raise DomainError(f"“{definition.name}”由{who}申请。", path="applicant")
    try:
        plan = make_plan(definition, answers)
    except PlanError as exc:
        raise DomainError("情形回答有误，请按提示修改。", errors=exc.errors) from exc
    application = Application.objects.create(
        bundle_version=version,
        applicant=applicant,
        channel=channel,
        answers={k: sorted(v) for k, v in plan.answers.items()},
        item_codes=plan.item_codes,
        form_data=_prefill(plan, applicant),
        created_by=actor,
    )
    record_event(
        actor=actor,
        verb="application.created",
        target=application,
        data={
            "bundle": definition.code,
            "version": version.number,
            "channel": channel,
            "items": plan.item_codes,
        },
    )
    return application


def _prefill(plan: Any, applicant: Applicant) -> dict[str, Any]:
    """What the platform already knows of the applicant, so it is not typed again — by the
    canonical field's key, never by its type: a form also asks for other people's identity
    numbers (a child's, a spouse's, a seller's) that must not be filled with the applicant's."""
    known = {
        "applicant_name": applicant.name,
        "applicant_id_number": applicant.id_number,
        "applicant_phone": applicant.phone,
        "enterprise_name": applicant.name if applicant.kind == Applicant.Kind.LEGAL else "",
        "credit_code": applicant.credit_code,
        "legal_rep_name": applicant.legal_representative,
        "legal_rep_id_number": applicant.legal_representative_id,
    }
    keys = {f["key"] for f in plan.fields}
    return {key: value for key, value in known.items() if key in keys and value}


@transaction.atomic
@appended_together()
def application_save_form(
    *, application: Application, data: dict[str, Any], actor: Any
) -> tuple[Application, list[dict[str, str]]]:
    """Validate and store some fields of the merged form. Returns the warnings (e.g. a credit
    code whose check character disagrees). A draft may be incomplete; while correcting, only
    the fields the correction notice lists may change."""
    application = _lock(application)
    _check_actor(application, actor)
    if application.status not in EDITABLE:
        raise TransitionError(f"申请当前为“{application.get_status_display()}”，不能修改申请表。")
    cleaned, warnings, errors = check_form(application, data)
    if errors:
        raise DomainError("申请表有误，请按提示修改。", errors=errors)
    if apply_form(application, cleaned, actor=actor):
        application.save(update_fields=["form_data", "updated_at"])
    return application, warnings


def check_form(
    application: Application, data: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]], list[dict[str, str]]]:
    """``data`` checked against the application's form and what it may change now: the
    cleaned values (None to clear), the warnings and the errors, each with its path."""
    fields = fields_by_key(plan_of(application))
    allowed, _ = correctable(application)
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    for key, raw in data.items():
        path = f"form.{key}"
        field = fields.get(key)
        if field is None:
            errors.append({"path": path, "message": f"申请表中没有“{key}”这一项。"})
            continue
        if key not in allowed:
            errors.append(
                {"path": path, "message": f"“{field['label']}”不在补正范围内，不能修改。"}
            )
            continue
        if formdata.is_blank(raw):
            cleaned[key] = None
            continue
        try:
            value, warning = formdata.clean_value(field, raw)
        except ValidationError as exc:
            errors.append({"path": path, "message": exc.messages[0]})
            continue
        cleaned[key] = value
        if warning:
            warnings.append({"path": path, "message": warning})
    return cleaned, warnings, errors


def apply_form(application: Application, cleaned: dict[str, Any], *, actor: Any) -> bool:
    """Put checked values into the form and record what changed; whether anything did (the
    caller saves)."""
    fields = fields_by_key(plan_of(application))
    changes = {}
    for key, value in cleaned.items():
        old = application.form_data.get(key)
        if value is None:
            application.form_data.pop(key, None)
        else:
            application.form_data[key] = value
        if old != value:
            changes[key] = {"old": _masked(fields[key], old), "new": _masked(fields[key], value)}
    if changes:
        record_event(
            actor=actor,
            verb="application.form_saved",
            target=application,
            data={"changes": changes},
        )
    return bool(changes)


@transaction.atomic
@appended_together()
def material_upload(
    *,
    application: Application,
    material_code: str,
    stream: IO[bytes],
    name: str,
    actor: Any,
    original_seen: bool = False,
) -> MaterialFile:
    """Hand in one material (a new version if one was handed in before). At the window, a
    scan of an original the clerk has seen is evidence level B; an upload is level C."""
    application = _lock(application)
    _check_actor(application, actor)
    if application.status not in EDITABLE:
        raise TransitionError(f"申请当前为“{application.get_status_display()}”，不能更改材料。")
    materials = materials_by_code(plan_of(application))
    check_needed(materials, material_code)
    _, allowed = correctable(application)
    if material_code not in allowed:
        raise DomainError(
            f"“{materials[material_code]['name']}”不在补正范围内，不能更换。",
            path=f"materials.{material_code}",
        )
    return store_material(
        application=application,
        material_code=material_code,
        stream=stream,
        name=name,
        actor=actor,
        evidence=evidence_of(actor, original_seen),
    )


def check_needed(materials: dict[str, Any], material_code: str) -> None:
    if material_code not in materials:
        raise DomainError("本申请不需要这份材料。", path=f"materials.{material_code}")


def evidence_of(actor: Any, original_seen: bool) -> str:
    """A scan of an original the clerk has seen is level B; anything else uploaded is C."""
    if original_seen and _is_clerk(actor):
        return MaterialFile.Evidence.B
    return MaterialFile.Evidence.C


def store_material(
    *,
    application: Application,
    material_code: str,
    stream: IO[bytes],
    name: str,
    actor: Any,
    evidence: str,
) -> MaterialFile:
    """Check a file and keep it as the next version of one material of an application, with
    its audit event. The caller has locked the application and decided this may happen."""
    checked = check_material(stream, name, material_code)
    version = (
        application.material_files.filter(material_code=material_code).aggregate(v=Max("version"))[
            "v"
        ]
        or 0
    ) + 1
    stored = _kept(application, material_code, version, stream, name, checked, actor, evidence)
    stored.save()
    # A verdict was about the file reviewed, not whatever comes after it.
    MaterialReview.objects.filter(
        application=application, round=application.review_round, material_code=material_code
    ).delete()
    return stored


def check_material(stream: IO[bytes], name: str, material_code: str) -> CheckedFile:
    try:
        return check_upload(stream, name)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], path=f"materials.{material_code}") from exc


def store_first_versions(
    *,
    application: Application,
    files: list[tuple[str, IO[bytes], str, CheckedFile]],
    actor: Any,
    evidence: str,
) -> list[MaterialFile]:
    """Keep checked files ((material code, file, its name, check)) as the first version of
    each material of a draft opened in this transaction — no earlier version, no verdict to
    clear — in one INSERT, with their audit events. If one cannot be kept, none stays on disk."""
    kept: list[MaterialFile] = []
    try:
        for code, stream, name, checked in files:
            kept.append(_kept(application, code, 1, stream, name, checked, actor, evidence))
        return MaterialFile.objects.bulk_create(kept)
    except BaseException:
        discard_files(kept)
        raise


def discard_files(stored: Iterable[MaterialFile]) -> None:
    """Remove from storage the files of rows that the failing transaction will not keep."""
    for material in stored:
        material.file.delete(save=False)


def _kept(
    application: Application,
    material_code: str,
    version: int,
    stream: IO[bytes],
    name: str,
    checked: CheckedFile,
    actor: Any,
    evidence: str,
) -> MaterialFile:
    """The file written to storage, its row still to be saved, and its event recorded."""
    stored = MaterialFile(
        application=application,
        material_code=material_code,
        version=version,
        original_name=name[-200:],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        evidence=evidence,
        uploaded_by=actor,
    )
    stream.seek(0)
    stored.file.save(
        f"{application.pk}-{material_code}-v{version}.{checked.kind}", File(stream), save=False
    )
    record_event(
        actor=actor,
        verb="application.material_uploaded",
        target=application,
        data={
            "material": material_code,
            "version": version,
            "sha256": checked.sha256,
            "size": checked.size,
            "evidence": evidence,
        },
    )
    return stored


def _completeness_errors(
    application: Application, *, secondary_may_miss: bool, files: Iterable[str] | None = None
) -> list[dict]:
    """What is still missing; ``files``, the codes of the materials handed in, when the caller
    knows them."""
    plan = plan_of(application)
    errors = []
    for field in plan.fields:
        if field["required"] and formdata.is_blank(application.form_data.get(field["key"])):
            errors.append(
                {"path": f"form.{field['key']}", "message": f"请填写“{field['label']}”。"}
            )
    files = set(current_files(application) if files is None else files)
    for m in plan.materials:
        if m["code"] not in files and not (secondary_may_miss and m["secondary"]):
            errors.append({"path": f"materials.{m['code']}", "message": f"请上传“{m['name']}”。"})
    return errors


@transaction.atomic
@appended_together()
def application_submit(*, application: Application, actor: Any) -> Application:
    """Submit an online application: it gets its receipt number and the window has one
    working day to receive it or to send one correction notice. Submitting again changes
    nothing and says so."""
    application = _lock(application)
    _check_actor(application, actor)
    if application.status != S.DRAFT and application.receipt_number:
        raise TransitionError(
            f"该申请已于{timezone.localtime(application.submitted_at):%Y-%m-%d %H:%M}提交，"
            f"收件编号 {application.receipt_number}，无需重复提交。",
            path="status",
        )
    if application.channel != Application.Channel.ONLINE:
        raise DomainError("窗口申请由窗口人员直接收件或一次性告知补正。")
    return submit_checked(application=application, actor=actor)


def submit_checked(
    *,
    application: Application,
    actor: Any,
    files: Iterable[str] | None = None,
    numbered_last: bool = False,
) -> Application:
    """:func:`application_submit` once the caller has locked the online application (or
    opened it in this transaction) and checked who submits it; ``files`` as for
    :func:`_completeness_errors`.

    Every submission of the day waits for the day's receipt counter until the one holding it
    commits. ``numbered_last``: the number is taken, and the application written, as the
    change's events are appended (:func:`~lianban.audit.services.before_append`), so that the
    counter is held with the chain's head for the last moment of the change only, not while
    the caller goes on (lays out its answer). Until the caller's ``appended_together`` block
    ends, ``receipt_number`` is then empty and the row unchanged: submission must be the last
    step of that block."""
    new_status = target_status(application, "submit")
    errors = _completeness_errors(application, secondary_may_miss=True, files=files)
    if errors:
        raise DomainError("申请还不完整，请按提示补充后再提交。", errors=errors)
    now = timezone.now()
    application.status = new_status
    application.submitted_at = now
    _set_intake_clock(application)

    def number_and_write() -> None:
        application.receipt_number = numbers.next_receipt_number(timezone.localdate(now))
        application.save()
        record_event(
            actor=actor,
            verb="application.submitted",
            target=application,
            data={
                "receipt_number": application.receipt_number,
                "intake_due": (
                    application.intake_due.isoformat() if application.intake_due else None
                ),
            },
        )
        notify_applicant(
            application.applicant,
            f"您的“{application.bundle_name}”申请已提交，收件编号 "
            f"{application.receipt_number}，窗口将在1个工作日内审查。",
            link=f"/applications/{application.pk}/",
        )

    if numbered_last:
        before_append(number_and_write)
    else:
        number_and_write()
    return application


def _set_intake_clock(application: Application) -> None:
    due = add_workdays(_today(), 1)
    application.intake_due = due.date
    application.intake_due_provisional = due.provisional


@transaction.atomic
@appended_together()
def material_review(
    *, application: Application, material_code: str, verdict: str, reason: str = "", actor: Any
) -> MaterialReview:
    """The clerk's verdict on one material in the current review round."""
    application = _lock(application)
    if not _is_clerk(actor):
        raise NotAllowed("只有窗口人员可以审查材料。")
    if application.status not in {S.SUBMITTED, S.DRAFT}:
        raise TransitionError(f"申请当前为“{application.get_status_display()}”，不能审查材料。")
    if application.status == S.DRAFT and application.channel != Application.Channel.WINDOW:
        raise TransitionError("网上申请提交后才能审查。")
    materials = materials_by_code(plan_of(application))
    if material_code not in materials:
        raise DomainError("本申请不需要这份材料。", path="material")
    if verdict not in MaterialReview.Verdict.values or verdict == MaterialReview.Verdict.DEFERRED:
        raise DomainError("审查结论无效。", path="verdict")
    reason = clean_text(reason, max_length=300, path="reason", label="理由", required=False)
    if verdict == MaterialReview.Verdict.IRREGULAR and not reason.strip():
        raise DomainError("材料不符合要求时必须写明理由。", path="reason")
    if verdict == MaterialReview.Verdict.ACCEPTED and material_code not in current_files(
        application
    ):
        raise DomainError("该材料尚未提交，不能认定为合格。", path="verdict")
    review, _ = MaterialReview.objects.update_or_create(
        application=application,
        round=application.review_round,
        material_code=material_code,
        defaults={"verdict": verdict, "reason": reason.strip(), "reviewed_by": actor},
    )
    record_event(
        actor=actor,
        verb="application.material_reviewed",
        target=application,
        data={
            "material": material_code,
            "round": application.review_round,
            "verdict": verdict,
            "reason": reason.strip(),
        },
    )
    return review


def _round_reviews(application: Application) -> dict[str, MaterialReview]:
    return {r.material_code: r for r in application.reviews.filter(round=application.review_round)}


@transaction.atomic
@appended_together()
def application_request_correction(
    *, application: Application, actor: Any, fields: list[dict[str, str]] | None = None
) -> Notice:
    """Send one notice listing everything to correct (一次性告知): every material of this
    round found missing or irregular, and the form fields the clerk names with a reason."""
    application = _lock(application)
    if not _is_clerk(actor):
        raise NotAllowed("只有窗口人员可以出具补正告知。")
    new_status = target_status(application, "request_correction")
    plan = plan_of(application)
    materials = materials_by_code(plan)
    plan_fields = fields_by_key(plan)
    reviews = _round_reviews(application)
    to_fix = [
        {
            "code": code,
            "name": materials[code]["name"],
            "problem": r.verdict,
            "reason": r.reason or ("缺少该材料" if r.verdict == "missing" else ""),
        }
        for code, r in reviews.items()
        if r.verdict in {MaterialReview.Verdict.MISSING, MaterialReview.Verdict.IRREGULAR}
    ]
    field_errors, field_fixes = [], []
    for n, f in enumerate(fields or []):
        key = f.get("key", "")
        try:
            reason = clean_text(
                f.get("reason"),
                max_length=300,
                path=f"fields[{n}].reason",
                label="补正要求",
                required=False,
            )
        except DomainError as exc:
            field_errors += exc.errors
            continue
        if key not in plan_fields:
            field_errors.append({"path": f"fields[{n}].key", "message": f"申请表中没有“{key}”。"})
        elif not reason:
            field_errors.append(
                {
                    "path": f"fields[{n}].reason",
                    "message": f"请写明“{plan_fields[key]['label']}”需要如何补正。",
                }
            )
        else:
            field_fixes.append({"key": key, "label": plan_fields[key]["label"], "reason": reason})
    if field_errors:
        raise DomainError("补正内容有误。", errors=field_errors)
    if not to_fix and not field_fixes:
        raise DomainError(
            "没有需要补正的内容：请先在材料审查中标明缺少或不符合要求的材料，"
            "或指出需要更正的申请表项目。"
        )
    unreviewed = [m["name"] for m in plan.materials if m["code"] not in reviews]
    if unreviewed:
        raise DomainError(
            "请先审查全部材料，补正告知须一次性列明所有问题。尚未审查：" + "、".join(unreviewed)
        )
    _check_later_notice(application, to_fix, field_fixes)
    if application.receipt_number is None:
        application.receipt_number = numbers.next_receipt_number(_today())
        application.submitted_at = timezone.now()
    application.status = new_status
    application.review_round += 1
    application.save()
    notice = notices.issue(
        application=application,
        kind=Notice.Kind.CORRECTION,
        actor=actor,
        content={"materials": to_fix, "fields": field_fixes},
    )
    record_event(
        actor=actor,
        verb="application.correction_requested",
        target=application,
        data={
            "notice": notice.number,
            "materials": [m["code"] for m in to_fix],
            "fields": [f["key"] for f in field_fixes],
        },
    )
    notify_applicant(
        application.applicant,
        f"您的“{application.bundle_name}”申请（收件编号 {application.receipt_number}）"
        f"需要补正 {len(to_fix) + len(field_fixes)} 项，请查看补正告知书。",
        link=f"/applications/{application.pk}/",
    )
    return notice


def _check_later_notice(
    application: Application, materials: list[dict[str, Any]], fields: list[dict[str, Any]]
) -> None:
    """一次性告知: everything to correct is listed in the first notice. A later notice may
    only list what that notice asked for and is still not right (or a file handed in since),
    never something the window could have seen the first time."""
    previous = (
        application.notices.filter(kind=Notice.Kind.CORRECTION).order_by("-issued_at").first()
    )
    if previous is None:
        return
    asked = {m["code"] for m in previous.content.get("materials", [])}
    changed = set(
        application.material_files.filter(uploaded_at__gt=previous.issued_at).values_list(
            "material_code", flat=True
        )
    )
    asked_fields = {f["key"] for f in previous.content.get("fields", [])}
    new = [m["name"] for m in materials if m["code"] not in asked | changed]
    new += [f["label"] for f in fields if f["key"] not in asked_fields]
    if new:
        raise DomainError(
            "补正告知须一次性列明全部问题：再次告知只能针对上次告知中仍未补正到位的内容，"
            f"不能新增“{'、'.join(new)}”。"
        )


def _carry_forward_verdicts(application: Application, notice: Notice) -> None:
    """After a correction the window reviews only what changed: a material accepted in the
    last round and not handed in again keeps its verdict."""
    previous_round = application.review_round - 1
    changed = set(
        application.material_files.filter(uploaded_at__gt=notice.issued_at).values_list(
            "material_code", flat=True
        )
    )
    for review in application.reviews.filter(
        round=previous_round, verdict=MaterialReview.Verdict.ACCEPTED
    ):
        if review.material_code in changed:
            continue
        MaterialReview.objects.update_or_create(
            application=application,
            round=application.review_round,
            material_code=review.material_code,
            defaults={
                "verdict": MaterialReview.Verdict.ACCEPTED,
                "reason": "沿用上一轮审查结论（材料未更换）",
                "reviewed_by": review.reviewed_by,
            },
        )


@transaction.atomic
@appended_together()
def application_resubmit(*, application: Application, actor: Any) -> Application:
    """Hand the corrected application back; every point of the notice must be addressed."""
    application = _lock(application)
    _check_actor(application, actor)
    notice = open_correction(application)
    new_status = target_status(application, "resubmit")
    assert notice is not None
    errors = []
    files = current_files(application)
    for m in notice.content.get("materials", []):
        f = files.get(m["code"])
        if f is None or f.uploaded_at <= notice.issued_at:
            errors.append(
                {
                    "path": f"materials.{m['code']}",
                    "message": f"请按补正告知重新提交“{m['name']}”。",
                }
            )
    errors += [
        e for e in _completeness_errors(application, secondary_may_miss=True) if e not in errors
    ]
    if errors:
        raise DomainError("补正尚未完成。", errors=errors)
    application.status = new_status
    if application.channel == Application.Channel.ONLINE:
        _set_intake_clock(application)
    application.save()
    notice.resolved_at = timezone.now()
    notice.save(update_fields=["resolved_at"])
    _carry_forward_verdicts(application, notice)
    record_event(
        actor=actor,
        verb="application.resubmitted",
        target=application,
        data={"notice": notice.number},
    )
    return application


@transaction.atomic
@appended_together()
def application_receive(
    *, application: Application, actor: Any, commitments: list[dict[str, Any]] | None = None
) -> Notice:
    """Receive the application (收件): every material reviewed and accepted, except secondary
    ones the applicant commits in writing to hand in by a date no later than the promised
    limit of the items needing them (容缺受理). Issues the receipt and hands each item over
    to its department with only the fields and materials that item needs."""
    application = _lock(application)
    if not _is_clerk(actor):
        raise NotAllowed("只有窗口人员可以收件。")
    if application.status == S.DRAFT and application.channel != Application.Channel.WINDOW:
        raise TransitionError("网上申请须由申请人提交后才能收件。")
    new_status = target_status(application, "receive")
    plan = plan_of(application)
    materials = materials_by_code(plan)
    reviews = _round_reviews(application)
    deferred = _check_commitments(application, plan, commitments or [])
    errors = [
        e
        for e in _completeness_errors(application, secondary_may_miss=True)
        if e["path"].startswith("form.")
    ]
    for code, m in materials.items():
        verdict = reviews.get(code)
        if code in deferred:
            continue
        if verdict is None:
            errors.append({"path": f"materials.{code}", "message": f"“{m['name']}”尚未审查。"})
        elif verdict.verdict != MaterialReview.Verdict.ACCEPTED:
            errors.append(
                {
                    "path": f"materials.{code}",
                    "message": f"“{m['name']}”{verdict.get_verdict_display()}，"
                    "请出具补正告知或按容缺受理。",
                }
            )
    if errors:
        raise DomainError("还不能收件。", errors=errors)
    now = timezone.now()
    for code, c in deferred.items():
        Commitment.objects.create(
            application=application,
            material_code=code,
            material_name=materials[code]["name"],
            due=c["due"],
            statement=c["statement"],
        )
        MaterialReview.objects.update_or_create(
            application=application,
            round=application.review_round,
            material_code=code,
            defaults={
                "verdict": MaterialReview.Verdict.DEFERRED,
                "reason": f"容缺受理，承诺{c['due']:%Y年%m月%d日}前补交",
                "reviewed_by": actor,
            },
        )
    if application.receipt_number is None:
        application.receipt_number = numbers.next_receipt_number(timezone.localdate(now))
        application.submitted_at = now
    application.status = new_status
    application.received_at = now
    application.received_by = actor
    application.received_window = actor.window
    application.conditional = bool(deferred)
    application.save()
    _hand_over(application, plan)
    from lianban.cases.services import dispatch_application  # cases build on intake

    dispatch_application(application=application, actor=actor)
    if deferred:
        notices.issue(
            application=application,
            kind=Notice.Kind.COMMITMENT,
            actor=actor,
            content={
                "commitments": [
                    {
                        "code": code,
                        "name": materials[code]["name"],
                        "due": c["due"].isoformat(),
                        "statement": c["statement"],
                    }
                    for code, c in deferred.items()
                ]
            },
        )
    receipt = notices.issue(
        application=application,
        kind=Notice.Kind.RECEIPT,
        actor=actor,
        content=notices.receipt_content(application, plan),
    )
    record_event(
        actor=actor,
        verb="application.received",
        target=application,
        data={
            "receipt": receipt.number,
            "conditional": bool(deferred),
            "deferred": sorted(deferred),
            "items": plan.item_codes,
        },
    )
    notify_applicant(
        application.applicant,
        f"您的“{application.bundle_name}”申请已收件（收件编号 "
        f"{application.receipt_number}），已分送各部门办理。",
        link=f"/applications/{application.pk}/",
    )
    return receipt


def _check_commitments(
    application: Application, plan: Any, commitments: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    materials = materials_by_code(plan)
    files = current_files(application)
    out: dict[str, dict[str, Any]] = {}
    errors = []
    for n, c in enumerate(commitments):
        code = c.get("material", "")
        path = f"commitments[{n}]"
        m = materials.get(code)
        if m is None:
            errors.append({"path": f"{path}.material", "message": "本申请不需要这份材料。"})
            continue
        if not m["secondary"]:
            errors.append(
                {"path": f"{path}.material", "message": f"“{m['name']}”是主要材料，不能容缺受理。"}
            )
            continue
        if code in files:
            errors.append({"path": f"{path}.material", "message": f"“{m['name']}”已经提交。"})
            continue
        statement = str(c.get("statement") or "").strip()
        if not statement:
            errors.append(
                {"path": f"{path}.statement", "message": f"请记录申请人对“{m['name']}”的书面承诺。"}
            )
            continue
        due = c.get("due")
        if isinstance(due, str):
            try:
                due = dt.date.fromisoformat(due)
            except ValueError:
                due = None
        if not isinstance(due, dt.date):
            errors.append({"path": f"{path}.due", "message": "请填写承诺补交日期。"})
            continue
        limit_days, latest = supplement_limit(plan, code, _today())
        if due < _today() or due > latest:
            errors.append(
                {
                    "path": f"{path}.due",
                    "message": f"承诺补交日期应在今天至{latest:%Y年%m月%d日}之间"
                    f"（不晚于相关事项的承诺时限{limit_days}个工作日）。",
                }
            )
            continue
        out[code] = {"due": due, "statement": statement}
    if errors:
        raise DomainError("容缺受理信息有误。", errors=errors)
    return out


def _hand_over(application: Application, plan: Any) -> None:
    departments = {
        d.code: d
        for d in Department.objects.filter(code__in={i["department"]["code"] for i in plan.items})
    }
    ApplicationItem.objects.bulk_create(
        ApplicationItem(
            application=application,
            item_code=i["code"],
            item_name=i["name"],
            department=departments[i["department"]["code"]],
            position=n,
            after=[c for c in i["after"] if c in plan.finish],
            promised_limit_days=i["promised_limit_days"],
            field_keys=[f["key"] for f in i["fields"]],
            material_codes=[m["code"] for m in i["materials"]],
        )
        for n, i in enumerate(plan.items)
    )


@transaction.atomic
@appended_together()
def application_withdraw(*, application: Application, actor: Any, reason: str = "") -> Application:
    """The applicant takes the application back before it is received."""
    application = _lock(application)
    _check_actor(application, actor)
    old = application.status
    application.status = target_status(application, "withdraw")
    application.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        verb="application.withdrawn",
        target=application,
        data={"old": old, "reason": reason},
    )
    return application


@transaction.atomic
@appended_together()
def commitment_fulfil(
    *,
    application: Application,
    material_code: str,
    stream: IO[bytes],
    name: str,
    actor: Any,
    original_seen: bool = False,
) -> Commitment:
    """容缺: the applicant hands in a material they committed to supply after receipt. It is
    kept as the material's next version (every department whose item needs it sees it at
    once) and the commitment is closed, noting whether it came in time."""
    application = _lock(application)
    if application.status != S.RECEIVED:
        raise TransitionError(f"申请当前为“{application.get_status_display()}”，不能补交容缺材料。")
    if not _is_clerk(actor) and application.applicant.user_id != getattr(actor, "pk", None):
        raise NotAllowed("无权为该申请补交材料。")
    commitment = (
        Commitment.objects.select_for_update()
        .filter(application=application, material_code=material_code, fulfilled_at__isnull=True)
        .first()
    )
    if commitment is None:
        raise DomainError("这份材料没有待补交的容缺承诺。", path=f"materials.{material_code}")
    store_material(
        application=application,
        material_code=material_code,
        stream=stream,
        name=name,
        actor=actor,
        evidence=evidence_of(actor, original_seen),
    )
    commitment.fulfilled_at = timezone.now()
    commitment.save(update_fields=["fulfilled_at"])
    on_time = timezone.localdate(commitment.fulfilled_at) <= commitment.due
    record_event(
        actor=actor,
        verb="application.commitment_fulfilled",
        target=application,
        data={"material": material_code, "due": commitment.due.isoformat(), "on_time": on_time},
    )
    return commitment
