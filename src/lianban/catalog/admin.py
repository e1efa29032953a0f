"""Catalog editing in Django's admin, scoped by department: a lead department's editors
change the bundles they lead and the items their department handles; the supervisor
records and publishes versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest

from lianban.accounts.models import User
from lianban.catalog import services
from lianban.catalog.models import (
    Bundle,
    BundleItem,
    BundleVersion,
    Department,
    Field,
    ItemField,
    ItemMaterial,
    Material,
    ServiceItem,
    Situation,
    SituationOption,
)
from lianban.common.errors import DomainError


def _is_supervisor(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_supervisor", False))


def _department_id(request: HttpRequest) -> int | None:
    return getattr(request.user, "department_id", None)


class DepartmentScopedAdmin(admin.ModelAdmin):
    """Editors may change only objects of their own department (``department_path``)."""

    department_path = ""

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        if _is_supervisor(request):
            return True
        if getattr(request.user, "role", None) != User.Role.EDITOR:
            return False
        if obj is None:
            return True
        value: Any = obj
        for part in self.department_path.split("__"):
            value = getattr(value, part)
        return value == _department_id(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # An editor can only give new objects to their own department.
        if db_field.remote_field.model is Department and not _is_supervisor(request):
            kwargs["queryset"] = Department.objects.filter(pk=_department_id(request) or 0)
        if db_field.remote_field.model is Bundle and not _is_supervisor(request):
            kwargs["queryset"] = Bundle.objects.filter(
                lead_department_id=_department_id(request) or 0
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # A new object, too, must belong to the editor's own department.
        if not self._own(request, obj):
            raise PermissionDenied("只能编辑本部门的事项和一件事。")
        super().save_model(request, obj, form, change)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_supervisor")
    search_fields = ("code", "name")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_supervisor(request) and super().has_change_permission(request, obj)


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "description")
    search_fields = ("code", "name")


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("key", "label", "type", "required", "unit")
    list_filter = ("type",)
    search_fields = ("key", "label")


class ItemMaterialInline(admin.TabularInline):
    model = ItemMaterial
    extra = 0
    autocomplete_fields = ("material",)


class ItemFieldInline(admin.TabularInline):
    model = ItemField
    extra = 0
    autocomplete_fields = ("field",)


@admin.register(ServiceItem)
class ServiceItemAdmin(DepartmentScopedAdmin):
    department_path = "department_id"
    list_display = (
        "code",
        "name",
        "department",
        "promised_limit_days",
        "statutory_limit_days",
        "is_example",
    )
    list_filter = ("department", "is_example", "handling_form")
    search_fields = ("code", "name")
    inlines = [ItemMaterialInline, ItemFieldInline]


class SituationOptionInline(admin.TabularInline):
    model = SituationOption
    extra = 0


@admin.register(Situation)
class SituationAdmin(DepartmentScopedAdmin):
    department_path = "bundle__lead_department_id"
    list_display = ("bundle", "key", "text", "multiple")
    list_filter = ("bundle",)
    inlines = [SituationOptionInline]


class SituationInline(admin.TabularInline):
    model = Situation
    extra = 0
    show_change_link = True
    fields = ("position", "key", "text", "multiple", "ask_when")


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 0
    fk_name = "bundle"
    autocomplete_fields = ("item",)
    fields = ("position", "item", "levels", "note", "when")


@admin.register(Bundle)
class BundleAdmin(DepartmentScopedAdmin):
    department_path = "lead_department_id"
    list_display = ("name", "code", "lead_department", "category", "subject", "published")
    list_filter = ("subject", "category", "lead_department")
    search_fields = ("code", "name")
    inlines = [SituationInline, BundleItemInline]
    actions = ["submit_for_filing"]

    @admin.display(description="现行版本")
    def published(self, obj: Bundle) -> str:
        version = obj.versions.filter(status=BundleVersion.Status.PUBLISHED).first()
        return f"第{version.number}版" if version else "—"

    @admin.action(description="提交所选一件事备案")
    def submit_for_filing(self, request: HttpRequest, queryset: QuerySet[Bundle]) -> None:
        for bundle in queryset:
            try:
                version = services.bundle_submit_for_filing(bundle=bundle, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"{bundle.name}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{bundle.name}：第{version.number}版已提交备案。")


class VersionActionForm(ActionForm):
    reason = forms.CharField(label="退回理由", required=False, max_length=300)


@admin.register(BundleVersion)
class BundleVersionAdmin(admin.ModelAdmin):
    list_display = ("bundle", "number", "status", "submitted_at", "recorded_at", "published_at")
    list_filter = ("status",)
    search_fields = ("bundle__name", "bundle__code")
    readonly_fields = [f.name for f in BundleVersion._meta.fields]
    action_form = VersionActionForm
    actions = ["record", "publish", "return_", "withdraw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[BundleVersion],
        fn: Any,
        done: str,
        **kwargs: Any,
    ) -> None:
        for version in queryset:
            try:
                fn(version=version, actor=request.user, **kwargs)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{version.bundle.name}第{version.number}版{done}。")

    @admin.action(description="备案所选版本")
    def record(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._each(request, queryset, services.version_record, "已备案")

    @admin.action(description="发布所选版本")
    def publish(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._each(request, queryset, services.version_publish, "已发布")

    @admin.action(description="退回所选版本（请填写退回理由）")
    def return_(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._each(
            request,
            queryset,
            services.version_return,
            "已退回",
            reason=request.POST.get("reason", ""),
        )

    @admin.action(description="撤回所选版本")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[BundleVersion]) -> None:
        self._each(request, queryset, services.version_withdraw, "已撤回")
