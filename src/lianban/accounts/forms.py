"""Sign-up forms for applicants: a natural person or a legal person."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from lianban.accounts.models import Applicant
from lianban.common import identity


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(
        label="申请人类型",
        choices=Applicant.Kind.choices,
        widget=forms.RadioSelect,
        initial=Applicant.Kind.NATURAL,
    )
    name = forms.CharField(label="姓名或单位名称", max_length=128)
    id_number = forms.CharField(
        label="居民身份证号码",
        max_length=20,
        required=False,
        help_text="个人填写本人的；单位填写法定代表人的。",
    )
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=20, required=False, help_text="单位申请人填写。"
    )
    legal_representative = forms.CharField(label="法定代表人", max_length=64, required=False)
    phone = forms.CharField(label="手机号码", max_length=16)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput, strip=False)

    credit_warning = ""

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number", "")
        return identity.validate_resident_id(value) if value else ""

    def clean_phone(self) -> str:
        return identity.validate_phone(self.cleaned_data["phone"])

    def clean_credit_code(self) -> str:
        value = self.cleaned_data.get("credit_code", "")
        if not value:
            return ""
        code = identity.validate_credit_code(value)
        self.credit_warning = code.warning
        return code.value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if (
            kind == Applicant.Kind.NATURAL
            and not data.get("id_number")
            and "id_number" not in self.errors
        ):
            self.add_error("id_number", "个人申请人请填写居民身份证号码。")
        if kind == Applicant.Kind.LEGAL:
            if not data.get("credit_code") and "credit_code" not in self.errors:
                self.add_error("credit_code", "单位申请人请填写统一社会信用代码。")
            if not data.get("legal_representative"):
                self.add_error("legal_representative", "请填写法定代表人。")
        if data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        elif data.get("password"):
            try:
                validate_password(data["password"])
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class ThrottledSignInMixin:
    """Refuses a sign-in while the account name or the address is locked (accounts.throttle),
    and counts each failure; the message says how long to wait."""

    request: Any
    data: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        from lianban.accounts import throttle

        username = str(self.data.get("username", ""))
        address = str(getattr(self.request, "META", {}).get("REMOTE_ADDR", ""))
        wait = throttle.locked_for(username, address)
        if wait:
            raise ValidationError(
                f"登录失败次数过多，已暂时锁定，请 {math.ceil(wait / 60)} 分钟后再试。",
                code="locked",
            )
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except ValidationError:
            throttle.failed(username, address)
            raise
        throttle.succeeded(username)
        return dict(cleaned)


class SignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
