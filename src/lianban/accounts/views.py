from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from lianban.accounts import backends
from lianban.accounts.forms import RegisterForm, SignInForm
from lianban.accounts.models import User
from lianban.accounts.services import applicant_register
from lianban.common.errors import DomainError


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        role = getattr(user, "role", None)
        if role == User.Role.CLERK:
            return "/window/"
        if role == User.Role.REVIEWER:
            return "/workbench/"
        if getattr(user, "is_staff", False):
            return "/admin/"
        return "/applications/"


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            applicant = applicant_register(
                kind=d["kind"],
                name=d["name"],
                phone=d["phone"],
                password=d["password"],
                id_number=d["id_number"],
                credit_code=d["credit_code"],
                legal_representative=d["legal_representative"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return render(request, "accounts/register.html", {"form": form}, status=400)
        assert applicant.user is not None
        login(request, applicant.user, backend=backends.PATH)
        if form.credit_warning:
            messages.warning(request, form.credit_warning)
        messages.success(request, "注册成功。")
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/applications/"
        return redirect(target)
    return render(request, "accounts/register.html", {"form": form})
