from __future__ import annotations

from typing import Any

from django import forms

from lianban.catalog.models import Bundle, BundleVersion, Department, ServiceItem
from lianban.proposals.models import Proposal


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.department.name}）"


class ProposalForm(forms.Form):
    """One form for both kinds; the service checks which fields each kind needs."""

    kind = forms.ChoiceField(
        label="建议类型", choices=Proposal.Kind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(
        label="一件事名称",
        required=False,
        max_length=128,
        help_text="新增一件事时填写，如“我要开宠物店”。",
    )
    subject = forms.ChoiceField(
        label="服务对象",
        required=False,
        choices=[("", "请选择"), *Bundle.Subject.choices],
        help_text="新增一件事时选择。",
    )
    category = forms.ChoiceField(
        label="属于哪类情形",
        required=False,
        choices=[("", "请选择"), *Bundle.Category.choices],
        help_text="新增一件事时选择。",
    )
    bundle = forms.ModelChoiceField(
        label="要调整的一件事",
        required=False,
        queryset=Bundle.objects.none(),
        empty_label="请选择",
        help_text="调整已有一件事时选择。",
    )
    change = forms.CharField(
        label="希望如何调整",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="调整已有一件事时填写。",
    )
    items = ItemChoiceField(
        label="涉及的政务服务事项",
        required=False,
        queryset=ServiceItem.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="可多选（按住 Ctrl 键点选）；目录中没有的，请填在下一栏。",
    )
    items_text = forms.CharField(
        label="其他事项或部门", required=False, max_length=500, help_text="选填，可自由填写。"
    )
    reason = forms.CharField(
        label="理由", widget=forms.Textarea, help_text="为什么需要：办事时遇到的不便、需求多少等。"
    )
    proposer_name = forms.CharField(label="您的姓名", max_length=64)
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric"}),
        help_text="用于短信告知处理结果，并凭后四位查询。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only bundles in force can be changed; drafts are not public yet.
        self.fields["bundle"].queryset = Bundle.objects.filter(  # type: ignore[attr-defined]
            versions__status=BundleVersion.Status.PUBLISHED
        ).order_by("position", "code")
        self.fields["items"].queryset = (  # type: ignore[attr-defined]
            ServiceItem.objects.all()
            .select_related("department")
            .order_by("department__name", "name")
        )


class TrackForm(forms.Form):
    phone_tail = forms.CharField(label="手机号码后四位", min_length=4, max_length=4)


class TriageForm(forms.Form):
    action = forms.ChoiceField(
        label="处理方式",
        choices=[("accept", "采纳"), ("decline", "不予采纳"), ("mark_duplicate", "重复建议")],
        widget=forms.RadioSelect,
    )
    department = forms.ModelChoiceField(
        label="承办的牵头部门（新增一件事时必选）",
        required=False,
        queryset=Department.objects.filter(is_supervisor=False).order_by("name"),
        empty_label="请选择",
    )
    duplicate_of = forms.CharField(label="与之重复的建议编号", required=False, max_length=20)
    note = forms.CharField(
        label="处理意见",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不予采纳时必须填写理由，将以短信告知建议人。",
    )
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False)
