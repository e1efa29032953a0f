from django.contrib import admin
from django.http import HttpRequest

from lianban.reviews.models import Rectification, Review


class ReadOnly(admin.ModelAdmin):
    # Reviews never change and follow-ups change only through their transition function
    # (which writes the audit trail): the admin reads them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ("id", "created_at", "occasion", "channel", "level")
    list_filter = ("level", "channel", "occasion__kind")


@admin.register(Rectification)
class RectificationAdmin(ReadOnly):
    list_display = ("id", "review", "department", "window", "status", "due", "overdue_at")
    list_filter = ("status", "department")
