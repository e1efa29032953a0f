"""Creating applicant accounts."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lianban.accounts.models import Applicant, User
from lianban.audit.services import record_event


@transaction.atomic
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
    person signs in with what they always carry. An applicant the window took before (same
    number, no account yet) is linked rather than duplicated."""
    identifier = id_number if kind == Applicant.Kind.NATURAL else credit_code
    user = User.objects.create_user(
        username=identifier, password=password, display_name=name, role=User.Role.APPLICANT
    )
    lookup = (
        {"id_number": id_number} if kind == Applicant.Kind.NATURAL else {"credit_code": credit_code}
    )
    applicant = Applicant.objects.filter(**lookup, user__isnull=True).first()
    if applicant is None:
        applicant = Applicant(kind=kind, **lookup)
    applicant.name = name
    applicant.phone = phone
    applicant.user = user
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
