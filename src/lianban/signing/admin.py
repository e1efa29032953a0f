"""Read-only views of the keys, seals and register: changes go through the services and the
import command, which audit them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from lianban.signing.models import Credential, IssuedDocument, Seal


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Credential)
class CredentialAdmin(ReadOnly):
    list_display = ["subject", "purpose", "source", "not_after", "revoked_at"]
    list_filter = ["purpose", "source"]
    exclude = ["key_pem"]


@admin.register(Seal)
class SealAdmin(ReadOnly):
    list_display = ["name", "purpose_text", "department", "active"]
    exclude = ["image"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnly):
    list_display = ["number", "title", "kind", "seal", "issued_at", "revoked_at"]
    list_filter = ["kind", "revoked_at"]
    search_fields = ["number", "title"]
