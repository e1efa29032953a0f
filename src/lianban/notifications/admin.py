from django.contrib import admin

from lianban.common.identity import mask_phone
from lianban.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "masked_phone", "channel", "status", "subject")
    list_filter = ("channel", "status")
    exclude = ("phone",)
    readonly_fields = ("masked_phone",)

    @admin.display(description="手机号码")
    def masked_phone(self, obj: Notification) -> str:
        return mask_phone(obj.phone) if obj.phone else ""
