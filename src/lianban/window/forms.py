"""The one form the window fills itself: who the walk-in applicant is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from lianban.accounts.models import Applicant
from lianban.common import identity


class TelInput(forms.TextInput):
    input_type = "tel"


class WalkInApplicantForm(forms.Form):
    """The applicant a clerk serves at the window. Which numbers are asked depends on who
    the 一件事 is for: a natural person (resident ID) or a legal person (unified social
    credit code and legal representative)."""

    prefix = "applicant"

    name = forms.CharField(
        label="姓名", max_length=128, error_messages={"required": "请填写申请人姓名。"}
    )
    id_number = forms.CharField(
        label="居民身份证号码",
        max_length=20,
        error_messages={"required": "请填写居民身份证号码。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    credit_code = forms.CharField(
        label="统一社会信用代码",
        max_length=20,
        error_messages={"required": "请填写统一社会信用代码。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    legal_representative = forms.CharField(
        label="法定代表人", max_length=64, error_messages={"required": "请填写法定代表人。"}
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=16,
        error_messages={"required": "请填写手机号码。"},
        widget=TelInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.credit_warning = ""
        if kind == Applicant.Kind.NATURAL:
            del self.fields["credit_code"]
            del self.fields["legal_representative"]
        else:
            del self.fields["id_number"]
            self.fields["name"].label = "单位名称"
            self.fields["name"].error_messages["required"] = "请填写单位名称。"

    @classmethod
    def initial_from(cls, data: QueryDict) -> dict[str, str]:
        """What was typed so far, to show again unchecked (while the questions change)."""
        return {
            name: data.get(f"{cls.prefix}-{name}", "")
            for name in ("name", "id_number", "credit_code", "legal_representative", "phone")
        }

    def clean_id_number(self) -> str:
        return identity.validate_resident_id(self.cleaned_data["id_number"])

    def clean_credit_code(self) -> str:
        code = identity.validate_credit_code(self.cleaned_data["credit_code"])
        # An early code may fail the GB 32100 check: the clerk is told, not refused.
        self.credit_warning = code.warning
        return code.value

    def clean_phone(self) -> str:
        return identity.validate_phone(self.cleaned_data["phone"])

    def applicant_data(self) -> dict[str, str]:
        d = self.cleaned_data
        return {
            "kind": self.kind,
            "name": d["name"].strip(),
            "phone": d["phone"],
            "id_number": d.get("id_number", ""),
            "credit_code": d.get("credit_code", ""),
            "legal_representative": d.get("legal_representative", "").strip(),
        }
