"""电子监察 pages: the dashboard (figures by 一件事, department, window or clerk for a month,
the trend, the live yellow and red counts, and for the supervisor the department ranking),
the cases behind a figure, the yellow and red lists, the Excel export and the bulletins.

The supervisor sees everything; a department reviewer their own department's figures and
cases; anyone else is refused. Views read the request and call selectors or one service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods

from lianban.common.errors import DomainError
from lianban.supervision import export, selectors, services
from lianban.supervision.models import Bulletin, FigureState
from lianban.supervision.selectors import Scope

View = Callable[..., HttpResponseBase]


def scoped(view: View) -> View:
    """Pass the viewer's :class:`Scope`; 403 for clerks and applicants, the sign-in page
    for visitors."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = selectors.scope_of(request.user)
        if scope is None:
            return render(request, "supervision/forbidden.html", status=403)
        return view(request, scope, *args, **kwargs)

    return wrapped


def supervisor_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, scope: Scope, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not scope.everything:
            return render(request, "supervision/forbidden.html", status=403)
        return view(request, scope, *args, **kwargs)

    return scoped(wrapped)


def parse_month(value: str, default: dt.date) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return default


def _month_and_by(request: HttpRequest) -> tuple[dt.date, str]:
    this_month = timezone.localdate().replace(day=1)
    month = parse_month(request.GET.get("month", ""), this_month)
    by = request.GET.get("by", "")
    return month, by if by in selectors.DIMENSIONS else "bundle"


def _as_of(state: FigureState | None) -> str:
    if state is None or state.refreshed_at is None:
        return "统计数据尚未生成（请运行 lianban refresh_figures）"
    return f"数据截至 {timezone.localtime(state.refreshed_at):%Y-%m-%d %H:%M}"


def _chart_data(rows: list[selectors.Row], trend: list[tuple[dt.date, selectors.Figures]]) -> Any:
    def pct(v: float | None) -> float | None:
        return None if v is None else round(v * 100, 1)

    return {
        "months": [f"{m:%Y-%m}" for m, _ in trend],
        "received": [f.received for _, f in trend],
        "dispatched": [f.dispatched for _, f in trend],
        "processing": [pct(f.processing_rate) for _, f in trend],
        "completion": [pct(f.completion_rate) for _, f in trend],
        "intake": [pct(f.intake_rate) for _, f in trend],
        "labels": [r.label for r in rows[:15]],
        "volumes": [r.figures.dispatched for r in rows[:15]],
    }


@require_GET
@scoped
def dashboard(request: HttpRequest, scope: Scope) -> HttpResponse:
    month, by = _month_and_by(request)
    today = timezone.localdate()
    state = selectors.freshness()
    figures = selectors.dashboard(scope, month, by, state)
    rows, total, trend = figures.rows, figures.total, figures.trend
    for r in rows:
        r.query = urlencode({"month": f"{month:%Y-%m}", "by": by, "key": r.key})
    # Formatted once here rather than in each of the rows that print them.
    trend_rows = [(dateformat.format(m, "Y-m"), f) for m, f in trend]
    return render(
        request,
        "supervision/dashboard.html",
        {
            "scope": scope,
            "department": getattr(request.user, "department", None)
            if not scope.everything
            else None,
            "month": month,
            "by": by,
            "by_label": selectors.DIMENSIONS[by],
            "total_query": urlencode({"month": f"{month:%Y-%m}", "by": by}),
            "month_key": dateformat.format(month, "Y-m"),
            "drill": reverse("supervision:drill"),
            "dimensions": selectors.DIMENSIONS,
            "rows": rows,
            "total": total,
            "trend": trend_rows,
            "ranking": figures.ranking,
            "warnings": selectors.warning_counts(scope, today),
            "as_of": _as_of(state),
            "chart": _chart_data(rows, trend),
            "today": today,
        },
    )


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 10_000 else 1


@require_GET
@scoped
def drill(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The cases (or, for the window's figures, the applications) behind one figure."""
    month, by = _month_and_by(request)
    figure = request.GET.get("figure", "")
    key = request.GET.get("key")  # absent: the total row
    key = key[:32] if key is not None else None
    number = _page_number(request)
    if figure in selectors.CASE_DRILLS:
        cases = selectors.drill_cases(scope, figure, month, by, key)
        found, more = selectors.page(cases.select_related("application", "department"), number)
        title = selectors.CASE_DRILLS[figure]
        kind = "cases"
    elif figure in selectors.APPLICATION_DRILLS and scope.everything:
        apps = selectors.drill_applications(figure, month, by, key)
        found, more = selectors.page(apps.select_related("received_by"), number)
        title = selectors.APPLICATION_DRILLS[figure]
        kind = "applications"
    else:
        raise Http404("没有这项统计。")
    return render(
        request,
        "supervision/drill.html",
        {
            "kind": kind,
            "title": title,
            "month": month,
            "by_label": selectors.DIMENSIONS[by],
            "key": key,
            "rows": found,
            "number": number,
            "more": more,
        },
    )


@require_GET
@scoped
def warnings(request: HttpRequest, scope: Scope, light: str) -> HttpResponse:
    """The live list of yellow (预警) or red (超期) cases, most urgent first."""
    if light not in selectors.LIGHTS:
        raise Http404("没有这种预警。")
    today = timezone.localdate()
    number = _page_number(request)
    found, more = selectors.page(
        selectors.warning_cases(scope, light, today)
        .select_related("application", "department")
        # What the list prints: an application's answers and form data are wide.
        .only(
            "status",
            "item_name",
            "running_due",
            "application__receipt_number",
            "department__name",
        ),
        number,
    )
    return render(
        request,
        "supervision/warnings.html",
        {
            "light": light,
            "title": selectors.LIGHTS[light],
            "rows": selectors.warning_rows(found, today),
            "number": number,
            "more": more,
            "today": today,
        },
    )


@require_GET
@scoped
def export_xlsx(request: HttpRequest, scope: Scope) -> HttpResponse:
    month, by = _month_and_by(request)
    data = export.workbook(scope, month, by, _as_of(selectors.freshness()))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"supervision-{month:%Y-%m}-{by}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
@supervisor_only
def bulletins(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The bulletins issued so far; the supervisor issues one for a chosen month."""
    default = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    error = ""
    chosen = f"{default:%Y-%m}"
    if request.method == "POST":
        chosen = request.POST.get("month", "").strip()
        month = parse_month(chosen, dt.date.min)
        if month == dt.date.min:
            error = "请按“年-月”选择月份，如 2026-10。"
        else:
            try:
                bulletin = services.bulletin_issue(month=month, actor=request.user)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, f"已签发{bulletin.number}。")
                return redirect("supervision:bulletins")
    return render(
        request,
        "supervision/bulletins.html",
        {
            "bulletins": Bulletin.objects.select_related("issued_by", "document")[:100],
            "chosen": chosen,
            "error": error,
            "as_of": _as_of(selectors.freshness()),
        },
        status=400 if error else 200,
    )


@require_GET
@supervisor_only
def bulletin_pdf(request: HttpRequest, scope: Scope, pk: int) -> FileResponse:
    bulletin = get_object_or_404(Bulletin.objects.select_related("document"), pk=pk)
    # A download like every other file the platform serves, never a document opened in place.
    return FileResponse(
        bulletin.document.file.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"{bulletin.number}.pdf",
    )
