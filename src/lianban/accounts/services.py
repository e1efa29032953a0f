"""Creating applicant accounts."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lianban.accounts.models import Applicant, User
from lianban.audit.services import appended_together, record_event
from lianban.common.errors import DomainError


class AlreadyKnown(DomainError):
    """The identity number belongs to an applicant the platform already serves."""


@transaction.atomic
@appended_together()
def applicant_register(
    *,
    kind: str,
    name: str,
    phone: str,
    password: str,
    id_number: str = "",
    credit_code: str = "",
    legal_representative: str = "",
) -> Applicant:
    """An online account and its applicant. The user name is the identity number, so a
    person signs in with what they always carry.

    A password sign-up proves nothing about who someone is, so it never takes over an
    applicant the platform already knows (one served at the window, say): that person opens
    their account through the unified identity (一次登录) or at the window, where the
    identity is verified."""
    identifier = id_number if kind == Applicant.Kind.NATURAL else credit_code
    lookup = (
        {"id_number": id_number} if kind == Applicant.Kind.NATURAL else {"credit_code": credit_code}
    )
    if (
        Applicant.objects.filter(**lookup).exists()
        or User.objects.filter(username=identifier).exists()
    ):
        raise AlreadyKnown(
            "无法用此证件号码注册。如您曾在窗口办理过业务，请使用统一身份认证登录，"
            "或携带证件到综合窗口开通网上账户。",
            path="identifier",
        )
    user = User.objects.create_user(
        username=identifier, password=password, display_name=name, role=User.Role.APPLICANT
    )
    applicant = Applicant(kind=kind, name=name, phone=phone, user=user, **lookup)
    if kind == Applicant.Kind.LEGAL:
        applicant.legal_representative = legal_representative
        applicant.legal_representative_id = id_number
    applicant.save()
    record_event(
        actor=user, verb="accounts.applicant_registered", target=applicant, data={"kind": kind}
    )
    return applicant


def applicant_for_walk_in(
    *,
    kind: str,
    name: str,
    phone: str,
    id_number: str = "",
    credit_code: str = "",
    legal_representative: str = "",
    actor: Any,
) -> Applicant:
    """The applicant a clerk serves at the window: found by identity number, or created."""
    lookup = (
        {"id_number": id_number} if kind == Applicant.Kind.NATURAL else {"credit_code": credit_code}
    )
    applicant = Applicant.objects.filter(**lookup).first()
    if applicant is not None:
        return applicant
    with transaction.atomic():
        applicant = Applicant.objects.create(
            kind=kind, name=name, phone=phone, legal_representative=legal_representative, **lookup
        )
        record_event(
            actor=actor,
            verb="accounts.applicant_created",
            target=applicant,
            data={"kind": kind, "at": "window"},
        )
    return applicant
