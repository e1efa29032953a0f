"""Public pages: the list of 一件事, the tailored guide, and the printable 一次性告知单."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from lianban.catalog.models import Bundle
from lianban.catalog.planner import Definition, Plan, PlanError, make_plan
from lianban.catalog.selectors import definition_of, published_definitions, published_version
from lianban.portal.guide_pdf import sealed_notice

ANSWER_PREFIX = "q-"
TEXT_SIZE_COOKIE = "text_size"


def answers_from_query(query: QueryDict, definition: Definition) -> dict[str, Any]:
    """Situation answers from a query string or form (``q-<question>=<option>``)."""
    answers: dict[str, Any] = {}
    for q in definition.questions:
        values = [v for v in query.getlist(ANSWER_PREFIX + q.key) if v]
        if q.multiple:
            if values:
                answers[q.key] = values
        elif values:
            answers[q.key] = values[-1]
    return answers


def _definition(code: str) -> Definition:
    version = published_version(code)
    if version is None:
        raise Http404("未找到该一件事。")
    return definition_of(version)


def _plan(definition: Definition, answers: dict[str, Any]) -> tuple[Plan | None, list[str]]:
    try:
        return make_plan(definition, answers, partial=True), []
    except PlanError as exc:
        return None, [e["message"] for e in exc.errors]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    labels = dict(Bundle.Category.choices)
    subjects = dict(Bundle.Subject.choices)
    groups: OrderedDict[tuple[str, str], list[Definition]] = OrderedDict()
    definitions = published_definitions()
    order = list(labels)
    definitions.sort(key=lambda d: order.index(d.snapshot["category"]))
    for d in definitions:
        if query and query not in d.name and not any(query in i["name"] for i in d.items):
            continue
        key = (subjects[d.snapshot["subject"]], labels[d.snapshot["category"]])
        groups.setdefault(key, []).append(d)
    by_subject: OrderedDict[str, list[tuple[str, list[Definition]]]] = OrderedDict()
    for subject in subjects.values():
        for (s, category), ds in groups.items():
            if s == subject:
                by_subject.setdefault(subject, []).append((category, ds))
    return render(
        request,
        "portal/home.html",
        {
            "query": query,
            "by_subject": by_subject,
            "count": sum(len(ds) for ds in groups.values()),
        },
    )


@require_GET
def guide(request: HttpRequest, code: str) -> HttpResponse:
    definition = _definition(code)
    answers = answers_from_query(request.GET, definition)
    plan, errors = _plan(definition, answers)
    context = {
        "d": definition,
        "s": definition.snapshot,
        "plan": plan,
        "errors": errors,
        "questions": _question_rows(definition, plan, answers),
        "query_string": request.GET.urlencode(),
    }
    template = (
        "portal/_guide_body.html" if request.headers.get("HX-Request") else "portal/guide.html"
    )
    return render(request, template, context)


@require_GET
def notice(request: HttpRequest, code: str) -> HttpResponse:
    definition = _definition(code)
    plan, errors = _plan(definition, answers_from_query(request.GET, definition))
    return _notice_page(request, definition, plan, errors)


def _notice_page(
    request: HttpRequest,
    definition: Definition,
    plan: Plan | None,
    errors: list[str],
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/notice.html",
        {
            "d": definition,
            "s": definition.snapshot,
            "plan": plan,
            "errors": errors,
            "query_string": request.GET.urlencode(),
        },
        status=status,
    )


@require_GET
def notice_pdf(request: HttpRequest, code: str) -> HttpResponseBase:
    """The 一次性告知单 as a sealed PDF, for the answers given."""
    definition = _definition(code)
    plan, errors = _plan(definition, answers_from_query(request.GET, definition))
    if plan is None:
        return _notice_page(request, definition, plan, errors, status=400)
    document = sealed_notice(definition, plan)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _question_rows(
    definition: Definition, plan: Plan | None, answers: dict[str, Any]
) -> list[dict[str, Any]]:
    """The questions to show now: those asked given the answers so far, in order."""
    rows = []
    shown = set(plan.answers) | {q.key for q in plan.pending} if plan else None
    for q in definition.questions:
        if shown is not None and q.key not in shown:
            continue
        if shown is None and q.ask_when:
            continue
        chosen = answers.get(q.key)
        selected = set(chosen if isinstance(chosen, list) else [chosen] if chosen else [])
        rows.append(
            {
                "q": q,
                "name": ANSWER_PREFIX + q.key,
                "answered": q.key in answers,
                "options": [
                    {"key": k, "label": label, "checked": k in selected, "id": f"opt-{q.key}-{k}"}
                    for k, label in q.options
                ],
            }
        )
    return rows


@require_GET
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch large text on or off; a cookie keeps the choice (works without JavaScript)."""
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.GET.get("size") == "large":
        response.set_cookie(TEXT_SIZE_COOKIE, "large", max_age=365 * 24 * 3600, samesite="Lax")
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE)
    return response


# ---- Public progress lookup -----------------------------------------------------------

TRACK_ATTEMPTS = 10  # wrong phone endings per receipt number per hour


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, number: str = "") -> HttpResponse:
    """Anyone with a receipt number and the last four digits of the applicant's phone sees
    where the application stands — no name, no identity number, no documents. This is where
    the QR code on every notice leads, also for those served at the window without an
    account."""
    from django.core.cache import cache

    from lianban.applications.models import Application

    number = (request.POST.get("number") or number or request.GET.get("number", "")).strip()
    # No receipt number holds a NUL, and PostgreSQL cannot compare with one: not found.
    number = number.replace("\x00", "")
    context: dict[str, Any] = {"number": number, "error": ""}
    if request.method == "POST":
        tail = request.POST.get("phone_tail", "").strip()
        # By digest: a typed number may hold anything, and a cache key may not.
        key = f"track-fail:{hashlib.sha256(number.encode()).hexdigest()}"
        if (cache.get(key) or 0) >= TRACK_ATTEMPTS:
            context["error"] = "尝试次数过多，请一小时后再试，或到综合窗口查询。"
        else:
            application = (
                Application.objects.filter(receipt_number=number)
                .select_related("applicant")
                .first()
            )
            if (
                application is None
                or len(tail) != 4
                or not application.applicant.phone.endswith(tail)
            ):
                cache.set(key, (cache.get(key) or 0) + 1, 3600)
                context["error"] = "收件编号或手机号码后四位不正确。"
            else:
                context["application"] = application
                context["cases"] = list(
                    application.cases.select_related("department").order_by("item__position")
                )
    return render(request, "portal/track.html", context)
