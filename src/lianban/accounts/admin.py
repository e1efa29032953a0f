from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from lianban.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "department", "is_staff", "is_active")
    list_filter = ("role", "department", "is_staff", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("联办", {"fields": ("display_name", "role", "department")}),
    )
