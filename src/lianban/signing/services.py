"""Sealing documents and keeping the register: every official document the platform issues
passes through :func:`issue_document`, and a withdrawn one through :func:`revoke_document`."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pyhanko.pdf_utils.misc import PdfError

from lianban.audit.services import appended_together, record_event
from lianban.common.errors import DomainError, NotAllowed
from lianban.common.text import clean_text
from lianban.conf import env
from lianban.signing import keys, pdfsign
from lianban.signing.models import IssuedDocument, Seal
from lianban.signing.sealimage import draw_seal

WINDOW_SEAL_NAME = "政务服务中心"
WINDOW_SEAL_PURPOSE = "一件事一次办专用章"
DEPARTMENT_SEAL_PURPOSE = "行政审批专用章"


def verify_url(number: str) -> str:
    """Where a document's QR code leads: its page in the public verification service."""
    return f"{env('LIANBAN_SITE_URL').rstrip('/')}/verify/{number}/"


@transaction.atomic
@appended_together()
def seal_for(department: Any | None) -> Seal:
    """The seal in use for ``department`` (None: the window's), made on first use."""
    found = Seal.objects.filter(department=department, active=True).select_related("credential")
    seal = found.first()
    if seal is not None and seal.credential.revoked_at is None:
        return seal
    keys.platform_ca()
    keys.platform_lock()  # two processes must not both make the department's first seal
    seal = found.first()
    if seal is not None and seal.credential.revoked_at is None:
        return seal
    # A seal whose certificate was stopped: the platform replaces a seal it made; an imported
    # one must be replaced by importing its successor, which only its CA can issue.
    if seal is not None and seal.credential.source != seal.credential.Source.PLATFORM:
        raise keys.SigningUnavailable(f"“{seal}”的印章证书已停用，请导入新的印章证书后再签发文书。")
    name, purpose = seal_text(department)
    return replace_seal(
        department=department,
        credential=keys.issue_seal_credential(f"{name}{purpose}", name),
        actor=None,
    )


def seal_text(department: Any | None) -> tuple[str, str]:
    """What a seal says: the name along its edge and its purpose beneath the star."""
    if department is None:
        return WINDOW_SEAL_NAME, WINDOW_SEAL_PURPOSE
    return department.name, DEPARTMENT_SEAL_PURPOSE


@transaction.atomic
@appended_together()
def replace_seal(*, department: Any | None, credential: Any, actor: Any) -> Seal:
    """Put a new seal for ``department`` (None: the window) in use with ``credential``; the
    one it replaces stays on record, so what it sealed still verifies."""
    Seal.objects.filter(department=department, active=True).update(active=False)
    name, purpose = seal_text(department)
    seal = Seal.objects.create(
        department=department,
        name=name,
        purpose_text=purpose,
        credential=credential,
        image=draw_seal(name, purpose),
    )
    record_event(
        actor=actor,
        verb="signing.seal_created",
        target=seal,
        data={
            "name": str(seal),
            "certificate": credential.fingerprint,
            "source": credential.source,
        },
    )
    return seal


def issue_document(
    *,
    pdf: bytes,
    number: str,
    kind: str,
    title: str,
    department: Any | None,
    actor: Any,
    stamp: pdfsign.Stamp | None = None,
    personal: bool = False,
    qr: bool = False,
    application: Any = None,
    case: Any = None,
) -> IssuedDocument:
    """Seal ``pdf`` for ``department`` (None: the window), with the actor's personal
    signature first when ``personal`` and a QR code for verification when ``qr`` (a document
    the platform did not lay out has none of its own), and enter it in the register. Runs inside the
    caller's transaction: the document exists exactly when the change that issued it does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_document must run inside the issuing change's transaction")
    seal = seal_for(department)
    signer = None
    # A department system acting through its service account is the department itself: its
    # acts carry the seal alone, since no person signed them.
    personal = personal and getattr(actor, "is_person", False)
    authority = pdfsign.current_authority()
    try:
        stamp = stamp or pdfsign.default_stamp(pdf)
        if qr:
            pdf = pdfsign.add_qr(pdf, url=verify_url(number), beside=stamp)
        if personal:
            signer = keys.personal_credential(actor)
            pdf = pdfsign.sign_personal(
                pdf,
                loaded=keys.load(signer),
                name=signer.subject,
                reason=f"{title}（{number}）审批人签名",
                authority=authority,
            )
        signed = pdfsign.seal(
            pdf,
            loaded=keys.load(seal.credential),
            name=str(seal),
            reason=f"{title}（{number}）",
            stamp=stamp,
            seal_png=bytes(seal.image),
            authority=authority,
        )
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise DomainError(
            "无法加盖电子印章：PDF 文件已加密或已损坏，请另存为普通 PDF 后重新上传。",
            path="file",
        ) from exc
    document = IssuedDocument(
        number=number,
        kind=kind,
        title=title,
        sha256=keys.sha256_hex(signed),
        sm3=keys.sm3_hex(signed),
        size=len(signed),
        seal=seal,
        signer=signer,
        issued_at=timezone.now(),
        issued_by=actor if getattr(actor, "pk", None) else None,
        application=application,
        case=case,
    )
    document.file.save(f"{number}.pdf", ContentFile(signed), save=False)
    document.save()
    record_event(
        actor=actor,
        verb="signing.document_issued",
        target=document,
        data={
            "number": number,
            "kind": kind,
            "sha256": document.sha256,
            "seal": seal.credential.fingerprint,
            "signer": signer.fingerprint if signer else "",
        },
    )
    return document


def can_revoke(user: Any, document: IssuedDocument) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_supervisor:
        return True
    department = document.seal.department_id
    return bool(department and user.role == user.Role.REVIEWER and user.department_id == department)


@transaction.atomic
@appended_together()
def revoke_document(*, document: IssuedDocument, actor: Any, reason: str) -> IssuedDocument:
    """撤销: the document stays in the register, and verification says it is revoked."""
    document = IssuedDocument.objects.select_for_update().select_related("seal").get(pk=document.pk)
    if not can_revoke(actor, document):
        raise NotAllowed("只有签发部门的审批人员或政务大数据局可以撤销文书。")
    if document.revoked_at is not None:
        raise DomainError("该文书已撤销。")
    reason = clean_text(reason, max_length=500, path="reason", label="撤销理由")
    document.revoked_at = timezone.now()
    document.revoked_reason = reason
    document.revoked_by = actor
    document.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    record_event(
        actor=actor,
        verb="signing.document_revoked",
        target=document,
        data={"number": document.number, "reason": reason},
    )
    if document.application is not None:
        from lianban.notifications.services import notify_applicant

        notify_applicant(
            document.application.applicant,
            f"您的文书《{document.title}》（编号 {document.number}）已被撤销，理由：{reason}",
            link=f"/verify/{document.number}/",
        )
    return document
