"""The department workbench (联办部门工作台): the department's queue of item cases with their
clocks, one case with exactly what its item may see, and the department's actions on it —
accept or refuse, ask for a supplement, suspend and resume the clock, extend once, decide,
and return the result to the window.

Views only read the request, call one service of :mod:`lianban.cases.services` and show the
result; a :class:`DomainError` is shown next to the input it names, with everything the
reviewer typed kept. Every action posts the status the reviewer saw, so that when two act at
once the second is told the case was already handled and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from lianban.accounts.models import User
from lianban.applications import formdata
from lianban.applications.files import extension_for
from lianban.applications.models import MaterialFile
from lianban.cases import services
from lianban.cases.models import Clock, ItemCase, ResultDocument, Suspension
from lianban.cases.services import MAX_EXTENSION_DAYS
from lianban.cases.transitions import allowed_actions
from lianban.catalog.models import Department, ServiceItem
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.workbench import selectors

S = ItemCase.Status
View = Callable[..., HttpResponseBase]

# The department's actions, in the order a case meets them, with the inputs each posts.
ACTIONS: dict[str, tuple[str, ...]] = {
    "accept": (),
    "refuse": ("reason",),
    "request_supplement": ("material_codes", "reason"),
    "suspend": ("kind", "reason"),
    "resume": (),
    "extend": ("days", "approver", "reason"),
    "decide": ("outcome", "reason"),
    "return_result": ("documents",),
}
RESULT_ROWS = 3  # result files offered at once; "再加一份" adds more, up to MAX_RESULT_ROWS
MAX_RESULT_ROWS = 10
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "jpg": "image/jpeg",
    "png": "image/png",
}


def reviewer_required(view: View) -> View:
    """Department reviewers (bound to a department) and superusers only: anyone else signed
    in gets 403, and a visitor who is not signed in is sent to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.may_use_workbench(user):
            unbound = getattr(user, "role", None) == User.Role.REVIEWER
            return render(request, "workbench/forbidden.html", {"unbound": unbound}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


# The queue.


@reviewer_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    group = selectors.GROUP_BY_KEY.get(request.GET.get("status", ""), selectors.GROUPS[0])
    item_code = request.GET.get("item", "").strip()[:32]
    receipt = request.GET.get("q", "").strip()[:20]

    cases = selectors.cases_of(user)
    department = user.department if not user.is_superuser else None
    departments: list[Department] = []
    if user.is_superuser:
        departments = list(Department.objects.order_by("code"))
        chosen = request.GET.get("department", "")
        department = next((d for d in departments if d.code == chosen), None)
        if department is not None:
            cases = cases.filter(department=department)
    items = ServiceItem.objects.order_by("code").values_list("code", "name")
    if department is not None:
        items = items.filter(department=department)

    cases = selectors.filtered(cases, item_code=item_code, receipt=receipt)
    counts = selectors.group_counts(cases)
    keep = {"item": item_code, "q": receipt}
    if user.is_superuser and department is not None:
        keep["department"] = department.code
    tabs = [
        {
            "group": g,
            "count": counts.get(g.key),
            "query": urlencode({k: v for k, v in {"status": g.key, **keep}.items() if v}),
            "id": f"tab-{g.key or 'open'}",
        }
        for g in selectors.GROUPS
    ]
    ids: Any = selectors.queue(cases, group, now=now)
    if counts.get(group.key) is not None:
        ids = selectors.Counted(ids, counts[group.key])
    paginator: Paginator[int] = Paginator(ids, selectors.PAGE_SIZE)
    finished = group.key == "finished"
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/queue.html",
        {
            "department": department,
            "departments": departments,
            "tabs": tabs,
            "group": group,
            "items": list(items),
            "item_code": item_code,
            "receipt": receipt,
            "page": page,
            "rows": selectors.queue_rows(
                selectors.page_of(page.object_list, finished=finished), today
            ),
            "finished": finished,
            "today": today,
        },
    )


# One case.


def _result_rows(
    count: int,
    posted: list[dict[str, Any]] | None = None,
    errors: dict[int, dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the result upload form: what was typed in each and its errors, by input
    (``file``, ``kind``, ``title``, ``number``) or for the row as a whole (``row``)."""
    posted = posted or []
    errors = errors or {}
    rows = []
    for n in range(max(count, len(posted))):
        p = posted[n] if n < len(posted) else {}
        rows.append(
            {
                "n": n,
                "kind": p.get("kind", ""),
                "title": p.get("title", ""),
                "number": p.get("number", ""),
                "had_file": p.get("had_file", False),
                "errors": errors.get(n, {}),
            }
        )
    return rows


def _case_page(
    request: HttpRequest,
    case: ItemCase,
    *,
    action: str = "",
    exc: DomainError | None = None,
    posted: dict[str, Any] | None = None,
    result_rows: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    item = selectors.item_definition(case)
    fields = selectors.visible_fields(case, item)
    form_data = case.application.form_data or {}
    materials = selectors.visible_materials(case, item)
    names = {m["code"]: m["name"] for m in materials}

    forms: dict[str, dict[str, Any]] = {
        a: {"values": {}, "errors": {}, "error": ""} for a in ACTIONS
    }
    conflict = ""
    if exc is not None and isinstance(exc, TransitionError | NotAllowed):
        conflict = exc.message
    elif exc is not None and action:
        form = forms[action]
        form["values"] = posted or {}
        for e in exc.errors:
            if e["path"] in ACTIONS[action] and e["path"] != "documents":
                form["errors"].setdefault(e["path"], e["message"])
            elif not e["path"].startswith("documents["):
                form["error"] = form["error"] or e["message"]
    if result_rows is None:
        try:
            wanted = int(request.GET.get("rows", RESULT_ROWS))
        except ValueError:
            wanted = RESULT_ROWS
        result_rows = _result_rows(min(max(wanted, 1), MAX_RESULT_ROWS))

    applicant = case.application.applicant
    context = {
        "case": case,
        "application": case.application,
        "applicant": applicant,
        "identity_visible": selectors.identity_visible(case, fields),
        "clocks": selectors.case_clocks(case, today),
        "fields": [
            {
                "key": f["key"],
                "label": f["label"],
                "value": formdata.display(f, form_data.get(f["key"])),
            }
            for f in fields
        ],
        "materials": materials,
        "supplements": [
            {"s": s, "materials": [names.get(c, c) for c in s.material_codes]}
            for s in case.supplements.all()
        ],
        "suspensions": case.suspensions.all(),
        "extension": getattr(case, "extension", None) if case.extended else None,
        "results": case.results.all(),
        "siblings": selectors.siblings(case),
        "history": selectors.history(case, names),
        "actions": allowed_actions(case),
        "forms": forms,
        "action": action,
        "problem": exc.message if exc is not None and not conflict else "",
        "conflict": conflict,
        "suspension_kinds": Suspension.Kind.choices,
        "outcomes": ItemCase.Outcome.choices,
        "result_kinds": ResultDocument.Kind.choices,
        "result_rows": result_rows,
        "more_rows": len(result_rows) + 1 if len(result_rows) < MAX_RESULT_ROWS else 0,
        "max_extension_days": MAX_EXTENSION_DAYS,
        "today": today,
    }
    status = exc.status if exc is not None else 200
    return render(request, "workbench/case.html", context, status=status)


@reviewer_required
@require_GET
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, selectors.case_for(request.user, pk))


# The actions: each reads its inputs, calls one service and shows the result.


def _expected_status(request: HttpRequest) -> str:
    expected = request.POST.get("expected_status", "")
    if expected not in S.values:
        raise TransitionError("页面缺少办件状态，可能已过期，请刷新后重新操作。")
    return expected


def _act(
    request: HttpRequest,
    pk: int,
    action: str,
    call: Callable[[ItemCase, str], ItemCase],
    done: Callable[[ItemCase], str],
    posted: dict[str, Any] | None = None,
) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    try:
        updated = call(case, _expected_status(request))
    except DomainError as exc:
        return _case_page(request, case, action=action, exc=exc, posted=posted)
    messages.success(request, done(updated))
    return redirect("workbench:case", pk=case.pk)


def _due(case: ItemCase, kind: str) -> str:
    clock = Clock.objects.filter(case=case, kind=kind).first()
    return f"{clock.due.year}年{clock.due.month}月{clock.due.day}日" if clock else ""


@reviewer_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "accept",
        lambda case, expected: services.case_accept(
            case=case, actor=request.user, expected_status=expected
        ),
        lambda case: f"已受理，应于{_due(case, Clock.Kind.DECISION)}前作出决定。",
    )


@reviewer_required
@require_POST
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        "refuse",
        lambda case, expected: services.case_refuse(
            case=case, actor=request.user, reason=reason, expected_status=expected
        ),
        lambda case: "已作出不予受理决定，并已通知申请人。",
        {"reason": reason},
    )


@reviewer_required
@require_POST
def request_supplement(request: HttpRequest, pk: int) -> HttpResponse:
    codes = request.POST.getlist("material_codes")
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        "request_supplement",
        lambda case, expected: services.case_request_supplement(
            case=case,
            actor=request.user,
            material_codes=codes,
            reason=reason,
            expected_status=expected,
        ),
        lambda case: "已要求补正，受理计时暂停；补正材料齐全后重新计算受理时限。",
        {"material_codes": codes, "reason": reason},
    )


@reviewer_required
@require_POST
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    kind = request.POST.get("kind", "")
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        "suspend",
        lambda case, expected: services.case_suspend(
            case=case, actor=request.user, kind=kind, reason=reason, expected_status=expected
        ),
        lambda case: "已中止计时，所需时间不计入办理时限。",
        {"kind": kind, "reason": reason},
    )


@reviewer_required
@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "resume",
        lambda case, expected: services.case_resume(
            case=case, actor=request.user, expected_status=expected
        ),
        lambda case: f"已恢复计时，办结期限顺延至{_due(case, Clock.Kind.DECISION)}。",
    )


@reviewer_required
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    raw_days = request.POST.get("days", "").strip()
    approver = request.POST.get("approver", "")
    reason = request.POST.get("reason", "")
    # A number that is not one is out of range: the service then tells every problem at once.
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) <= 3 else 0
    return _act(
        request,
        pk,
        "extend",
        lambda case, expected: services.case_extend(
            case=case,
            actor=request.user,
            days=days,
            approver=approver,
            reason=reason,
            expected_status=expected,
        ),
        lambda case: f"已延期{days}个工作日，办结期限为{_due(case, Clock.Kind.DECISION)}。",
        {"days": raw_days, "approver": approver, "reason": reason},
    )


@reviewer_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = request.POST.get("outcome", "")
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        "decide",
        lambda case, expected: services.case_decide(
            case=case, actor=request.user, outcome=outcome, reason=reason, expected_status=expected
        ),
        lambda case: (
            f"已作出{case.get_outcome_display()}决定，请于{_due(case, Clock.Kind.RETURN)}前"
            "上传办理结果并送回综合窗口。"
        ),
        {"outcome": outcome, "reason": reason},
    )


@reviewer_required
@require_POST
def return_result(request: HttpRequest, pk: int) -> HttpResponse:
    """One or more result files, each with its kind, title and number; blank rows are
    ignored. What was typed is kept when something is refused (files must be chosen again)."""
    case = selectors.case_for(request.user, pk)
    try:
        count = min(max(int(request.POST.get("rows", RESULT_ROWS)), 1), MAX_RESULT_ROWS)
    except ValueError:
        count = RESULT_ROWS
    posted: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    rows_of: list[int] = []  # the form row of each document passed to the service
    errors: dict[int, dict[str, str]] = {}
    for n in range(count):
        f = request.FILES.get(f"doc-{n}-file")
        row: dict[str, Any] = {
            "kind": request.POST.get(f"doc-{n}-kind", ""),
            "title": request.POST.get(f"doc-{n}-title", ""),
            "number": request.POST.get(f"doc-{n}-number", ""),
            "had_file": f is not None,
        }
        posted.append(row)
        if f is None and not row["title"].strip() and not row["number"].strip():
            continue  # a blank row
        if f is None:
            errors.setdefault(n, {})["file"] = "请选择这份办理结果的文件（PDF、JPEG、PNG）。"
        if row["kind"] not in ResultDocument.Kind.values:
            errors.setdefault(n, {})["kind"] = "请选择结果的类型。"
        if not row["title"].strip():
            errors.setdefault(n, {})["title"] = "请填写结果名称。"
        if f is not None:
            documents.append(
                {
                    "kind": row["kind"],
                    "title": row["title"],
                    "number": row["number"],
                    "stream": f,
                    "name": f.name or "",
                }
            )
            rows_of.append(n)
    exc: DomainError | None = None
    if errors and request.POST.get("expected_status") == case.status:
        exc = DomainError("办理结果信息不完整，请按提示修改。", path="documents")
    else:
        # (A form shown for an earlier status is answered by the service: 已由他人处理.)
        try:
            services.case_return_result(
                case=case,
                actor=request.user,
                documents=documents,
                expected_status=_expected_status(request),
            )
        except DomainError as e:
            exc = e
            for err in e.errors:
                path = err["path"]
                if path.startswith("documents[") and "]" in path:
                    index = int(path[len("documents[") : path.index("]")])
                    n = rows_of[index] if index < len(rows_of) else 0
                    suffix = path[path.index("]") + 1 :].lstrip(".")
                    key = suffix if suffix in {"file", "kind", "title", "number"} else "row"
                    errors.setdefault(n, {})[key] = err["message"]
    if exc is not None:
        return _case_page(
            request,
            case,
            action="return_result",
            exc=exc,
            result_rows=_result_rows(count, posted, errors),
        )
    messages.success(request, f"已上传{len(documents)}份办理结果并送回综合窗口。")
    return redirect("workbench:case", pk=case.pk)


# Files: only those of the case's own item, always as downloads.


@reviewer_required
@require_GET
def material_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    case = selectors.case_for(request.user, pk)
    f = get_object_or_404(
        MaterialFile,
        pk=file_id,
        application_id=case.application_id,
        material_code__in=list(case.item.material_codes),
    )
    # Always an attachment with the type checked at upload, never rendered inline.
    response = FileResponse(
        f.file.open("rb"),
        as_attachment=True,
        filename=f"{f.material_code}-v{f.version}{extension_for(f.content_type)}",
        content_type=f.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@reviewer_required
@require_GET
def result_file(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    case = selectors.case_for(request.user, pk)
    doc = get_object_or_404(ResultDocument, pk=doc_id, case=case)
    suffix = doc.file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=True,
        filename=f"result-{case.pk}-{doc.pk}.{suffix}",
        content_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
