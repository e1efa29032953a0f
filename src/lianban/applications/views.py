"""Pages of an application shared by the applicant and the window: the material files and
the notices, served only to those allowed to see them, always as downloads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404, render

from lianban.applications.files import extension_for
from lianban.applications.models import Application, MaterialFile, Notice
from lianban.applications.notices import SEALING_RETRY_SECONDS
from lianban.applications.selectors import visible_to


def visible_application(request: HttpRequest, pk: int) -> Application:
    application = visible_to(request.user).filter(pk=pk).first()  # type: ignore[arg-type]
    if application is None:
        raise Http404("未找到该申请。")
    return application


@login_required
def material_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    application = visible_application(request, pk)
    f = get_object_or_404(MaterialFile, pk=file_id, application=application)
    # Always an attachment with the type checked at upload, never rendered inline as HTML.
    response = FileResponse(
        f.file.open("rb"),
        as_attachment=True,
        filename=f"{f.material_code}-v{f.version}{extension_for(f.content_type)}",
        content_type=f.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def notice_pdf(request: HttpRequest, pk: int, notice_id: int) -> HttpResponseBase:
    application = visible_application(request, pk)
    notice = get_object_or_404(Notice, pk=notice_id, application=application)
    if not notice.pdf:
        # Issued a moment ago and still with the sealing worker: the page asks again itself.
        response = render(
            request,
            "applications/notice_sealing.html",
            {"notice": notice, "retry_seconds": SEALING_RETRY_SECONDS},
            status=202,
        )
        response["Retry-After"] = str(SEALING_RETRY_SECONDS)
        return response
    return FileResponse(
        notice.pdf.open("rb"),
        as_attachment=True,
        filename=f"{notice.number}.pdf",
        content_type="application/pdf",
    )
