from django.contrib import admin
from django.http import HttpRequest

from lianban.proposals.models import Proposal


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read only: proposals change state through the triage page's service, which writes
    the audit event and tells the proposer."""

    list_display = ("number", "kind", "title", "status", "department", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("number", "title")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
