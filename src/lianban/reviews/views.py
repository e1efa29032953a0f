"""好差评 pages: rating (through an SMS link, the portal, or the window's rating screen), the
applicant's answer to a follow-up, the units' and the supervisor's follow-up pages, and the
public statistics. Views read the request, call one service and show the result; a
:class:`DomainError` is shown next to the input it names, with what was typed kept."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.reviews import selectors, services
from lianban.reviews.models import ASPECTS, BAD_LEVELS, Level, Occasion, Rectification, Review
from lianban.reviews.transitions import APPEALABLE, unit_step

View = Callable[..., HttpResponseBase]
R = Rectification.Status
LEVELS = [(value, label) for value, label in Level.choices]


def _errors(exc: DomainError) -> dict[str, str]:
    return {e["path"] or "_": e["message"] for e in exc.errors}


def _form_context(post: Any = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    post = post or {}
    return {
        "levels": LEVELS,
        "bad_levels": sorted(BAD_LEVELS),
        "aspects": ASPECTS.items(),
        "chosen_level": str(post.get("level", "")),
        "chosen_aspects": post.getlist("aspects") if hasattr(post, "getlist") else [],
        "comment": post.get("comment", ""),
        "errors": errors or {},
    }


def _submit(request: HttpRequest, occasion: Occasion, channel: str, **extra: Any) -> Review:
    return services.review_submit(
        occasion=occasion,
        channel=channel,
        level=request.POST.get("level"),
        aspects=request.POST.getlist("aspects"),
        comment=request.POST.get("comment", ""),
        **extra,
    )


# ---- Rating through an SMS link (no sign-in) -----------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        occasion = services.occasion_by_token(token)
    except NotAllowed as exc:
        return render(request, "reviews/link_closed.html", {"message": exc.message}, status=404)
    if request.method == "POST":
        try:
            services.check_open(occasion)
            review = _submit(request, occasion, Review.Channel.SMS)
        except TransitionError as exc:
            return render(request, "reviews/link_closed.html", {"message": exc.message}, status=410)
        except DomainError as exc:
            context = {"occasion": occasion, **_form_context(request.POST, _errors(exc))}
            return render(request, "reviews/rate.html", context, status=400)
        return render(request, "reviews/thanks.html", {"review": review})
    try:
        services.check_open(occasion)
    except TransitionError as exc:
        return render(request, "reviews/link_closed.html", {"message": exc.message}, status=410)
    return render(request, "reviews/rate.html", {"occasion": occasion, **_form_context()})


@never_cache
@require_http_methods(["GET", "POST"])
def feedback_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The applicant says whether the unit's rectification satisfies them; this closes it."""
    try:
        r = services.rectification_by_feedback_token(token)
    except DomainError as exc:
        status = 410 if isinstance(exc, TransitionError) else 404
        return render(request, "reviews/link_closed.html", {"message": exc.message}, status=status)
    if request.method == "POST":
        try:
            services.rectification_act(
                rectification=r,
                action="applicant_answer",
                actor=None,
                inputs={
                    "satisfied": request.POST.get("satisfied", ""),
                    "comment": request.POST.get("comment", ""),
                },
            )
        except TransitionError as exc:
            return render(request, "reviews/link_closed.html", {"message": exc.message}, status=410)
        except DomainError as exc:
            return render(
                request,
                "reviews/feedback.html",
                {"r": r, "errors": _errors(exc), "post": request.POST},
                status=400,
            )
        return render(request, "reviews/thanks.html", {"feedback": True})
    return render(request, "reviews/feedback.html", {"r": r, "errors": {}, "post": {}})


# ---- The portal ----------------------------------------------------------------------------


def _own_application(request: HttpRequest, pk: int) -> Application:
    application = get_object_or_404(Application.objects.select_related("applicant"), pk=pk)
    if application.applicant.user_id != request.user.pk:
        raise Http404("未找到该申请。")
    return application


@login_required
@require_GET
def application_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """评价: the occasions of one of the applicant's applications, rated or still open."""
    application = _own_application(request, pk)
    return render(
        request,
        "reviews/application.html",
        {
            "application": application,
            "occasions": selectors.occasions_of(application),
            "now": timezone.now(),
            **_form_context(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rate_in_portal(request: HttpRequest, pk: int) -> HttpResponse:
    occasion = get_object_or_404(Occasion.objects.select_related("application", "applicant"), pk=pk)
    if occasion.applicant.user_id != request.user.pk:
        raise Http404("未找到该服务。")
    if request.method == "POST":
        try:
            _submit(request, occasion, Review.Channel.PORTAL, actor=request.user)
        except TransitionError as exc:
            messages.error(request, exc.message)
        except DomainError as exc:
            context = {
                "occasion": occasion,
                "portal": True,
                **_form_context(request.POST, _errors(exc)),
            }
            return render(request, "reviews/rate.html", context, status=400)
        else:
            messages.success(request, "感谢您的评价。")
        return redirect("reviews:application", occasion.application_id)
    try:
        services.check_open(occasion)
    except TransitionError as exc:
        messages.error(request, exc.message)
        return redirect("reviews:application", occasion.application_id)
    return render(
        request, "reviews/rate.html", {"occasion": occasion, "portal": True, **_form_context()}
    )


@login_required
@require_POST
def supplement(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review.objects.select_related("occasion"), pk=pk)
    if review.occasion.applicant.user_id != request.user.pk:
        raise Http404("未找到该评价。")
    try:
        services.review_supplement(
            review=review, text=request.POST.get("supplement"), actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已追加评价。")
    return redirect("reviews:application", review.occasion.application_id)


# ---- The window's rating screen ------------------------------------------------------------


def clerk_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request.user, "role", None) != User.Role.CLERK:
            return render(request, "reviews/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _screen_session(request: HttpRequest) -> str:
    key = request.session.session_key or ""
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


@never_cache
@clerk_required
@require_GET
def window_screen(request: HttpRequest) -> HttpResponse:
    """The second screen facing the applicant: the clerk's current visit and five buttons."""
    visit = services.window_visit(request.user)
    return render(request, "reviews/window.html", {"visit": visit, **_form_context()})


@never_cache
@clerk_required
@require_GET
def window_current(request: HttpRequest) -> HttpResponse:
    """Polled by the screen: 204 (htmx keeps what it shows) while the visit is unchanged."""
    visit = services.window_visit(request.user)
    shown = request.GET.get("shown", "")
    if shown == str(visit.pk if visit else ""):
        return HttpResponse(status=204)
    return render(request, "reviews/_window_current.html", {"visit": visit, **_form_context()})


@clerk_required
@require_POST
def window_rate(request: HttpRequest) -> HttpResponse:
    pk = request.POST.get("occasion", "")
    occasion = get_object_or_404(Occasion, pk=int(pk) if pk.isdigit() else 0)
    level = request.POST.get("level", "")
    if level.isdigit() and int(level) in BAD_LEVELS and not request.POST.get("detail"):
        # A bad rating asks which aspect and what happened before it is taken.
        context = {"visit": occasion, "detail": True, **_form_context(request.POST)}
        return render(request, "reviews/window.html", context)
    try:
        _submit(
            request,
            occasion,
            Review.Channel.WINDOW,
            actor=request.user,
            screen_session=_screen_session(request),
        )
    except NotAllowed as exc:
        return render(
            request, "reviews/window.html", {"visit": None, "refused": exc.message}, status=403
        )
    except TransitionError as exc:
        return render(
            request, "reviews/window.html", {"visit": None, "refused": exc.message}, status=409
        )
    except DomainError as exc:
        context = {"visit": occasion, "detail": True, **_form_context(request.POST, _errors(exc))}
        return render(request, "reviews/window.html", context, status=400)
    return render(request, "reviews/window.html", {"visit": None, "thanked": True})


# ---- Follow-ups ----------------------------------------------------------------------------


def follow_up_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not selectors.may_follow_up(request.user):
            return render(request, "reviews/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


@follow_up_required
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    base = selectors.followups_for(request.user)
    supervisor = getattr(request.user, "is_supervisor", False)
    rows = selectors.filtered(base, request.GET, today) if supervisor else base
    overdue = list(base.filter(selectors.overdue_query(today))) if supervisor else []
    appeals = list(base.filter(status=R.APPEALED)) if supervisor else []
    return render(
        request,
        "reviews/followups.html",
        {
            "rows": rows[:200],
            "overdue": overdue,
            "appeals": appeals,
            "supervisor": supervisor,
            "statuses": R.choices,
            "units": selectors.unit_choices() if supervisor else [],
            "params": request.GET,
            "today": today,
        },
    )


def _visible(request: HttpRequest, pk: int) -> Rectification:
    r = selectors.followups_for(request.user).filter(pk=pk).first()
    if r is None:
        raise Http404("未找到该差评整改。")
    return r


@follow_up_required
@require_GET
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible(request, pk))


def _detail(
    request: HttpRequest, r: Rectification, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    member = services.is_unit_member(r, request.user)
    return render(
        request,
        "reviews/followup.html",
        {
            "r": r,
            "review": r.review,
            "occasion": r.review.occasion,
            "member": member,
            "step": unit_step(r) if member else None,
            "may_appeal": member and r.status in APPEALABLE and not r.appealed_at,
            "may_decide": getattr(request.user, "is_supervisor", False) and r.status == R.APPEALED,
            "findings": Rectification.Finding.choices,
            "errors": errors or {},
            "post": request.POST if errors else {},
            "today": timezone.localdate(),
        },
        status=status,
    )


STEP_INPUTS = {
    "call_back": ("callback_outcome",),
    "verify": ("finding", "finding_note"),
    "rectify": ("measures",),
    "report": ("report",),
    "appeal": ("appeal_reason",),
    "uphold_appeal": ("appeal_decision",),
    "reject_appeal": ("appeal_decision",),
}


@follow_up_required
@require_POST
def followup_act(request: HttpRequest, pk: int) -> HttpResponse:
    r = _visible(request, pk)
    action = request.POST.get("action", "")
    if action not in STEP_INPUTS:
        return _detail(request, r, {"action": "未知的操作。"}, status=400)
    try:
        services.rectification_act(
            rectification=r,
            action=action,
            actor=request.user,
            inputs={k: request.POST.get(k, "") for k in STEP_INPUTS[action]},
            expected_status=request.POST.get("expected_status") or None,
        )
    except NotAllowed as exc:
        return _detail(request, r, {"_": exc.message}, status=403)
    except DomainError as exc:
        return _detail(request, r, _errors(exc), status=exc.status)
    messages.success(request, "已保存。")
    return redirect("reviews:followup", r.pk)


# ---- Public statistics ---------------------------------------------------------------------


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    return render(
        request, "reviews/stats.html", {"units": selectors.unit_statistics(), "levels": LEVELS}
    )
