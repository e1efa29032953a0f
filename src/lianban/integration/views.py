"""The supervisor's pages for 系统接入: register department systems, rotate and revoke their
secrets, see their calls and subscriptions, and watch webhook deliveries (with a manual
resend). Views read the request, call one service and show the result."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianban.common.errors import DomainError
from lianban.integration import selectors, services
from lianban.integration.forms import ClientForm, ScopesForm
from lianban.integration.models import (
    ClientCredential,
    ClientSystem,
    Subscription,
    WebhookDelivery,
)

View = Callable[..., HttpResponseBase]
PAGE_SIZE = 50


def supervisor_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(request.user, "is_supervisor", False):
            return render(request, "integration/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _issued(request: HttpRequest, issued: services.IssuedSecret, *, new: bool) -> HttpResponse:
    # The secret is shown on this response only; it is never stored or shown again.
    response = render(request, "integration/secret.html", {"issued": issued, "new": new})
    response["Cache-Control"] = "no-store"
    return response


@supervisor_required
@require_GET
def clients(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "integration/clients.html",
        {"clients": selectors.clients()},
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.client_register(
                name=form.cleaned_data["name"],
                department=form.cleaned_data["department"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,
            )
        except DomainError as exc:
            for e in exc.errors:
                form.add_error(e["path"] if e["path"] in form.fields else None, e["message"])
        else:
            return _issued(request, issued, new=True)
    return render(request, "integration/client_new.html", {"form": form})


def _client_page(
    request: HttpRequest, client: ClientSystem, scopes_form: ScopesForm | None = None
) -> HttpResponse:
    return render(
        request,
        "integration/client.html",
        {
            "client": client,
            "scopes_form": scopes_form or ScopesForm(initial={"scopes": client.scopes}),
            "credentials": client.credentials.all(),
            "subscriptions": client.subscriptions.all(),
            "calls": selectors.recent_calls(client),
        },
    )


@supervisor_required
@require_GET
def client(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_page(request, get_object_or_404(ClientSystem, pk=pk))


@supervisor_required
@require_POST
def client_scopes(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(ClientSystem, pk=pk)
    form = ScopesForm(request.POST)
    if not form.is_valid():
        return _client_page(request, found, form)
    services.client_set_scopes(client=found, scopes=form.cleaned_data["scopes"], actor=request.user)
    messages.success(request, "权限范围已更新，已签发的令牌立即按新范围生效。")
    return redirect("integration:client", pk=pk)


@supervisor_required
@require_POST
def client_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(ClientSystem, pk=pk)
    try:
        issued = services.client_rotate_secret(
            client=found, actor=request.user, revoke_others=request.POST.get("revoke_others") == "1"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("integration:client", pk=pk)
    return _issued(request, issued, new=False)


@supervisor_required
@require_POST
def credential_revoke(request: HttpRequest, pk: int, credential_id: int) -> HttpResponse:
    credential = get_object_or_404(ClientCredential, pk=credential_id, client_id=pk)
    services.credential_revoke(credential=credential, actor=request.user)
    messages.success(request, f"密钥 …{credential.hint} 已吊销，用它签发的令牌立即失效。")
    return redirect("integration:client", pk=pk)


@supervisor_required
@require_POST
def client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(ClientSystem, pk=pk)
    if request.POST.get("confirm") != found.client_id:
        messages.error(request, "请输入该系统的客户端标识以确认停用。")
        return redirect("integration:client", pk=pk)
    services.client_revoke(client=found, actor=request.user)
    messages.success(request, f"“{found.name}”已停用，其全部密钥、令牌和订阅立即失效。")
    return redirect("integration:client", pk=pk)


@supervisor_required
@require_POST
def subscription_disable(request: HttpRequest, pk: int, subscription_id: int) -> HttpResponse:
    sub = get_object_or_404(Subscription, pk=subscription_id, client_id=pk)
    services.subscription_disable(subscription=sub, actor=request.user)
    messages.success(request, f"已停用订阅 {sub.url}。")
    return redirect("integration:client", pk=pk)


@supervisor_required
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    client_id = request.GET.get("client", "")
    qs = selectors.deliveries(status, int(client_id) if client_id.isdigit() else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "integration/deliveries.html",
        {
            "page": page,
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
        },
    )


@supervisor_required
@require_GET
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription__client__department"), pk=pk
    )
    return render(
        request,
        "integration/delivery.html",
        {
            "delivery": found,
            "attempts": found.attempt_log.all(),
        },
    )


@supervisor_required
@require_POST
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(WebhookDelivery, pk=pk)
    services.delivery_resend(delivery=found, actor=request.user)
    messages.success(request, "已重新排队投递（事件标识不变，接收方可据此去重）。")
    return redirect("integration:delivery", pk=pk)
