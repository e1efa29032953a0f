"""The applicant's pages: my applications, starting one from a guide, filling the form,
handing in materials, submitting, correcting, reading the notices; once received, the
progress of each item case, the delivery method, and — for electronic self-print — the
results to download (the first download is the delivery)."""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lianban.accounts.models import User
from lianban.applications import services, webforms
from lianban.applications.models import Application
from lianban.applications.selectors import (
    applicant_may_download,
    correctable,
    open_correction,
    plan_of,
)
from lianban.applications.views import visible_application
from lianban.cases import clocks as case_clocks
from lianban.cases import services as case_services
from lianban.cases.models import Delivery, ItemCase, ResultDocument
from lianban.cases.transitions import TERMINAL
from lianban.catalog.selectors import definition_of, published_version
from lianban.common.errors import DomainError, NotAllowed
from lianban.portal.views import answers_from_query

S = Application.Status
CS = ItemCase.Status
# Where the delivery method may still be chosen or changed (the service has the last word).
DELIVERY_CHOICE_OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.CORRECTION, S.RECEIVED})
DELIVERY_PATHS = ("delivery_method", "delivery_address")
FINISHED = frozenset({S.COMPLETED, S.ARCHIVED})


def _applicant_only(request: HttpRequest) -> Any:
    user = request.user
    if getattr(user, "role", None) != User.Role.APPLICANT or not hasattr(user, "applicant"):
        raise Http404("仅申请人可用。")
    return user.applicant


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    applicant = _applicant_only(request)
    rows = applicant.applications.select_related("bundle_version").order_by("-created_at")
    return render(request, "applications/mine.html", {"applications": rows, "applicant": applicant})


@login_required
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    applicant = _applicant_only(request)
    version = published_version(code)
    if version is None:
        raise Http404("未找到该一件事。")
    answers = answers_from_query(request.POST, definition_of(version))
    try:
        application = services.application_start(
            bundle_code=code,
            answers=answers,
            applicant=applicant,
            channel=Application.Channel.ONLINE,
            actor=request.user,
        )
    except DomainError as exc:
        for e in exc.errors:
            messages.error(request, e["message"])
        return redirect(f"/guide/{code}/")
    messages.success(request, "已创建申请草稿，可随时保存，下次接着填。")
    return redirect("applications:detail", pk=application.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request, pk)
    if getattr(request.user, "role", None) == User.Role.CLERK:
        return HttpResponseRedirect(f"/window/applications/{pk}/")
    return _render_detail(request, application)


# Progress and delivery, shared with the window's review page.


def with_cases(application: Application) -> Application:
    """Load the application's cases (with their clocks and results) and its deliveries in a
    fixed number of queries; ``deliverable()`` then reads the same cached cases."""
    prefetch_related_objects(
        [application],
        Prefetch(
            "cases",
            queryset=ItemCase.objects.select_related("department").prefetch_related(
                "clocks", "results"
            ),
        ),
        Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("cases")),
    )
    return application


def case_rows(application: Application, today: dt.date) -> list[dict[str, Any]]:
    """One row per item case: its status, its running clock (due date, light, suspended or
    extended), the decision or the reason it stopped, and its results. Expects
    :func:`with_cases`."""
    rows = []
    for case in application.cases.all():
        running = next((c for c in case.clocks.all() if c.stopped_at is None), None)
        rows.append(
            {
                "case": case,
                "clock": running,
                "light": case_clocks.light(running, today),
                "paused": running is not None and running.paused_on is not None,
                "extended": case.extended or any(c.extended_days for c in case.clocks.all()),
                "results": list(case.results.all()),
                "has_results": case.status in {CS.RETURNED, CS.DELIVERED},
            }
        )
    return rows


def open_cases(application: Application) -> list[ItemCase]:
    """Cases whose result has not reached the window yet (and that will have one)."""
    return [c for c in application.cases.all() if c.status not in TERMINAL | {CS.RETURNED}]


def delivery_values(
    application: Application, posted: dict[str, str] | None, emap: dict[str, str]
) -> dict[str, str]:
    """The delivery inputs: what was typed if the form came back, else what is stored."""
    posted = posted or {}
    return {
        "method": posted.get("method", application.delivery_method),
        "address": posted.get("address", application.delivery_address),
        "recipient": posted.get("recipient", ""),
        "tracking_number": posted.get("tracking_number", ""),
        "method_error": emap.get("delivery_method", ""),
        "address_error": emap.get("delivery_address", ""),
        "recipient_error": emap.get("recipient", ""),
        "tracking_number_error": emap.get("tracking_number", ""),
    }


def serve_result(doc: ResultDocument) -> FileResponse:
    """A result document, always as a download with the type its content was checked as."""
    ext = PurePath(doc.file.name).suffix.lower()
    label = doc.number or doc.title
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"{doc.title}-{label}{ext}" if label != doc.title else f"{doc.title}{ext}",
        content_type=mimetypes.types_map.get(ext, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Text the delivery inputs carry, and the longest each column holds.
DELIVERY_LIMITS = {
    "delivery_address": ("邮寄地址", 200),
    "recipient": ("领取人", 64),
    "tracking_number": ("邮件号", 40),
}


def check_delivery_text(values: dict[str, str]) -> None:
    """Refuse, in Chinese and next to the input, text longer than its column holds."""
    errors = [
        {"path": path, "message": f"{label}不能超过{limit}个字。"}
        for path, (label, limit) in DELIVERY_LIMITS.items()
        if len(values.get(path, "").strip()) > limit
    ]
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)


def _posted_delivery(request: HttpRequest) -> dict[str, str] | None:
    if "delivery_method" not in request.POST:
        return None
    return {
        "method": request.POST.get("delivery_method", ""),
        "address": request.POST.get("delivery_address", ""),
    }


def _delivery_changed(application: Application, delivery: dict[str, str] | None) -> bool:
    if delivery is None:
        return False
    return delivery["method"] != application.delivery_method or (
        delivery["method"] == Delivery.Method.POST
        and delivery["address"].strip() != application.delivery_address
    )


def _choose_delivery(
    request: HttpRequest, application: Application, delivery: dict[str, str]
) -> Application:
    check_delivery_text({"delivery_address": delivery["address"]})
    return case_services.application_choose_delivery(
        application=application,
        method=delivery["method"],
        address=delivery["address"],
        actor=request.user,
    )


def _render_detail(
    request: HttpRequest,
    application: Application,
    errors: list[dict[str, str]] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
    delivery: dict[str, str] | None = None,
) -> HttpResponse:
    plan = plan_of(application)
    fields, materials = correctable(application)
    emap = webforms.error_map(errors or [])
    reviews = {
        r.material_code: r
        for r in application.reviews.filter(round=max(application.review_round - 1, 1))
    }
    with_cases(application)
    deliveries = list(application.deliveries.all())
    self_print = application.delivery_method == Delivery.Method.SELF_PRINT
    ready = (
        {c.pk for c in case_services.deliverable(application)}
        if self_print and application.status == S.RECEIVED
        else set()
    )
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "plan": plan,
            "rows": webforms.form_rows(
                plan, application, editable=fields, errors=emap, posted=posted
            ),
            "materials": webforms.material_rows(
                plan,
                application,
                editable=materials,
                reviews=reviews if application.status == S.CORRECTION else None,
            ),
            "material_errors": {k: v for k, v in emap.items() if k.startswith("materials.")},
            "correction": open_correction(application),
            "notices": application.notices.all(),
            "upload_action": f"/applications/{application.pk}/upload/",
            "can_edit": bool(fields or materials),
            "other_errors": [
                e
                for e in errors or []
                if not e["path"].startswith(("form.", "materials."))
                and e["path"] not in DELIVERY_PATHS
            ],
            "progress": case_rows(application, timezone.localdate()),
            "finished": application.status in FINISHED,
            "deliveries": deliveries,
            "delivery_methods": Delivery.Method.choices,
            "delivery": delivery_values(application, delivery, emap),
            "can_choose_delivery": application.status in DELIVERY_CHOICE_OPEN and not deliveries,
            "self_print": self_print,
            "ready_ids": ready,
            "waiting_for": open_cases(application) if self_print else [],
        },
        status=status,
    )


@login_required
@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the form (and the delivery method chosen beside the submit button); then, if
    asked, submit."""
    application = visible_application(request, pk)
    fields, _ = correctable(application)
    delivery = _posted_delivery(request) if application.status == S.DRAFT else None
    if not fields and request.POST.get("then") == "submit":
        return _submit(request, application, delivery)  # says plainly if submitted already
    posted = webforms.posted_form(request, plan_of(application), fields)
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    # Who may see an application (the supervisor) but not act for its applicant is refused
    # with 403, not a form error.
    status = 400
    # The form and the delivery method are one request: both are kept, or neither (the page
    # shows what was typed again, with the errors).
    with transaction.atomic():
        try:
            application, warnings = services.application_save_form(
                application=application, data=posted, actor=request.user
            )
        except DomainError as exc:
            errors += exc.errors
            status = exc.status if isinstance(exc, NotAllowed) else status
        if delivery is not None and _delivery_changed(application, delivery):
            try:
                application = _choose_delivery(request, application, delivery)
            except DomainError as exc:
                errors += exc.errors
                status = exc.status if isinstance(exc, NotAllowed) else status
        if errors:
            transaction.set_rollback(True)
    if errors:
        application.refresh_from_db()
        return _render_detail(
            request, application, errors, posted, status=status, delivery=delivery
        )
    for w in warnings:
        messages.warning(request, w["message"])
    if request.POST.get("then") == "submit":
        return _submit(request, application, None)
    messages.success(request, "已保存。")
    return redirect("applications:detail", pk=pk)


def _submit(
    request: HttpRequest, application: Application, delivery: dict[str, str] | None
) -> HttpResponse:
    try:
        if _delivery_changed(application, delivery):
            assert delivery is not None
            application = _choose_delivery(request, application, delivery)
        if application.status == S.CORRECTION:
            services.application_resubmit(application=application, actor=request.user)
            messages.success(request, "补正材料已提交，窗口将在1个工作日内审查。")
        else:
            application = services.application_submit(application=application, actor=request.user)
            messages.success(request, f"已提交，收件编号 {application.receipt_number}。")
    except DomainError as exc:
        application.refresh_from_db()
        status = exc.status if isinstance(exc, NotAllowed) else 400
        return _render_detail(request, application, exc.errors, status=status, delivery=delivery)
    return redirect("applications:detail", pk=application.pk)


@login_required
@require_POST
def choose_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """Change how the results are to be received, until the first delivery."""
    application = visible_application(request, pk)
    delivery = _posted_delivery(request) or {"method": "", "address": ""}
    try:
        application = _choose_delivery(request, application, delivery)
    except DomainError as exc:
        return _render_detail(
            request, application, exc.errors, status=exc.status, delivery=delivery
        )
    messages.success(request, f"送达方式已改为“{application.get_delivery_method_display()}”。")
    return redirect(reverse("applications:detail", args=[pk]) + "#delivery")


@login_required
@require_http_methods(["GET", "POST"])
def result_file(request: HttpRequest, pk: int, doc_id: int) -> HttpResponseBase:
    """网上自助打印: the applicant downloads a result. The first download (a POST, from the
    page's button) records the electronic delivery; later ones are plain links."""
    _applicant_only(request)
    application = visible_application(request, pk)
    if application.delivery_method != Delivery.Method.SELF_PRINT:
        raise Http404("该申请未选择网上自助打印。")
    doc = get_object_or_404(
        ResultDocument.objects.select_related("case"), pk=doc_id, case__application=application
    )
    back = redirect(reverse("applications:detail", args=[pk]) + "#results")
    if applicant_may_download(application, doc.case):
        return serve_result(doc)
    if doc.case.status != CS.RETURNED:
        raise Http404("该办理结果尚未送回窗口。")
    if request.method != "POST":
        return back  # the first download is a deliberate act on the page
    try:
        case_services.application_deliver(application=application, actor=request.user)
    except DomainError as exc:
        doc.case.refresh_from_db()
        if doc.case.status != CS.DELIVERED:  # not someone else's download a moment ago
            messages.error(request, exc.message)
            return back
    return serve_result(doc)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request, pk)
    code = request.POST.get("material", "")
    f = request.FILES.get("file")
    if f is None:
        return _render_detail(
            request,
            application,
            [{"path": f"materials.{code}", "message": "请选择要上传的文件。"}],
            status=400,
        )
    try:
        services.material_upload(
            application=application,
            material_code=code,
            stream=f,
            name=f.name or "",
            actor=request.user,
            original_seen=bool(request.POST.get("original_seen")),
        )
    except DomainError as exc:
        status = exc.status if isinstance(exc, NotAllowed) else 400
        return _render_detail(request, application, exc.errors, status=status)
    messages.success(request, "材料已上传。")
    return redirect(f"/applications/{pk}/#material-{code}")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request, pk)
    # Withdrawing cannot be undone: it takes a deliberate tick, not a stray click.
    if not request.POST.get("confirm"):
        messages.error(request, "撤回后不能恢复。如确需撤回，请勾选“我确认撤回本申请”后再提交。")
        return redirect("applications:detail", pk=pk)
    try:
        services.application_withdraw(
            application=application,
            actor=request.user,
            reason=request.POST.get("reason", "").strip()[:200],
        )
    except NotAllowed as exc:
        return _render_detail(request, application, exc.errors, status=exc.status)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "申请已撤回。")
    return redirect("applications:detail", pk=pk)
