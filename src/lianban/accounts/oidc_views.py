"""一次登录's two pages: the start (off to the provider) and the callback (back from it). Both
answer 404 when no provider is configured."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from lianban.accounts import oidc
from lianban.conf import env

logger = logging.getLogger(__name__)

NEXT_KEY = "lianban_oidc_next"

_ERROR_PAGE = """{% extends "base.html" %}
{% block title %}统一身份认证登录未成功{% endblock %}
{% block content %}
<div class="narrow panel">
  <h1>统一身份认证登录未成功</h1>
  <div class="errors" role="alert"><p>{{ message }}</p></div>
  <p>您现在没有登录。可以<a href="{% url 'accounts:oidc_login' %}">重新用统一身份认证登录</a>，或<a href="{% url 'accounts:login' %}">用账户和密码登录</a>。</p>
</div>
{% endblock %}
"""


def _config() -> oidc.OIDCConfig:
    config = oidc.get_config()
    if config is None:
        raise Http404("未启用统一身份认证登录。")
    return config


def redirect_uri() -> str:
    """Where the provider sends the person back: the address to register with it."""
    return env("LIANBAN_SITE_URL").rstrip("/") + reverse("accounts:oidc_callback")


def _refused(request: HttpRequest, exc: oidc.SignInRefused) -> HttpResponse:
    template = engines["django"].from_string(_ERROR_PAGE)
    return HttpResponse(template.render({"message": exc.message}, request), status=exc.status)


def start(request: HttpRequest) -> HttpResponse:
    config = _config()
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT_KEY] = next_url
    else:
        request.session.pop(NEXT_KEY, None)
    try:
        return oidc.begin(request, config, redirect_uri())
    except oidc.SignInRefused as exc:
        return _refused(request, exc)


def callback(request: HttpRequest) -> HttpResponse:
    config = _config()
    try:
        claims = oidc.finish(request, config)
        identity = oidc.identity_from_claims(claims, config.claims)
        user = authenticate(
            request,
            oidc_identity=identity,
            oidc_issuer=config.issuer,
            oidc_subject=str(claims.get("sub", "")),
        )
        if user is None:
            raise oidc.SignInRefused("统一身份认证登录未启用，没有登录。")
    except oidc.SignInRefused as exc:
        logger.info("OIDC sign-in refused: %s", exc.message)
        return _refused(request, exc)
    next_url = request.session.pop(NEXT_KEY, "")
    login(request, user)
    if identity.credit_warning:
        messages.warning(request, identity.credit_warning)
    messages.success(request, "已通过统一身份认证登录。")
    return redirect(next_url or "/applications/")


urlpatterns = [
    path("login/", start, name="oidc_login"),
    path("callback/", callback, name="oidc_callback"),
]
