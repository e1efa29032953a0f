"""全程留痕: the trace page of one application, for whoever may see it — the applicant their
own, the window every application, a department its own cases, the supervisor everything."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from lianban.applications.models import Application
from lianban.audit.selectors import describe, trail_for_application


def _scope(user: Any, application: Application) -> tuple[bool, int | None]:
    """(may see, department): the whole trail (department None) or a department's part."""
    if user.is_supervisor or user.role == user.Role.CLERK:
        return True, None
    if user.role == user.Role.APPLICANT:
        return application.applicant.user_id == user.pk, None
    reviews_here = (
        user.role == user.Role.REVIEWER
        and user.department_id
        and application.cases.filter(department_id=user.department_id).exists()
    )
    return bool(reviews_here), user.department_id


@require_GET
@login_required
def application_trail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.select_related("applicant"), pk=pk)
    allowed, department_id = _scope(request.user, application)
    if not allowed:
        # Not a 403: whether an application exists is not for everyone to learn.
        raise Http404("未找到该申请。")
    case_names = {
        str(c.pk): f"{c.item_name}（{c.department.name}）"
        for c in application.cases.select_related("department")
    }
    events = trail_for_application(application, department_id=department_id)
    rows = [describe(e, case_names) for e in events]
    return render(
        request,
        "audit/trail.html",
        {"application": application, "rows": rows, "partial": department_id is not None},
    )
