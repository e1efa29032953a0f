"""The window clerk's workbench (综合窗口): the intake queue, taking a walk-in application,
and the review of one application — the merged form, the materials with a verdict each, and
the end of intake: receipt, one-time correction notice or 容缺 acceptance; once received, the
progress of its item cases, their results, and the delivery (送达) to the applicant.

Views only read the request, call one service of :mod:`lianban.applications.services` (or,
for delivery, :mod:`lianban.cases.services`) and show the result; a :class:`DomainError` is
shown next to the field or material it names, with everything the clerk typed kept."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianban.accounts.models import Applicant, User
from lianban.accounts.services import applicant_for_walk_in
from lianban.applications import formdata, selectors, services, webforms
from lianban.applications.applicant_views import (
    DELIVERY_CHOICE_OPEN,
    case_rows,
    check_delivery_text,
    delivery_values,
    open_cases,
    serve_result,
    with_cases,
)
from lianban.applications.models import Application, MaterialReview, Notice
from lianban.cases import services as case_services
from lianban.cases.models import Delivery, ItemCase, ResultDocument
from lianban.catalog.models import Bundle
from lianban.catalog.planner import Definition, Plan, PlanError, make_plan
from lianban.catalog.selectors import definition_of, published_definitions, published_version
from lianban.common.errors import DomainError
from lianban.portal.views import ANSWER_PREFIX, answers_from_query
from lianban.window.forms import WalkInApplicantForm

S = Application.Status
LIGHT_LABELS = {"green": "正常", "yellow": "即将到期", "red": "已超期"}
VERDICTS = [
    (MaterialReview.Verdict.ACCEPTED, "合格"),
    (MaterialReview.Verdict.MISSING, "缺少"),
    (MaterialReview.Verdict.IRREGULAR, "不符合要求"),
]

View = Callable[..., HttpResponseBase]


def clerk_required(view: View) -> View:
    """Window clerks and superusers only: anyone else signed in gets 403, and a visitor
    who is not signed in is sent to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_superuser or getattr(user, "role", None) == User.Role.CLERK):
            return render(request, "window/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# The queue.


@clerk_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    waiting, waiting_total = _first_rows(selectors.intake_queue())
    commitments, commitments_total = _first_rows(selectors.open_commitments())
    correcting, correcting_total = _first_rows(selectors.in_correction())
    received, received_total = _first_rows(selectors.received_on(today))
    delivering, delivering_more = _awaiting_delivery()
    return render(
        request,
        "window/queue.html",
        {
            "waiting": [
                {"a": a, "light": light, "light_label": LIGHT_LABELS.get(light, "")}
                for a in waiting
                for light in [selectors.light(today, a.intake_due)]
            ],
            "waiting_total": waiting_total,
            "drafts": selectors.window_drafts(request.user),  # type: ignore[arg-type]
            "correcting": correcting,
            "correcting_total": correcting_total,
            "received": received,
            "received_total": received_total,
            "delivering": delivering,
            "delivering_more": delivering_more,
            "commitments": [{"c": c, "light": selectors.light(today, c.due)} for c in commitments],
            "commitments_total": commitments_total,
            "rows": QUEUE_ROWS,
            "today": today,
        },
    )


# Each list shows its most urgent rows: a province's hall may hold tens of thousands of
# applications in one state, and the page must cost the same whatever their number.
QUEUE_ROWS = 50


def _first_rows(qs: Any) -> tuple[list[Any], int]:
    rows = list(qs[:QUEUE_ROWS])
    return rows, len(rows) if len(rows) < QUEUE_ROWS else qs.count()


def _awaiting_delivery() -> tuple[list[dict[str, Any]], bool]:
    """结果待送达: received applications with a result back at the window that may be
    handed over now by the applicant's chosen method, longest waiting first; the first
    ``QUEUE_ROWS`` of them, and whether there are more.

    The database finds them: returned cases in the order they came back (an index), of
    applications delivered case by case or with no case still open — what ``deliverable()``
    asks — so that only the applications shown are loaded, with their cases."""
    returned = (
        case_services.deliverable_returns()
        .filter(application__status=S.RECEIVED)
        .order_by("returned_at", "pk")
        .values_list("application_id", "returned_at")
    )
    since: dict[int, Any] = {}
    offset, batch = 0, QUEUE_ROWS * 4
    while len(since) <= QUEUE_ROWS:
        chunk = list(returned[offset : offset + batch])
        offset += batch
        for application_id, returned_at in chunk:
            since.setdefault(application_id, returned_at)
        if len(chunk) < batch:
            break
    shown = sorted(since, key=lambda pk: (since[pk], pk))[:QUEUE_ROWS]
    applications = (
        Application.objects.filter(pk__in=shown)
        .select_related("applicant")
        .prefetch_related(
            Prefetch(
                "cases", queryset=ItemCase.objects.only("application_id", "status", "item_name")
            )
        )
    )
    rows = [
        {"a": a, "ready": case_services.deliverable(a), "since": since[a.pk]}
        for a in sorted(applications, key=lambda a: (since[a.pk], a.pk))
    ]
    return rows, len(since) > QUEUE_ROWS


# Taking a walk-in application.


@clerk_required
@require_GET
def new(request: HttpRequest) -> HttpResponse:
    """Step 1: pick the 一件事 from the published catalog."""
    query = request.GET.get("q", "").strip()[:50]
    subjects = dict(Bundle.Subject.choices)
    groups: dict[str, list[Definition]] = {label: [] for label in subjects.values()}
    count = 0
    for d in published_definitions():
        if query and query not in d.name and not any(query in i["name"] for i in d.items):
            continue
        groups[subjects[d.snapshot["subject"]]].append(d)
        count += 1
    return render(
        request,
        "window/new.html",
        {"query": query, "groups": [(s, ds) for s, ds in groups.items() if ds], "count": count},
    )


@clerk_required
@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, code: str) -> HttpResponse:
    """Step 2: the situation answers and who the applicant is; then the draft is opened
    and the clerk goes on to the review page."""
    version = published_version(code)
    if version is None:
        raise Http404("未找到该一件事。")
    definition = definition_of(version)
    kind = definition.snapshot["subject"]
    if request.method == "GET":
        return _take_page(request, definition, {}, WalkInApplicantForm(kind=kind))
    answers = answers_from_query(request.POST, definition)
    if _is_htmx(request) or "refresh" in request.POST:
        # Only the questions changed: show the follow-up questions, keep what was typed.
        form = WalkInApplicantForm(
            kind=kind, initial=WalkInApplicantForm.initial_from(request.POST)
        )
        return _take_page(request, definition, answers, form)
    form = WalkInApplicantForm(request.POST, kind=kind)
    if not form.is_valid():
        # Tell everything at once: the questions still unanswered too.
        try:
            make_plan(definition, answers)
        except PlanError as exc:
            return _take_page(request, definition, answers, form, exc.errors, status=400)
        return _take_page(request, definition, answers, form, status=400)
    data = form.applicant_data()
    try:
        with transaction.atomic():
            applicant = applicant_for_walk_in(**data, actor=request.user)
            application = services.application_start(
                bundle_code=definition.code,
                answers=answers,
                applicant=applicant,
                channel=Application.Channel.WINDOW,
                actor=request.user,
            )
    except DomainError as exc:
        return _take_page(request, definition, answers, form, exc.errors, status=400)
    if form.credit_warning:
        messages.warning(request, form.credit_warning)
    if applicant.name != data["name"] or applicant.phone != data["phone"]:
        messages.warning(
            request,
            f"该证件号码已有申请人档案（{applicant.name}，手机 {applicant.phone}），本次申请使用"
            f"该档案，与刚才录入的（{data['name']}，手机 {data['phone']}）不一致，请核对。",
        )
    messages.success(
        request,
        f"已为{applicant.name}创建“{definition.name}”窗口申请，请录入申请表、扫描材料并逐项审查。",
    )
    return redirect("window:review", pk=application.pk)


def _take_page(
    request: HttpRequest,
    definition: Definition,
    answers: dict[str, Any],
    form: WalkInApplicantForm,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    emap = webforms.error_map(errors or [])
    try:
        plan: Plan | None = make_plan(definition, answers, partial=True)
    except PlanError:
        plan = None
    questions = _question_rows(definition, plan, answers, emap)
    shown = {f"answers.{r['q'].key}" for r in questions}
    return render(
        request,
        "window/take.html",
        {
            "d": definition,
            "kind_label": dict(Applicant.Kind.choices)[definition.snapshot["subject"]],
            "plan": plan,
            "questions": questions,
            "form": form,
            "other_errors": [e["message"] for e in errors or [] if e["path"] not in shown],
            "problem": bool(errors) or bool(form.is_bound and form.errors),
        },
        status=status,
    )


def _question_rows(
    definition: Definition, plan: Plan | None, answers: dict[str, Any], emap: dict[str, str]
) -> list[dict[str, Any]]:
    """The questions asked given the answers so far, as the public guide shows them."""
    shown = set(plan.answers) | {q.key for q in plan.pending} if plan else None
    rows = []
    for q in definition.questions:
        if (shown is not None and q.key not in shown) or (shown is None and q.ask_when):
            continue
        chosen = answers.get(q.key)
        selected = set(chosen if isinstance(chosen, list) else [chosen] if chosen else [])
        rows.append(
            {
                "q": q,
                "name": ANSWER_PREFIX + q.key,
                "answered": q.key in answers,
                "error": emap.get(f"answers.{q.key}", ""),
                "options": [
                    {"key": k, "label": label, "checked": k in selected, "id": f"opt-{q.key}-{k}"}
                    for k, label in q.options
                ],
            }
        )
    return rows


# The review of one application.


def _application(request: HttpRequest, pk: int) -> Application:
    application = (
        selectors.visible_to(request.user)  # type: ignore[arg-type]
        .select_related("applicant", "bundle_version", "created_by", "received_by")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404("未找到该申请。")
    return application


def _is_walk_in(application: Application) -> bool:
    return application.channel == Application.Channel.WINDOW


def _editable(application: Application) -> tuple[set[str], set[str]]:
    """What the clerk may fill in for the applicant: a walk-in draft whole, a walk-in under
    correction what the notice lists. Online applications are the applicant's to change."""
    if _is_walk_in(application) and application.status in {S.DRAFT, S.CORRECTION}:
        return selectors.correctable(application)
    return set(), set()


def _reviewing(application: Application) -> bool:
    """The window may give verdicts and end intake now."""
    return application.status == S.SUBMITTED or (
        application.status == S.DRAFT and _is_walk_in(application)
    )


def _reviews(application: Application) -> dict[str, MaterialReview]:
    # While correcting, the verdicts that led to the notice; otherwise this round's.
    round_ = application.review_round
    if application.status == S.CORRECTION:
        round_ = max(round_ - 1, 1)
    return {r.material_code: r for r in application.reviews.filter(round=round_)}


def _material_entries(
    application: Application,
    plan: Plan,
    reviews: dict[str, MaterialReview],
    emap: dict[str, str],
    posted_verdict: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    _, editable = _editable(application)
    rows = webforms.material_rows(plan, application, editable=editable, reviews=reviews)
    entries = []
    for m in rows:
        code = m["code"]
        review = reviews.get(code)
        posted = posted_verdict if posted_verdict and posted_verdict["material"] == code else None
        entries.append(
            {
                "row": m,
                "one": [m],
                "error": emap.get(f"materials.{code}", ""),
                "verdict": posted["verdict"] if posted else (review.verdict if review else ""),
                "reason": posted["reason"] if posted else (review.reason if review else ""),
                "verdict_error": emap.get(f"verdicts.{code}", ""),
                "choices": [
                    {"key": k, "label": label, "id": f"verdict-{code}-{k}"} for k, label in VERDICTS
                ],
            }
        )
    return entries


def _progress(plan: Plan, reviews: dict[str, MaterialReview]) -> dict[str, int]:
    codes = [m["code"] for m in plan.materials]
    return {
        "total": len(codes),
        "reviewed": sum(1 for c in codes if c in reviews),
        "accepted": sum(
            1
            for c in codes
            if c in reviews and reviews[c].verdict == MaterialReview.Verdict.ACCEPTED
        ),
    }


def _fix_rows(
    plan: Plan, application: Application, emap: dict[str, str], posted: dict[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for f in plan.fields:
        key = f["key"]
        chosen = posted.get(key)
        rows.append(
            {
                "key": key,
                "label": f["label"],
                "value": formdata.display(f, application.form_data.get(key)),
                "checked": chosen is not None,
                "reason": chosen or "",
                "error": emap.get(f"fixes.{key}", ""),
            }
        )
    return rows


def _deferrable_rows(
    plan: Plan, application: Application, emap: dict[str, str], posted: dict[str, Any]
) -> list[dict[str, Any]]:
    """Secondary materials not yet handed in: what 容缺受理 may leave for later."""
    files = selectors.current_files(application)
    today = timezone.localdate()
    rows = []
    for m in plan.materials:
        code = m["code"]
        if not m["secondary"] or code in files:
            continue
        days, latest = selectors.supplement_limit(plan, code, today)
        chosen = posted.get(code) or {}
        rows.append(
            {
                "code": code,
                "name": m["name"],
                "items": [i["name"] for i in plan.items if i["code"] in m["items"]],
                "days": days,
                "latest": latest,
                "checked": bool(chosen),
                "due": chosen.get("due", ""),
                "statement": chosen.get("statement", ""),
                "error": emap.get(f"commitments.{code}.material", ""),
                "due_error": emap.get(f"commitments.{code}.due", ""),
                "statement_error": emap.get(f"commitments.{code}.statement", ""),
            }
        )
    return rows


def _review_context(
    application: Application,
    *,
    exc: DomainError | None = None,
    errors: list[dict[str, str]] | None = None,
    posted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    plan = selectors.plan_of(application)
    posted = posted or {}
    if errors is None:
        errors = exc.errors if exc else []
    emap = webforms.error_map(errors)
    fields, materials = _editable(application)
    today = timezone.localdate()
    light = (
        selectors.light(today, application.intake_due) if application.status == S.SUBMITTED else ""
    )
    reviews = _reviews(application)
    reviewing = _reviewing(application)
    with_cases(application)
    deliveries = list(application.deliveries.all())
    ready = case_services.deliverable(application) if application.status == S.RECEIVED else []
    return {
        "application": application,
        "applicant": application.applicant,
        "plan": plan,
        "light": light,
        "light_label": LIGHT_LABELS.get(light, ""),
        "walk_in": _is_walk_in(application),
        "rows": webforms.form_rows(
            plan, application, editable=fields, errors=emap, posted=posted.get("form")
        ),
        "can_edit_form": bool(fields),
        "entries": _material_entries(application, plan, reviews, emap, posted.get("verdict")),
        "upload_action": reverse("window:upload", args=[application.pk]),
        "show_original_seen": bool(materials),
        "can_review": reviewing,
        "can_resubmit": _is_walk_in(application) and application.status == S.CORRECTION,
        "progress": _progress(plan, reviews),
        "flagged": [
            {"name": m["name"], "review": reviews[m["code"]]}
            for m in plan.materials
            if m["code"] in reviews
            and reviews[m["code"]].verdict
            in {MaterialReview.Verdict.MISSING, MaterialReview.Verdict.IRREGULAR}
        ],
        "fixes": _fix_rows(plan, application, emap, posted.get("fixes", {})) if reviewing else [],
        "deferrable": (
            _deferrable_rows(plan, application, emap, posted.get("commitments", {}))
            if reviewing
            else []
        ),
        "action": posted.get("action", ""),
        "action_error": emap.get("action", ""),
        "correction": selectors.open_correction(application),
        "notices": application.notices.all(),
        "commitments": application.commitments.all(),
        "case_progress": case_rows(application, today),
        "finished": application.status in {S.COMPLETED, S.ARCHIVED},
        "deliveries": deliveries,
        "deliverable": ready,
        "can_deliver": bool(ready) and application.delivery_method != Delivery.Method.SELF_PRINT,
        "delivery_note": _delivery_note(application, ready),
        "delivery_methods": Delivery.Method.choices,
        "delivery": delivery_values(application, posted.get("delivery"), emap),
        "can_choose_delivery": application.status in DELIVERY_CHOICE_OPEN and not deliveries,
        "problem": exc.message if exc else "",
        "problems": [e["message"] for e in errors if exc is None or e["message"] != exc.message],
    }


def _delivery_note(application: Application, ready: list[ItemCase]) -> str:
    """Why the window cannot hand results over now, in the clerk's words."""
    method = application.delivery_method
    label = application.get_delivery_method_display()
    if application.status in {S.COMPLETED, S.ARCHIVED}:
        return "全部办理结果已送达，申请已办结归档。"
    if application.status != S.RECEIVED:
        return ""
    if method == Delivery.Method.SELF_PRINT:
        return "申请人选择网上自助打印：由申请人本人在网上下载，首次下载即视为送达，窗口无需登记。"
    if ready:
        return ""
    pending = open_cases(application)
    if method in {Delivery.Method.TOGETHER, Delivery.Method.POST} and pending:
        names = "、".join(f"{c.item_name}（{c.get_status_display()}）" for c in pending)
        return f"申请人选择“{label}”，须待全部事项办结后统一送达。尚未办结：{names}。"
    return "暂无已送回窗口、可以送达的办理结果。"


def _review_page(request: HttpRequest, application: Application, **kwargs: Any) -> HttpResponse:
    exc = kwargs.get("exc")
    status = exc.status if isinstance(exc, DomainError) else 200
    return render(
        request, "window/review.html", _review_context(application, **kwargs), status=status
    )


def _back(application: Application, anchor: str = "") -> HttpResponse:
    url = reverse("window:review", args=[application.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@clerk_required
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _application(request, pk))


@clerk_required
@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    """The merged form of a walk-in application, typed by the clerk."""
    application = _application(request, pk)
    fields, _ = _editable(application)
    if not fields:
        return _review_page(
            request, application, exc=DomainError("该申请的申请表不能在窗口修改。", path="action")
        )
    posted = webforms.posted_form(request, selectors.plan_of(application), fields)
    try:
        application, warnings = services.application_save_form(
            application=application, data=posted, actor=request.user
        )
    except DomainError as exc:
        return _review_page(request, application, exc=exc, posted={"form": posted})
    for w in warnings:
        messages.warning(request, w["message"])
    messages.success(request, "申请表已保存。")
    return _back(application, "form")


@clerk_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A material scanned at the window; a scan of an original seen is evidence level B."""
    application = _application(request, pk)
    code = request.POST.get("material", "")
    f = request.FILES.get("file")
    if not _is_walk_in(application):
        exc = DomainError(
            "网上申请的材料由申请人提交，窗口不能代为更换。", path=f"materials.{code}"
        )
    elif f is None:
        exc = DomainError("请选择要上传的文件。", path=f"materials.{code}")
    else:
        try:
            services.material_upload(
                application=application,
                material_code=code,
                stream=f,
                name=f.name or "",
                actor=request.user,
                original_seen=bool(request.POST.get("original_seen")),
            )
        except DomainError as e:
            exc = e
        else:
            messages.success(request, "材料已上传。")
            return _back(application, f"material-{code}")
    return _review_page(request, application, exc=exc)


@clerk_required
@require_POST
def verdict(request: HttpRequest, pk: int) -> HttpResponse:
    """The verdict on one material; with htmx only that material is redrawn."""
    application = _application(request, pk)
    code = request.POST.get("material", "")
    chosen = request.POST.get("verdict", "")
    reason = request.POST.get("reason", "")
    posted = {"material": code, "verdict": chosen, "reason": reason}
    exc: DomainError | None = None
    if not chosen:
        exc = DomainError("请选择审查结论。")
    else:
        try:
            services.material_review(
                application=application,
                material_code=code,
                verdict=chosen,
                reason=reason,
                actor=request.user,
            )
        except DomainError as e:
            exc = e
    errors = (
        [{"path": f"verdicts.{code}", "message": e["message"]} for e in exc.errors] if exc else []
    )
    if _is_htmx(request):
        context = _review_context(
            application, errors=errors, posted={"verdict": posted} if exc else None
        )
        entry = next((e for e in context["entries"] if e["row"]["code"] == code), None)
        if entry is None:
            return HttpResponse(exc.message if exc else "", status=400)
        # 200 even for a refused verdict, so that htmx shows the message in place.
        return render(
            request,
            "window/_material_fragment.html",
            {**context, "entry": entry, "saved": exc is None},
        )
    if exc is not None:
        return _review_page(
            request, application, exc=exc, errors=errors, posted={"verdict": posted}
        )
    messages.success(request, "审查结论已保存。")
    return _back(application, f"material-{code}")


@clerk_required
@require_POST
def receive(request: HttpRequest, pk: int) -> HttpResponse:
    """出具收件回执: everything reviewed and accepted."""
    application = _application(request, pk)
    try:
        notice = services.application_receive(application=application, actor=request.user)
    except DomainError as exc:
        return _review_page(request, application, exc=exc, posted={"action": "receive"})
    return _received(request, application, notice)


def _received(request: HttpRequest, application: Application, notice: Notice) -> HttpResponse:
    application.refresh_from_db()
    messages.success(
        request,
        f"已收件，收件编号 {application.receipt_number}，已出具收件回执 {notice.number}，"
        "各事项已分送有关部门。",
    )
    return _back(application, "notices")


@clerk_required
@require_POST
def correction(request: HttpRequest, pk: int) -> HttpResponse:
    """一次性告知补正: the materials found missing or irregular, and the form fields the
    clerk picks, each with a reason."""
    application = _application(request, pk)
    plan = selectors.plan_of(application)
    posted: dict[str, str] = {}
    for f in plan.fields:
        reason = request.POST.get(f"fix-reason-{f['key']}", "")
        if request.POST.get(f"fix-{f['key']}") or reason.strip():
            posted[f["key"]] = reason
    fixes = [{"key": key, "reason": reason} for key, reason in posted.items()]
    keys = list(posted)
    try:
        notice = services.application_request_correction(
            application=application, actor=request.user, fields=fixes
        )
    except DomainError as exc:
        errors = []
        for e in exc.errors:
            path = e["path"]
            if path.startswith("fields["):
                n = int(path[len("fields[") : path.index("]")])
                path = f"fixes.{keys[n]}"
            errors.append({"path": path or "action", "message": e["message"]})
        return _review_page(
            request,
            application,
            exc=exc,
            errors=errors,
            posted={"fixes": posted, "action": "correction"},
        )
    messages.success(
        request, f"已出具补正告知书 {notice.number}，已短信通知申请人按告知一次性补正。"
    )
    return _back(application, "notices")


@clerk_required
@require_POST
def conditional(request: HttpRequest, pk: int) -> HttpResponse:
    """容缺受理: receive now; each deferred secondary material with a due date and the
    applicant's written commitment."""
    application = _application(request, pk)
    plan = selectors.plan_of(application)
    posted: dict[str, dict[str, str]] = {}
    for m in plan.materials:
        code = m["code"]
        due = request.POST.get(f"defer-due-{code}", "").strip()
        statement = request.POST.get(f"defer-statement-{code}", "")
        if request.POST.get(f"defer-{code}") or due or statement.strip():
            posted[code] = {"due": due, "statement": statement}
    codes = list(posted)
    context = {"commitments": posted, "action": "conditional"}
    if not posted:
        return _review_page(
            request,
            application,
            exc=DomainError(
                "请至少选择一份容缺后补的次要材料，并填写承诺补交日期和承诺内容。", path="action"
            ),
            posted=context,
        )
    try:
        notice = services.application_receive(
            application=application,
            actor=request.user,
            commitments=[
                {"material": code, "due": c["due"], "statement": c["statement"]}
                for code, c in posted.items()
            ],
        )
    except DomainError as exc:
        errors = []
        for e in exc.errors:
            path = e["path"]
            if path.startswith("commitments["):
                n = int(path[len("commitments[") : path.index("]")])
                path = f"commitments.{codes[n]}{path[path.index(']') + 1 :]}"
            errors.append({"path": path or "action", "message": e["message"]})
        return _review_page(request, application, exc=exc, errors=errors, posted=context)
    return _received(request, application, notice)


@clerk_required
@require_POST
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """A walk-in applicant came back with the corrections: hand them in for review."""
    application = _application(request, pk)
    if not _is_walk_in(application):
        return _review_page(
            request,
            application,
            exc=DomainError("网上申请的补正由申请人在网上提交。", path="action"),
        )
    try:
        services.application_resubmit(application=application, actor=request.user)
    except DomainError as exc:
        return _review_page(request, application, exc=exc, posted={"action": "resubmit"})
    messages.success(request, "补正已完成，请重新审查材料后收件。")
    return _back(application)


@clerk_required
@require_GET
def notice(request: HttpRequest, pk: int, notice_id: int) -> HttpResponse:
    """A notice as a page to print at the counter (the signed PDF stays the record)."""
    application = _application(request, pk)
    n = get_object_or_404(Notice, pk=notice_id, application=application)
    return render(request, "window/notice.html", {"application": application, "notice": n})


# Results and delivery (送达).


@clerk_required
@require_GET
def result(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    """A result document returned to the window, as a download."""
    application = _application(request, pk)
    doc = get_object_or_404(ResultDocument, pk=doc_id, case__application=application)
    return serve_result(doc)


@clerk_required
@require_POST
def choose_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant, at the counter, changes how the results are to be received."""
    application = _application(request, pk)
    posted = {
        "method": request.POST.get("delivery_method", ""),
        "address": request.POST.get("delivery_address", ""),
    }
    try:
        check_delivery_text({"delivery_address": posted["address"]})
        application = case_services.application_choose_delivery(
            application=application,
            method=posted["method"],
            address=posted["address"],
            actor=request.user,
        )
    except DomainError as exc:
        application.refresh_from_db()
        return _review_page(request, application, exc=exc, posted={"delivery": posted})
    messages.success(request, f"送达方式已改为“{application.get_delivery_method_display()}”。")
    return _back(application, "delivery")


@clerk_required
@require_POST
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """登记送达: the results deliverable now were handed over at the counter (recipient) or
    posted (tracking number)."""
    application = _application(request, pk)
    posted = {
        "recipient": request.POST.get("recipient", ""),
        "tracking_number": request.POST.get("tracking_number", ""),
    }
    try:
        check_delivery_text(posted)
        delivery = case_services.application_deliver(
            application=application,
            actor=request.user,
            recipient=posted["recipient"],
            tracking_number=posted["tracking_number"],
        )
    except DomainError as exc:
        application.refresh_from_db()
        return _review_page(request, application, exc=exc, posted={"delivery": posted})
    application.refresh_from_db()
    names = "、".join(c.item_name for c in delivery.cases.all())
    done = "，全部事项已办结，申请已归档" if application.status == S.ARCHIVED else ""
    messages.success(request, f"已登记送达：{names}{done}。")
    return _back(application, "delivery")


@clerk_required
@require_POST
def fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    """A 容缺 material handed in at the window after receipt."""
    application = _application(request, pk)
    code = request.POST.get("material", "")
    f = request.FILES.get("file")
    if f is None:
        exc = DomainError("请选择要补交的文件。", path=f"materials.{code}")
    else:
        try:
            services.commitment_fulfil(
                application=application,
                material_code=code,
                stream=f,
                name=f.name or "",
                actor=request.user,
                original_seen=bool(request.POST.get("original_seen")),
            )
        except DomainError as e:
            exc = e
        else:
            messages.success(request, "容缺材料已补交，相关部门即可查看。")
            return _back(application, "commitments")
    return _review_page(request, application, exc=exc)
