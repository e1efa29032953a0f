from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lianban.sharing.models import AccessLog, DataItem, DataUse, ELicence, Registry, RegistryCall


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "base_url", "timeout_seconds", "max_attempts")


class DataUseInline(admin.TabularInline):
    model = DataUse
    extra = 0


@admin.register(DataItem)
class DataItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "provider", "method", "sharing_class", "registry")
    list_filter = ("sharing_class", "method", "provider")
    inlines = [DataUseInline]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "reader", "department", "data_item", "subject_masked", "case", "outcome")
    list_filter = ("outcome", "data_item")

    # The log is evidence: read-only, even for superusers.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegistryCall)
class RegistryCallAdmin(admin.ModelAdmin):
    list_display = ("at", "registry", "data_item", "attempt", "status", "duration_ms", "error")


@admin.register(ELicence)
class ELicenceAdmin(admin.ModelAdmin):
    list_display = ("identifier", "title", "holder", "issuer", "issued_at")
    search_fields = ("identifier",)
