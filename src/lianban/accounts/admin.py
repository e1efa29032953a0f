from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from lianban.accounts.models import User
from lianban.common.identity import mask_identifier


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "masked_username",
        "display_name",
        "role",
        "department",
        "is_staff",
        "is_active",
    )
    list_filter = ("role", "department", "is_staff", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("联办", {"fields": ("display_name", "role", "department", "window")}),
    )

    @admin.display(description="用户名", ordering="username")
    def masked_username(self, obj: User) -> str:
        return mask_identifier(obj.username)
