from django.contrib import admin

from lianban.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "channel", "status", "subject")
    list_filter = ("channel", "status")
