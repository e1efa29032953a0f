"""The applicant's pages: my applications, starting one from a guide, filling the form,
handing in materials, submitting, correcting, and reading the notices."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lianban.accounts.models import User
from lianban.applications import services, webforms
from lianban.applications.models import Application
from lianban.applications.selectors import correctable, open_correction, plan_of
from lianban.applications.views import visible_application
from lianban.catalog.selectors import definition_of, published_version
from lianban.common.errors import DomainError
from lianban.portal.views import answers_from_query


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


def _render_detail(
    request: HttpRequest,
    application: Application,
    errors: list[dict[str, str]] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    plan = plan_of(application)
    fields, materials = correctable(application)
    emap = webforms.error_map(errors or [])
    reviews = {
        r.material_code: r
        for r in application.reviews.filter(round=max(application.review_round - 1, 1))
    }
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
                reviews=reviews if application.status == Application.Status.CORRECTION else None,
            ),
            "material_errors": {k: v for k, v in emap.items() if k.startswith("materials.")},
            "correction": open_correction(application),
            "notices": application.notices.all(),
            "upload_action": f"/applications/{application.pk}/upload/",
            "can_edit": bool(fields or materials),
            "other_errors": [
                e for e in errors or [] if not e["path"].startswith(("form.", "materials."))
            ],
        },
        status=status,
    )


@login_required
@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request, pk)
    fields, _ = correctable(application)
    if not fields and request.POST.get("then") == "submit":
        return _submit(request, application)  # says plainly that it was submitted already
    posted = webforms.posted_form(request, plan_of(application), fields)
    try:
        application, warnings = services.application_save_form(
            application=application, data=posted, actor=request.user
        )
    except DomainError as exc:
        return _render_detail(request, application, exc.errors, posted, status=400)
    for w in warnings:
        messages.warning(request, w["message"])
    if request.POST.get("then") == "submit":
        return _submit(request, application)
    messages.success(request, "已保存。")
    return redirect("applications:detail", pk=pk)


def _submit(request: HttpRequest, application: Application) -> HttpResponse:
    try:
        if application.status == Application.Status.CORRECTION:
            services.application_resubmit(application=application, actor=request.user)
            messages.success(request, "补正材料已提交，窗口将在1个工作日内审查。")
        else:
            application = services.application_submit(application=application, actor=request.user)
            messages.success(request, f"已提交，收件编号 {application.receipt_number}。")
    except DomainError as exc:
        application.refresh_from_db()
        return _render_detail(request, application, exc.errors, status=400)
    return redirect("applications:detail", pk=application.pk)


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
        return _render_detail(request, application, exc.errors, status=400)
    messages.success(request, "材料已上传。")
    return redirect(f"/applications/{pk}/#material-{code}")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request, pk)
    try:
        services.application_withdraw(application=application, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "申请已撤回。")
    return redirect("applications:detail", pk=pk)
