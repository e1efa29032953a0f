"""文书核验: the public verification page (by upload or by number), the page a document's QR
code opens, the platform CA's certificate, and the register for staff, with revocation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianban.common.errors import DomainError
from lianban.signing import keys
from lianban.signing.models import Credential, IssuedDocument
from lianban.signing.services import can_revoke, revoke_document
from lianban.signing.verify import verify_upload

NUMBER_MAX = 64


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone: upload a PDF, or enter a document number."""
    context: dict[str, object] = {"number": ""}
    if request.method == "POST":
        if "file" in request.FILES:
            try:
                context["report"] = verify_upload(request.FILES.get("file"))
            except DomainError as exc:
                context["error"] = exc.message
        else:
            # No document number holds a NUL, and PostgreSQL cannot compare with one.
            number = str(request.POST.get("number", "")).replace("\x00", "").strip()[:NUMBER_MAX]
            context["number"] = number
            if not number:
                context["error"] = "请输入文书编号，或上传文书的 PDF 文件。"
            elif IssuedDocument.objects.filter(number=number).exists():
                return redirect("signing:document", number=number)
            else:
                context["error"] = f"未找到编号为“{number}”的文书。请核对编号，注意区分字母和数字。"
    status = 400 if context.get("error") else 200
    return render(request, "signing/verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
def document(request: HttpRequest, number: str) -> HttpResponse:
    """The register's entry for one document: what a QR code opens. A file uploaded here is
    checked against this entry."""
    doc = get_object_or_404(
        IssuedDocument.objects.select_related("seal", "seal__department", "signer"), number=number
    )
    context: dict[str, object] = {"doc": doc, "may_revoke": can_revoke(request.user, doc)}
    if request.method == "POST":
        try:
            report = verify_upload(request.FILES.get("file"))
            context["report"] = report
            context["same_document"] = report.document is not None and report.document.pk == doc.pk
        except DomainError as exc:
            context["error"] = exc.message
    return render(
        request, "signing/document.html", context, status=400 if "error" in context else 200
    )


@require_POST
@login_required
def revoke(request: HttpRequest, number: str) -> HttpResponse:
    doc = get_object_or_404(IssuedDocument.objects.select_related("seal"), number=number)
    if not can_revoke(request.user, doc):
        raise PermissionDenied("只有签发部门的审批人员或政务大数据局可以撤销文书。")
    try:
        revoke_document(document=doc, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"文书 {doc.number} 已撤销，核验时将显示撤销状态。")
    return redirect("signing:document", number=number)


@require_GET
def ca_certificate(request: HttpRequest) -> HttpResponse:
    """The platform's root certificate, to add to a PDF reader's trusted certificates."""
    keys.platform_ca()
    pem = "".join(
        c.certificate_pem
        for c in Credential.objects.filter(
            purpose=Credential.Purpose.CA, source=Credential.Source.PLATFORM
        ).order_by("created_at")
    )
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="lianban-root-ca.crt"'
    return response


@require_GET
@login_required
def register(request: HttpRequest) -> HttpResponse:
    """登记簿: the supervisor sees every document, a department's staff their own seal's."""
    user: Any = request.user
    documents = IssuedDocument.objects.select_related("seal", "seal__department").order_by(
        "-issued_at", "-id"
    )
    if getattr(user, "is_supervisor", False):
        pass
    elif user.department_id and user.role in {user.Role.REVIEWER, user.Role.EDITOR}:
        documents = documents.filter(seal__department_id=user.department_id)
    else:
        raise PermissionDenied("只有部门工作人员和政务大数据局可以查看文书登记簿。")
    query = str(request.GET.get("q", "")).strip()[:NUMBER_MAX]
    if query:
        documents = documents.filter(Q(number__icontains=query) | Q(title__icontains=query))
    if request.GET.get("revoked") == "1":
        documents = documents.filter(revoked_at__isnull=False)
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    return render(request, "signing/register.html", {"page": page, "q": query})
