"""Checking a document: are its signatures intact and trusted, does the seal cover the whole
file, is it the document the register holds, and has it been revoked?

The signatures are checked by pyHanko against the platform's trust roots, offline; the
register is looked up by the SHA-256 of the file (or, when something was appended after
signing, of the part the seal covers)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from lianban.applications.files import max_upload_bytes
from lianban.common.errors import DomainError
from lianban.conf import env
from lianban.signing import keys
from lianban.signing.models import IssuedDocument
from lianban.signing.pdfsign import outside_event_loop

ALLOWED_CHANGES = {
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
}


@dataclass
class SignatureReport:
    field: str
    signer: str
    signed_at: dt.datetime | None
    timestamped: bool
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    # What was added after this signature is what later signatures add, nothing else.
    allowed_changes: bool


@dataclass
class Report:
    signatures: list[SignatureReport] = field(default_factory=list)
    document: IssuedDocument | None = None
    matches_register: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def authentic(self) -> bool:
        return not self.problems

    @property
    def revoked(self) -> bool:
        return self.document is not None and self.document.revoked_at is not None


def _subject(certificate: Any) -> str:
    from cryptography import x509

    return keys.display_name(x509.load_der_x509_certificate(certificate.dump()).subject)


def verify_upload(upload: Any) -> Report:
    """The verdict on an uploaded file (the page's and the API's), refused above the
    platform's upload limit."""
    if upload is None:
        raise DomainError("请选择要核验的 PDF 文件。", path="file")
    if upload.size is not None and upload.size > max_upload_bytes():
        raise DomainError(f"文件超过 {env('LIANBAN_MAX_UPLOAD_MB')} MB，无法核验。", path="file")
    return verify_pdf(upload.read())


def verify_pdf(data: bytes) -> Report:
    """The verdict on an uploaded file. Raises :class:`DomainError` for a file that is not
    a PDF at all."""
    if not data.startswith(b"%PDF-"):
        raise DomainError("该文件不是 PDF 文件。请上传本平台签发的 PDF 文书。", path="file")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise DomainError("无法读取该 PDF 文件：文件已损坏。", path="file") from exc
    report = Report()
    if not embedded:
        report.problems.append("该文件不含电子签名，不是本平台签发的有效文书。")
        report.document = _registered(data)
        return report
    context = ValidationContext(trust_roots=keys.trust_roots(), allow_fetching=False)
    for signature in embedded:
        try:
            status = outside_event_loop(
                lambda signature=signature: validate_pdf_signature(  # type: ignore[misc]
                    signature, signer_validation_context=context, ts_validation_context=context
                )
            )
        except Exception:  # pyHanko raises many kinds for a damaged signature
            report.signatures.append(
                SignatureReport(
                    field=str(signature.field_name),
                    signer="（无法解析）",
                    signed_at=None,
                    timestamped=False,
                    intact=False,
                    valid=False,
                    trusted=False,
                    whole_file=False,
                    allowed_changes=False,
                )
            )
            continue
        timestamp = status.timestamp_validity
        report.signatures.append(
            SignatureReport(
                field=str(signature.field_name),
                signer=_subject(status.signing_cert),
                signed_at=timestamp.timestamp if timestamp else status.signer_reported_dt,
                timestamped=bool(timestamp and timestamp.intact and timestamp.valid),
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                allowed_changes=status.modification_level in ALLOWED_CHANGES,
            )
        )
    last = embedded[-1]
    byte_range = [int(v) for v in last.sig_object["/ByteRange"]]
    covered_end = byte_range[2] + byte_range[3]
    report.document = _registered(data) or _registered(data[:covered_end])
    report.matches_register = (
        report.document is not None and report.document.sha256 == keys.sha256_hex(data)
    )
    if any(not (s.intact and s.valid) for s in report.signatures):
        report.problems.append("签名无效：文件在签章后被改动过，或签名已损坏。")
    elif any(not s.trusted for s in report.signatures):
        report.problems.append("签名证书不是本平台或其信任的机构签发的。")
    if report.signatures and (
        not report.signatures[-1].whole_file
        or not all(s.allowed_changes for s in report.signatures)
    ):
        report.problems.append("签章后文件又被追加或修改了内容，与签发时不一致。")
    if report.document is None:
        report.problems.append("本平台的文书登记簿中没有这份文件。")
    elif report.document.revoked_at is not None:
        report.problems.append(f"该文书已被撤销：{report.document.revoked_reason}")
    return report


def _registered(data: bytes) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.select_related("seal", "signer", "seal__department")
        .filter(sha256=keys.sha256_hex(data))
        .first()
    )
