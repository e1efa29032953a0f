"""Reading proposals: the public list of what was taken up, a proposer's own, the
supervisor's filtered list, a lead department's requests."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from lianban.proposals.models import Proposal

S = Proposal.Status


def _base() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("bundle", "department", "draft_bundle", "duplicate_of")


def accepted_proposals() -> QuerySet[Proposal]:
    return _base().filter(status=S.ACCEPTED).order_by("-decided_at", "-id")


def proposals_of(user: Any) -> QuerySet[Proposal]:
    return _base().filter(proposer=user)


def proposals_for_triage(
    *, status: str = "", kind: str = "", query: str = ""
) -> QuerySet[Proposal]:
    qs = _base()
    if status in S.values:
        qs = qs.filter(status=status)
    if kind in Proposal.Kind.values:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(
            Q(number__iexact=query)
            | Q(title__icontains=query)
            | Q(bundle__name__icontains=query)
            | Q(reason__icontains=query)
        )
    return qs


def requests_for_department(department_id: int | None) -> QuerySet[Proposal]:
    """Accepted proposals handed to a lead department: draft bundles and change requests."""
    if department_id is None:
        return Proposal.objects.none()
    return accepted_proposals().filter(department_id=department_id)


def may_see(user: Any, proposal: Proposal) -> bool:
    """The proposer, the supervisor, and the editors of the department it was handed to."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_supervisor or (proposal.proposer_id and proposal.proposer_id == user.pk):
        return True
    return bool(
        user.role == user.Role.EDITOR
        and proposal.department_id
        and proposal.department_id == user.department_id
    )
