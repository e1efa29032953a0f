from __future__ import annotations

from django import forms

from lianban.catalog.models import Department
from lianban.integration.models import Scope

# A lower node is registered at the console (lianban register_client --node), not here.
DEPARTMENT_SCOPES = [c for c in Scope.choices if c[0] != Scope.NODE_FORWARD]


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
        choices=DEPARTMENT_SCOPES,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.CASES_READ, Scope.CASES_ACT, Scope.MATERIALS_READ],
    )


class ScopesForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label="权限范围", choices=DEPARTMENT_SCOPES, widget=forms.CheckboxSelectMultiple
    )
