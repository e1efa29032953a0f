"""民意征求 pages: anyone proposes and tracks; the public sees what was taken up; the
supervisor triages; a lead department sees what it was handed."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lianban.common.errors import DomainError
from lianban.proposals import selectors, services
from lianban.proposals.forms import ProposalForm, TrackForm, TriageForm
from lianban.proposals.models import Proposal
from lianban.proposals.transitions import allowed_actions

PAGE_SIZE = 30
TRACK_ATTEMPTS = 10  # wrong phone endings per proposal number per hour
SESSION_KEY = "proposals_made"  # numbers handed in from this browser, seen without a check


def _supervisor_required(view: Any) -> Any:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_supervisor", False):
            return render(request, "proposals/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _form_errors(form: Any, exc: DomainError) -> None:
    for e in exc.errors:
        form.add_error(e["path"] if e["path"] in form.fields else None, e["message"])


@require_GET
def accepted_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.accepted_proposals(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "proposals/list.html", {"page": page})


def _initial(user: Any) -> dict[str, str]:
    if not user.is_authenticated:
        return {}
    applicant = getattr(user, "applicant", None)
    return {
        "proposer_name": applicant.name if applicant else (user.display_name or ""),
        "phone": applicant.phone if applicant else "",
    }


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None, initial=_initial(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.proposal_submit(
                kind=data["kind"],
                title=data["title"],
                subject=data["subject"],
                category=data["category"],
                items=data["items"],
                items_text=data["items_text"],
                bundle=data["bundle"],
                change=data["change"],
                reason=data["reason"],
                proposer_name=data["proposer_name"],
                phone=data["phone"],
                actor=request.user if request.user.is_authenticated else None,
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            made = [*request.session.get(SESSION_KEY, []), proposal.number]
            request.session[SESSION_KEY] = made[-20:]
            messages.success(request, f"建议已提交，编号 {proposal.number}，处理结果将以短信告知。")
            return redirect("proposals:detail", number=proposal.number)
    return render(request, "proposals/new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """The proposer's view of one proposal: their own when signed in or just handed in from
    this browser; otherwise anyone with the number and the phone's last four digits."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("bundle", "department", "draft_bundle", "duplicate_of"),
        number=number,
    )
    allowed = selectors.may_see(request.user, proposal) or number in request.session.get(
        SESSION_KEY, []
    )
    form = TrackForm(request.POST or None)
    error = ""
    if not allowed and request.method == "POST":
        key = f"proposal-track-fail:{number}"
        if (cache.get(key) or 0) >= TRACK_ATTEMPTS:
            error = "尝试次数过多，请一小时后再试。"
        elif form.is_valid() and proposal.phone.endswith(form.cleaned_data["phone_tail"]):
            allowed = True
        else:
            cache.set(key, (cache.get(key) or 0) + 1, 3600)
            error = "建议编号或手机号码后四位不正确。"
    if not allowed:
        return render(
            request, "proposals/track.html", {"number": number, "form": form, "error": error}
        )
    return render(request, "proposals/detail.html", {"proposal": proposal})


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request, "proposals/mine.html", {"proposals": selectors.proposals_of(request.user)}
    )


@_supervisor_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Proposal.Status.SUBMITTED)
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()[:50]
    qs = selectors.proposals_for_triage(status=status, kind=kind, query=query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "proposals/manage.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "q": query,
            "statuses": Proposal.Status.choices,
            "kinds": Proposal.Kind.choices,
        },
    )


@_supervisor_required
@require_http_methods(["GET", "POST"])
def triage(request: HttpRequest, number: str) -> HttpResponse:
    proposal = get_object_or_404(Proposal, number=number)
    form = TriageForm(request.POST or None, initial={"seen_status": proposal.status})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        duplicate_of = None
        if data["action"] == "mark_duplicate" and data["duplicate_of"]:
            duplicate_of = Proposal.objects.filter(number=data["duplicate_of"].strip()).first()
            if duplicate_of is None:
                form.add_error("duplicate_of", "未找到该编号的建议。")
        if not form.errors:
            try:
                services.proposal_triage(
                    proposal=proposal,
                    action=data["action"],
                    actor=request.user,
                    note=data["note"],
                    department=data["department"],
                    duplicate_of=duplicate_of,
                    seen_status=data["seen_status"] or None,
                )
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"建议 {proposal.number} 已处理，已短信告知建议人。")
                return redirect("proposals:triage", number=proposal.number)
    proposal.refresh_from_db()
    return render(
        request,
        "proposals/triage.html",
        {"proposal": proposal, "form": form, "actions": allowed_actions(proposal)},
    )


@login_required
@require_GET
def requests(request: HttpRequest) -> HttpResponse:
    """What the signed-in editor's department was handed: draft bundles to write up and
    change requests to study."""
    user: Any = request.user
    if user.role != user.Role.EDITOR and not user.is_supervisor:
        return render(request, "proposals/forbidden.html", status=403)
    return render(
        request,
        "proposals/requests.html",
        {"proposals": selectors.requests_for_department(user.department_id)},
    )
