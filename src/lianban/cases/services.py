"""联办: dispatching a received application's items to their departments, the department's
work on each case (accept or refuse, supplement, suspend and resume, extend, decide, return
the result), the window's delivery, and the application's completion and archive.

Each function locks the case (or the application), checks the transition in
:mod:`lianban.cases.transitions`, moves the stored clocks, and writes the audit event and
the applicant's notifications in one transaction. When two reviewers act on one case at
once, the second waits for the lock, then finds the case moved on and is told so. Each keeps
its events back and appends them at its end
(:func:`~lianban.audit.services.appended_together`): every other writer waits for the audit
chain's head from a transaction's first event to its commit, and sealing a document takes a
tenth of a second or more."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lianban.accounts.models import User
from lianban.applications import notices
from lianban.applications.models import Application, ApplicationItem, Notice
from lianban.applications.transitions import target_status as application_target
from lianban.audit.services import appended_together, record_event
from lianban.cases import clocks
from lianban.cases.models import (
    Clock,
    Delivery,
    Extension,
    ItemCase,
    ResultDocument,
    SupplementRequest,
    Suspension,
)
from lianban.cases.transitions import TERMINAL, target_status
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.common.text import clean_text
from lianban.notifications.services import notify_applicant
from lianban.workdays.selectors import add_workdays

S = ItemCase.Status
MAX_EXTENSION_DAYS = 10  # 行政许可法 第四十二条: 经本行政机关负责人批准，可以延长十日


def _today() -> dt.date:
    return timezone.localdate()


def _lock(case: ItemCase, expected_status: str | None = None) -> ItemCase:
    locked = (
        ItemCase.objects.select_for_update(of=("self",))
        .select_related("application__applicant", "department")
        .get(pk=case.pk)
    )
    if expected_status and locked.status != expected_status:
        raise TransitionError(
            f"“{locked.item_name}”已由他人处理，当前为“{locked.get_status_display()}”，"
            "请刷新后查看。"
        )
    return locked


def _check_reviewer(case: ItemCase, actor: Any) -> None:
    """Only a reviewer of the case's own department (or a superuser) may act on it."""
    if getattr(actor, "is_superuser", False):
        return
    if (
        getattr(actor, "role", None) != User.Role.REVIEWER
        or actor.department_id != case.department_id
    ):
        raise NotAllowed("只能办理本部门的联办事项。")


def _clock(case: ItemCase, kind: str) -> Clock | None:
    return Clock.objects.filter(case=case, kind=kind).first()


def _event(case: ItemCase, actor: Any, verb: str, old: str, **data: Any) -> None:
    record_event(
        actor=actor,
        verb=f"case.{verb}",
        target=case,
        data={
            "application": case.application.receipt_number,
            "item": case.item_code,
            "department": case.department.code,
            "old": old,
            "new": case.status,
            **data,
        },
    )


def _tell(case: ItemCase, text: str) -> None:
    notify_applicant(
        case.application.applicant,
        f"【{case.application.bundle_name}】{case.item_name}：{text}",
        link=f"/applications/{case.application_id}/",
    )


# ---- Dispatch -------------------------------------------------------------------------


def dispatch_application(*, application: Application, actor: Any) -> list[ItemCase]:
    """On receipt: one case per handed-over item; those that wait for no other item's
    decision are dispatched at once. Runs inside the receipt's transaction.

    The cases go in with one INSERT, already dispatched where they may be, and their
    acceptance clocks with another; each case's events are the ones :func:`_dispatch` leaves
    for a case made first and dispatched after."""
    items = ApplicationItem.objects.filter(application=application).select_related("department")
    today, now = _today(), timezone.now()
    made: list[tuple[ItemCase, str]] = []  # each case and the status it is made in
    clocks_started = []
    for item in items.order_by("position"):
        case = ItemCase(
            application=application,
            item=item,
            department=item.department,
            item_code=item.item_code,
            item_name=item.item_name,
        )
        made.append((case, case.status))
        if not item.after:
            case.status = target_status(case, "dispatch")
            case.dispatched_at = now
            clocks_started.append(clocks.opened(case, Clock.Kind.ACCEPTANCE, 1, today))
    cases = ItemCase.objects.bulk_create([case for case, _ in made])
    Clock.objects.bulk_create(clocks_started)
    due = {c.case.pk: c.due for c in clocks_started}
    for case, initial in made:
        # Recorded as they would be for a case made in ``initial`` and then dispatched.
        _event(case, actor, "created", "", new=initial, after=case.item.after)
        if case.pk in due:
            _event(case, actor, "dispatched", initial, acceptance_due=due[case.pk].isoformat())
    _replan(application)
    return cases


def _dispatch(case: ItemCase, actor: Any) -> None:
    old = case.status
    case.status = target_status(case, "dispatch")
    case.dispatched_at = timezone.now()
    case.save(update_fields=["status", "dispatched_at"])
    clock = clocks.start(case, Clock.Kind.ACCEPTANCE, 1, _today())
    _event(case, actor, "dispatched", old, acceptance_due=clock.due.isoformat())


def _after_decision(case: ItemCase, actor: Any) -> None:
    """A prerequisite was decided (or refused): dispatch the items now free to go, or cancel
    those that can no longer be granted, telling the applicant why."""
    siblings = {
        c.item_code: c
        for c in ItemCase.objects.select_for_update(of=("self",))
        .filter(application=case.application)
        .select_related("item", "department")
    }
    failed = case.status == S.REFUSED or case.outcome == ItemCase.Outcome.DENIED
    for other in siblings.values():
        if other.status != S.WAITING or case.item_code not in other.item.after:
            continue
        if failed:
            other.application = case.application
            old = other.status
            other.status = target_status(other, "cancel")
            other.reason = (
                f"前置事项“{case.item_name}”"
                f"{'不予受理' if case.status == S.REFUSED else '未予准许'}，本事项无法办理。"
            )
            other.save(update_fields=["status", "reason"])
            _event(other, actor, "cancelled", old, because=case.item_code)
            _tell(other, other.reason)
            _after_decision(other, actor)
            continue
        prereqs = [siblings[c] for c in other.item.after if c in siblings]
        if all(
            p.outcome == ItemCase.Outcome.APPROVED
            and p.status in {S.DECIDED, S.RETURNED, S.DELIVERED}
            for p in prereqs
        ):
            other.application = case.application
            _dispatch(other, actor)


# ---- The department's work --------------------------------------------------------------


@transaction.atomic
@appended_together()
def case_accept(*, case: ItemCase, actor: Any, expected_status: str | None = None) -> ItemCase:
    """受理: the decision clock starts, counting the item's promised limit."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    old = case.status
    case.status = target_status(case, "accept")
    case.accepted_at = timezone.now()
    case.handled_by = actor
    case.save(update_fields=["status", "accepted_at", "handled_by"])
    acceptance = _clock(case, Clock.Kind.ACCEPTANCE)
    if acceptance is not None:
        clocks.stop(acceptance)
    decision = clocks.start(case, Clock.Kind.DECISION, case.item.promised_limit_days, _today())
    _event(case, actor, "accepted", old, decision_due=decision.due.isoformat())
    if not getattr(actor, "mirrors_upstream", False):
        notices.issue(
            application=case.application,
            kind=Notice.Kind.ACCEPTANCE,
            actor=actor,
            case=case,
            content={
                "item": case.item_name,
                "department": case.department.name,
                "promised_limit_days": case.item.promised_limit_days,
                "decision_due": f"{decision.due:%Y年%m月%d日}",
            },
        )
    _tell(case, f"已受理，承诺于{decision.due:%Y年%m月%d日}前办结。")
    _replan(case.application)
    return case


@transaction.atomic
@appended_together()
def case_refuse(
    *, case: ItemCase, actor: Any, reason: str, expected_status: str | None = None
) -> ItemCase:
    """不予受理, with the reason the notice must state."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    reason = clean_text(
        reason, max_length=2000, path="reason", label="不予受理理由", required=False
    )
    if not reason:
        raise DomainError("不予受理必须注明理由。", path="reason")
    old = case.status
    case.status = target_status(case, "refuse")
    case.reason = reason.strip()
    case.handled_by = actor
    case.save(update_fields=["status", "reason", "handled_by"])
    acceptance = _clock(case, Clock.Kind.ACCEPTANCE)
    if acceptance is not None:
        clocks.stop(acceptance)
    _event(case, actor, "refused", old, reason=case.reason)
    if not getattr(actor, "mirrors_upstream", False):
        notices.issue(
            application=case.application,
            kind=Notice.Kind.REFUSAL,
            actor=actor,
            case=case,
            content={
                "item": case.item_name,
                "department": case.department.name,
                "reason": case.reason,
            },
        )
    _tell(case, f"不予受理。理由：{case.reason}")
    _after_decision(case, actor)
    _maybe_complete(case.application, actor)
    return case


@transaction.atomic
@appended_together()
def case_request_supplement(
    *,
    case: ItemCase,
    actor: Any,
    material_codes: list[str],
    reason: str,
    expected_status: str | None = None,
) -> ItemCase:
    """Before accepting, ask once for what is still missing; the acceptance clock restarts
    when the supplement arrives."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    reason = clean_text(reason, max_length=500, path="reason", label="需要补正的内容")
    unknown = [c for c in material_codes if c not in case.item.material_codes]
    if unknown or not material_codes:
        raise DomainError("请从本事项的材料中选择需要补正的材料。", path="material_codes")
    old = case.status
    case.status = target_status(case, "request_supplement")
    case.save(update_fields=["status"])
    acceptance = _clock(case, Clock.Kind.ACCEPTANCE)
    if acceptance is not None:
        clocks.pause(acceptance, _today())
    SupplementRequest.objects.create(
        case=case,
        material_codes=material_codes,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=timezone.now(),
    )
    _event(
        case, actor, "supplement_requested", old, materials=material_codes, reason=reason.strip()
    )
    _tell(case, f"需要补正材料：{reason.strip()}。请到综合窗口或在网上提交。")
    return case


@transaction.atomic
@appended_together()
def case_supplement_provide(
    *,
    case: ItemCase,
    material_code: str,
    stream: IO[bytes],
    name: str,
    actor: Any,
    original_seen: bool = False,
) -> ItemCase:
    """The window (or the applicant) hands in a requested material. When every material of
    the request is in, the case goes back to the department with a fresh acceptance day."""
    from lianban.applications.services import evidence_of, store_material

    case = _lock(case)
    application = case.application
    if (
        getattr(actor, "role", None) != User.Role.CLERK
        and not getattr(actor, "is_superuser", False)
        and application.applicant.user_id != getattr(actor, "pk", None)
    ):
        raise NotAllowed("无权为该办件提交补正材料。")
    request = case.supplements.filter(received_at__isnull=True).last()
    if case.status != S.SUPPLEMENT or request is None:
        raise TransitionError(f"“{case.item_name}”没有待补正的材料。")
    if material_code not in request.material_codes:
        raise DomainError("这份材料不在补正要求之内。", path=f"materials.{material_code}")
    store_material(
        application=application,
        material_code=material_code,
        stream=stream,
        name=name,
        actor=actor,
        evidence=evidence_of(actor, original_seen),
    )
    provided = set(
        application.material_files.filter(uploaded_at__gte=request.requested_at).values_list(
            "material_code", flat=True
        )
    )
    if set(request.material_codes) <= provided:
        request.received_at = timezone.now()
        request.save(update_fields=["received_at"])
        old = case.status
        case.status = target_status(case, "supplement_received")
        case.save(update_fields=["status"])
        clocks.start(case, Clock.Kind.ACCEPTANCE, 1, _today())
        _event(case, actor, "supplement_received", old, materials=request.material_codes)
    return case


@transaction.atomic
@appended_together()
def case_suspend(
    *, case: ItemCase, actor: Any, kind: str, reason: str, expected_status: str | None = None
) -> ItemCase:
    """Stop the decision clock for 检验、检测、检疫、鉴定、专家评审 or 听证."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    reason = clean_text(reason, max_length=300, path="reason", label="中止计时的具体事由")
    if kind not in Suspension.Kind.values:
        raise DomainError("中止计时只适用于检验、检测、检疫、鉴定、专家评审、听证。", path="kind")
    if not reason.strip():
        raise DomainError("请说明中止计时的具体事由。", path="reason")
    old = case.status
    case.status = target_status(case, "suspend")
    case.save(update_fields=["status"])
    decision = _clock(case, Clock.Kind.DECISION)
    assert decision is not None
    clocks.pause(decision, _today())
    Suspension.objects.create(
        case=case, kind=kind, reason=reason.strip(), started_at=timezone.now(), started_by=actor
    )
    _event(case, actor, "suspended", old, kind=kind, reason=reason.strip())
    _tell(case, f"因{Suspension.Kind(kind).label}中止计时，所需时间不计入办理时限。")
    return case


@transaction.atomic
@appended_together()
def case_resume(*, case: ItemCase, actor: Any, expected_status: str | None = None) -> ItemCase:
    """Restart the decision clock; its due date moves by the working days suspended."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    old = case.status
    case.status = target_status(case, "resume")
    case.save(update_fields=["status"])
    decision = _clock(case, Clock.Kind.DECISION)
    assert decision is not None
    skipped = clocks.resume(decision, _today())
    suspension = case.suspensions.filter(ended_at__isnull=True).last()
    if suspension is not None:
        suspension.ended_at = timezone.now()
        suspension.workdays = skipped
        suspension.save(update_fields=["ended_at", "workdays"])
    _event(
        case, actor, "resumed", old, skipped_workdays=skipped, decision_due=decision.due.isoformat()
    )
    _replan(case.application)
    return case


@transaction.atomic
@appended_together()
def case_extend(
    *,
    case: ItemCase,
    actor: Any,
    days: int,
    approver: str,
    reason: str,
    expected_status: str | None = None,
) -> ItemCase:
    """延期: once, approved by the head of the department, with a reason."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    target_status(case, "extend")
    if case.extended:
        raise TransitionError(f"“{case.item_name}”已延期一次，不能再次延期。")
    approver = clean_text(approver, max_length=64, path="approver", label="批准人", required=False)
    reason = clean_text(reason, max_length=300, path="reason", label="延期理由", required=False)
    errors = []
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        errors.append({"path": "days", "message": f"延长期限应为1至{MAX_EXTENSION_DAYS}个工作日。"})
    if not approver.strip():
        errors.append({"path": "approver", "message": "延期须经本部门负责人批准，请填写批准人。"})
    if not reason.strip():
        errors.append({"path": "reason", "message": "请写明延期理由。"})
    if errors:
        raise DomainError("延期信息不完整。", errors=errors)
    decision = _clock(case, Clock.Kind.DECISION)
    assert decision is not None
    clocks.extend(decision, days)
    Extension.objects.create(
        case=case, days=days, approver=approver.strip(), reason=reason.strip(), requested_by=actor
    )
    case.extended = True
    case.save(update_fields=["extended"])
    _event(
        case,
        actor,
        "extended",
        case.status,
        days=days,
        approver=approver.strip(),
        reason=reason.strip(),
        decision_due=decision.due.isoformat(),
    )
    _tell(
        case,
        f"经批准延期{days}个工作日，将于{decision.due:%Y年%m月%d日}前办结。理由：{reason.strip()}",
    )
    _replan(case.application)
    return case


@transaction.atomic
@appended_together()
def case_decide(
    *,
    case: ItemCase,
    actor: Any,
    outcome: str,
    reason: str = "",
    expected_status: str | None = None,
) -> ItemCase:
    """作出决定: approve, or deny with reasons. The result must reach the window within one
    working day; items waiting for this one are dispatched or cancelled."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    if outcome not in ItemCase.Outcome.values:
        raise DomainError("请选择准予或不予。", path="outcome")
    reason = clean_text(reason, max_length=2000, path="reason", label="决定理由", required=False)
    if outcome == ItemCase.Outcome.DENIED and not reason:
        raise DomainError("不予许可必须说明理由。", path="reason")
    old = case.status
    case.status = target_status(case, "decide")
    case.outcome = outcome
    case.reason = reason.strip()
    case.decided_at = timezone.now()
    case.handled_by = actor
    case.save(update_fields=["status", "outcome", "reason", "decided_at", "handled_by"])
    decision = _clock(case, Clock.Kind.DECISION)
    if decision is not None:
        clocks.stop(decision)
    clocks.start(case, Clock.Kind.RETURN, 1, _today())
    _event(case, actor, "decided", old, outcome=outcome, reason=case.reason)
    _after_decision(case, actor)
    _replan(case.application)
    return case


@transaction.atomic
@appended_together()
def case_return_result(
    *,
    case: ItemCase,
    actor: Any,
    documents: list[dict[str, Any]],
    expected_status: str | None = None,
    issued_by: str = "",
) -> ItemCase:
    """Attach the result documents (licence, certificate, decision) and return them to the
    window. Each document is ``{"kind", "title", "number", "stream", "name"}``.

    ``issued_by`` names the upstream node whose department issued (and sealed) the
    documents: they are kept exactly as issued there, never sealed again here."""
    case = _lock(case, expected_status)
    _check_reviewer(case, actor)
    old = case.status
    new_status = target_status(case, "return_result")
    if not documents:
        raise DomainError("请上传办理结果（证照、证明或决定书）。", path="documents")
    from django.core.exceptions import ValidationError

    from lianban.applications.files import check_upload

    stored = []
    for n, d in enumerate(documents):
        if d.get("kind") not in ResultDocument.Kind.values:
            raise DomainError("请选择结果的类型。", path=f"documents[{n}].kind")
        d["title"] = clean_text(
            d.get("title"), max_length=200, path=f"documents[{n}].title", label="结果名称"
        )
        d["number"] = clean_text(
            d.get("number"),
            max_length=64,
            path=f"documents[{n}].number",
            label="文号",
            required=False,
        )
        try:
            checked = check_upload(d["stream"], d["name"])
        except ValidationError as exc:
            raise DomainError(exc.messages[0], path=f"documents[{n}].file") from exc
        doc = ResultDocument(
            case=case,
            kind=d["kind"],
            title=str(d["title"]).strip(),
            number=str(d.get("number", "")).strip(),
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        d["stream"].seek(0)
        if issued_by:
            doc.file.save(f"{case.pk}-{n + 1}.{checked.kind}", File(d["stream"]), save=False)
            doc.save()
            stored.append(
                {
                    "title": doc.title,
                    "number": doc.number,
                    "sha256": doc.sha256,
                    "issued_by": issued_by,
                }
            )
            continue
        sealed = _seal_result(case, actor, doc, d["stream"].read(), checked.kind, n + 1)
        # The result is the register's file: one copy, the one verification knows.
        doc.file.name = sealed.file.name
        doc.sha256 = sealed.sha256
        doc.save()
        stored.append(
            {
                "title": doc.title,
                "number": doc.number,
                "sha256": doc.sha256,
                "register": sealed.number,
            }
        )
    case.status = new_status
    case.returned_at = timezone.now()
    case.save(update_fields=["status", "returned_at"])
    back = _clock(case, Clock.Kind.RETURN)
    if back is not None:
        clocks.stop(back)
    _event(case, actor, "result_returned", old, documents=stored)
    method = case.application.delivery_method
    _tell(
        case,
        "办理结果已送达综合窗口。"
        + (
            "您选择了网上自助打印，可在网上下载。"
            if method == "self_print"
            else "您选择了分别领取，可到综合窗口领取。"
            if method == "each"
            else "全部事项办结后将统一送达。"
        ),
    )
    return case


def _seal_result(
    case: ItemCase, actor: Any, doc: ResultDocument, upload: bytes, kind: str, n: int
) -> Any:
    """The result as the platform issues it: a PDF (a scan is placed on an A4 page) signed
    by the reviewer who decided and sealed by the department, entered in the register."""
    from lianban.documents.render import image_pdf
    from lianban.signing.models import IssuedDocument
    from lianban.signing.services import issue_document

    pdf = upload if kind == "pdf" else image_pdf(upload, doc.title)
    try:
        return issue_document(
            pdf=pdf,
            number=f"JG{case.application.receipt_number}-{case.pk}-{n}",
            kind=IssuedDocument.Kind.RESULT,
            title=doc.title,
            department=case.department,
            actor=actor,
            personal=True,
            application=case.application,
            case=case,
            qr=True,
        )
    except DomainError as exc:
        raise DomainError(f"“{doc.title}”：{exc.message}", path=f"documents[{n - 1}].file") from exc


# ---- Delivery, completion, archive ------------------------------------------------------


@transaction.atomic
@appended_together()
def application_choose_delivery(
    *, application: Application, method: str, address: str = "", actor: Any
) -> Application:
    """The applicant chooses how to receive the results; it may change until delivery."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if (
        application.applicant.user_id != getattr(actor, "pk", None)
        and getattr(actor, "role", None) != User.Role.CLERK
    ):
        raise NotAllowed("无权更改送达方式。")
    address = check_delivery(method, address)
    if application.status not in {
        Application.Status.SUBMITTED,
        Application.Status.DRAFT,
        Application.Status.CORRECTION,
        Application.Status.RECEIVED,
    }:
        raise TransitionError(
            f"申请当前为“{application.get_status_display()}”，不能再更改送达方式。"
        )
    if (
        Delivery.objects.filter(application=application).exists()
        and method != application.delivery_method
    ):
        raise TransitionError("已有结果送达，不能再更改送达方式。")
    set_delivery(application, method, address, actor=actor)
    application.save(update_fields=["delivery_method", "delivery_address", "updated_at"])
    return application


def check_delivery(method: str, address: str) -> str:
    """The postal address as kept, if the method and the address will do."""
    if method not in Delivery.Method.values:
        raise DomainError("请选择送达方式。", path="delivery_method")
    address = clean_text(
        address, max_length=200, path="delivery_address", label="邮寄地址", required=False
    )
    if method == Delivery.Method.POST and len(address.strip()) < 6:
        raise DomainError("邮寄送达请填写完整的收件地址。", path="delivery_address")
    return address.strip() if method == Delivery.Method.POST else ""


def set_delivery(application: Application, method: str, address: str, *, actor: Any) -> None:
    """Put a checked choice (:func:`check_delivery`) on the application and record it; the
    caller saves."""
    old = {"method": application.delivery_method, "address": application.delivery_address}
    application.delivery_method = method
    application.delivery_address = address
    record_event(
        actor=actor,
        verb="application.delivery_chosen",
        target=application,
        data={"old": old, "new": {"method": method, "address": address}},
    )


def deliverable(application: Application) -> list[ItemCase]:
    """The cases whose results may be handed over now, by the applicant's chosen method:
    each as it returns, or all together (post included) once no case is still open."""
    cases = list(application.cases.all())
    ready = [c for c in cases if c.status == S.RETURNED]
    # Each as it is done, also online: an electronic result can be printed when it arrives.
    if application.delivery_method in {Delivery.Method.EACH, Delivery.Method.SELF_PRINT}:
        return ready
    pending = [c for c in cases if c.status not in TERMINAL and c.status != S.RETURNED]
    return [] if pending else ready


def deliverable_returns() -> QuerySet[ItemCase]:
    """:func:`deliverable`'s rule for every application at once, asked of the database: the
    returned cases whose application takes each result as it returns, or has no case still
    open. For lists of many applications (the window's queue); the two must agree."""
    still_open = ItemCase.objects.filter(application=OuterRef("application")).exclude(
        status__in=[*TERMINAL, S.RETURNED]
    )
    return ItemCase.objects.filter(status=S.RETURNED).filter(
        Q(application__delivery_method__in=[Delivery.Method.EACH, Delivery.Method.SELF_PRINT])
        | ~Exists(still_open)
    )


@transaction.atomic
@appended_together()
def application_deliver(
    *, application: Application, actor: Any, recipient: str = "", tracking_number: str = ""
) -> Delivery:
    """The window records a hand-over of every result deliverable now (or the applicant's
    first download, for self-print). When nothing is left, the application completes and
    is archived."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    method = application.delivery_method
    self_print = method == Delivery.Method.SELF_PRINT
    if self_print:
        if application.applicant.user_id != getattr(actor, "pk", None):
            raise NotAllowed("网上自助打印由申请人本人下载。")
    elif getattr(actor, "role", None) != User.Role.CLERK:
        raise NotAllowed("只有窗口人员可以登记送达。")
    recipient = clean_text(
        recipient, max_length=64, path="recipient", label="领取人", required=False
    )
    tracking_number = clean_text(
        tracking_number, max_length=40, path="tracking_number", label="邮件号", required=False
    )
    cases = [_lock(c) for c in deliverable(application)]
    if not cases:
        raise TransitionError("目前没有可以送达的办理结果（统一送达、邮寄须待全部事项办结）。")
    if method == Delivery.Method.POST and not tracking_number.strip():
        raise DomainError("邮寄送达请填写邮件号。", path="tracking_number")
    if method in {Delivery.Method.TOGETHER, Delivery.Method.EACH} and not recipient.strip():
        raise DomainError("请填写领取人。", path="recipient")
    delivery = Delivery.objects.create(
        application=application,
        method=method,
        recipient=recipient.strip(),
        tracking_number=tracking_number.strip(),
        delivered_at=timezone.now(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    delivery.cases.set(cases)
    for case in cases:
        old = case.status
        case.status = target_status(case, "deliver")
        case.delivered_at = delivery.delivered_at
        case.save(update_fields=["status", "delivered_at"])
        _event(case, actor, "delivered", old, method=method)
    record_event(
        actor=actor,
        verb="application.delivered",
        target=application,
        data={
            "method": method,
            "items": [c.item_code for c in cases],
            "tracking_number": tracking_number.strip(),
        },
    )
    notify_applicant(
        application.applicant,
        f"【{application.bundle_name}】{len(cases)}项办理结果已送达"
        + (f"，邮件号 {tracking_number.strip()}" if tracking_number else "")
        + "。",
        link=f"/applications/{application.pk}/",
    )
    _maybe_complete(application, actor)
    return delivery


def _maybe_complete(application: Application, actor: Any) -> None:
    """Every item decided and every result delivered (or the item refused or cancelled):
    the application is complete, and archived — read-only, its materials kept."""
    if application.cases.exclude(status__in=TERMINAL).exists():
        return
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.RECEIVED:
        return
    now = timezone.now()
    application.status = application_target(application, "complete")
    application.completed_at = now
    application.save(update_fields=["status", "completed_at", "updated_at"])
    record_event(actor=actor, verb="application.completed", target=application, data={})
    application.status = application_target(application, "archive")
    application.archived_at = now
    application.save(update_fields=["status", "archived_at", "updated_at"])
    record_event(actor=actor, verb="application.archived", target=application, data={})
    notify_applicant(
        application.applicant,
        f"【{application.bundle_name}】已全部办结，感谢您的耐心。欢迎对本次服务作出评价。",
        link=f"/applications/{application.pk}/",
    )


# ---- Planned completion -----------------------------------------------------------------


def _replan(application: Application) -> None:
    """The application's planned completion along the critical path: each case finishes on
    its stored decision due date (or, not yet accepted, one acceptance day and its promised
    limit after its prerequisites finish), plus one working day to return the result."""
    cases = {c.item_code: c for c in application.cases.select_related("item")}
    running = {(c.case_id, c.kind): c for c in Clock.objects.filter(case__application=application)}
    finish: dict[str, dt.date] = {}
    today = _today()

    def planned(code: str) -> dt.date:
        if code in finish:
            return finish[code]
        case = cases[code]
        decision = running.get((case.pk, Clock.Kind.DECISION))
        if case.decided_at is not None or case.status in {S.REFUSED, S.CANCELLED}:
            end = timezone.localdate(case.decided_at) if case.decided_at else today
        elif decision is not None:
            end = decision.due
        else:
            start = max([planned(c) for c in case.item.after if c in cases], default=today)
            accept = running.get((case.pk, Clock.Kind.ACCEPTANCE))
            begin = (
                accept.due
                if accept is not None and accept.stopped_at is None
                else add_workdays(start, 1).date
            )
            end = add_workdays(begin, case.item.promised_limit_days).date
        finish[code] = end
        return end

    latest = max((planned(code) for code in cases), default=today)
    application.planned_completion = add_workdays(latest, 1).date
    application.save(update_fields=["planned_completion"])
