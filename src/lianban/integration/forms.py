from __future__ import annotations

from django import forms

from lianban.catalog.models import Department
from lianban.integration.models import Scope


class ClientForm(forms.Form):
    name = forms.CharField(
        label="系统名称", max_length=100, help_text="如：区市场监管局食品经营许可审批系统"
    )
    department = forms.ModelChoiceField(
        label="所属部门",
        queryset=Department.objects.filter(is_supervisor=False).order_by("code"),
        empty_label="请选择部门",
        help_text="接入系统只能查看和办理该部门的办件。",
    )
    scopes = forms.MultipleChoiceField(
        label="权限范围",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.CASES_READ, Scope.CASES_ACT, Scope.MATERIALS_READ],
    )


class ScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label="权限范围", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
