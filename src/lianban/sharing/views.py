"""Pages of 信息共享: the directory; the applicant's consent (give, revoke) and "who read my
data"; a case's shared data for its department (every read logged, refusals too); and the
supervisor's audit of all reads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lianban.applications.models import Application
from lianban.cases.models import ItemCase
from lianban.common.errors import DomainError, NotAllowed
from lianban.sharing import selectors, services
from lianban.sharing.models import AccessLog

PAGE_SIZE = 50


@login_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/directory.html", {"items": selectors.directory()})


def _own_application(request: HttpRequest, pk: int) -> Application:
    application = get_object_or_404(Application.objects.select_related("applicant"), pk=pk)
    if application.applicant.user_id != request.user.pk:
        raise Http404("未找到该申请。")
    return application


@login_required
@require_POST
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    if not request.POST.get("agree"):
        messages.error(request, "请勾选同意后再授权。")
        return redirect("applications:detail", pk=pk)
    try:
        _, report = services.consent_give(application=application, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:detail", pk=pk)
    messages.success(
        request,
        f"已授权：预填申请表 {len(report.fields)} 项，免提交材料 {len(report.materials)} 份。",
    )
    for failure in report.failures:
        messages.warning(request, f"{failure}。相关内容请自行填写，或上传材料。")
    return redirect("applications:detail", pk=pk)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own_application(request, pk)
    try:
        services.consent_revoke(application=application, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤回共享授权：共享获取的材料已移除，请上传相应材料。")
    return redirect("applications:detail", pk=pk)


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def my_reads(request: HttpRequest) -> HttpResponse:
    """Who read my data, when, for which case, which fields and why."""
    if not hasattr(request.user, "applicant"):
        raise Http404("仅申请人可用。")
    page = _page(request, selectors.log_for_applicant(request.user))
    return render(request, "sharing/my_reads.html", {"page": page})


@login_required
@require_GET
def case_data(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(
        ItemCase.objects.select_related("application__applicant", "department"), pk=pk
    )
    user: Any = request.user
    reads = []
    if not user.is_supervisor:
        try:
            reads = selectors.reads_for_case_page(user, case)
        except NotAllowed as exc:
            return render(request, "sharing/denied.html", {"message": exc.message}, status=403)
    try:
        log = selectors.log_for_case(user, case)
    except NotAllowed as exc:
        return render(request, "sharing/denied.html", {"message": exc.message}, status=403)
    return render(
        request,
        "sharing/case.html",
        {"case": case, "reads": reads, "page": _page(request, log)},
    )


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """The supervisor's audit of every read, refusals first when asked."""
    try:
        rows = selectors.log_for_supervisor(request.user)
    except NotAllowed as exc:
        return render(request, "sharing/denied.html", {"message": exc.message}, status=403)
    outcome = request.GET.get("outcome", "")
    if outcome in AccessLog.Outcome.values:
        rows = rows.filter(outcome=outcome)
    return render(
        request,
        "sharing/access_log.html",
        {"page": _page(request, rows), "outcome": outcome, "outcomes": AccessLog.Outcome.choices},
    )
