from django.contrib import admin

from lianban.integration.models import ApiCall, ClientSystem, WebhookDelivery


@admin.register(ClientSystem)
class ClientSystemAdmin(admin.ModelAdmin):
    # Registering, rotating and revoking go through the supervisor's pages (/integration/),
    # which call the services and write the audit trail; the admin only reads.
    list_display = ("name", "department", "client_id", "revoked_at")
    list_filter = ("department",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "client", "method", "path", "status_code", "case_id")
    list_filter = ("client", "status_code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event_type", "subscription", "status", "attempts")
    list_filter = ("status", "event_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
