"""Panels other apps' pages include: the applicant's consent panel on the application page,
and the department's shared-data panel on the case page (read through the logged selector)."""

from __future__ import annotations

from typing import Any

from django import template

from lianban.accounts.models import User
from lianban.common.errors import NotAllowed
from lianban.sharing import selectors

register = template.Library()


@register.inclusion_tag("sharing/_consent_panel.html", takes_context=True)
def sharing_consent_panel(context: Any, application: Any) -> dict[str, Any]:
    request = context.get("request")
    mine = request is not None and application.applicant.user_id == request.user.pk
    return {
        "application": application,
        "consent": selectors.consent_of(application),
        "mine": mine,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("sharing/_case_panel.html", takes_context=True)
def shared_data_panel(context: Any, case: Any) -> dict[str, Any]:
    reader = context["request"].user
    if getattr(reader, "role", None) != User.Role.REVIEWER:
        # Superusers see the case page too, but shared data is read only by the department.
        return {"case": case, "reads": [], "error": "共享数据仅供本部门审批人员办理本案件时读取。"}
    try:
        reads = selectors.reads_for_case_page(reader, case)
        error = ""
    except NotAllowed as exc:
        reads, error = [], exc.message
    return {"case": case, "reads": reads, "error": error}
