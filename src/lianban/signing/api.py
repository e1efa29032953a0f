"""``/api/v1/documents``: the register's entry for a document, and verification of a file.
Both are public, as the verification page is: a document's holder may show it to anyone."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from lianban.api.errors import ErrorOut
from lianban.signing.models import IssuedDocument
from lianban.signing.verify import Report, verify_upload

router = Router(tags=["文书核验"])


class DocumentOut(Schema):
    number: str = Field(description="文书编号")
    kind: str = Field(
        description="类型：receipt 收件回执、correction 补正告知书、commitment 容缺受理承诺书、acceptance 受理通知书、refusal 不予受理通知书、guide 一次性告知单、result 办理结果"
    )
    title: str = Field(description="文书名称")
    seal: str = Field(description="加盖的电子印章")
    personal_signature: bool = Field(description="是否有审批人个人签名")
    issued_at: dt.datetime = Field(description="签章时间")
    sha256: str = Field(description="签发时文件的 SHA-256（十六进制）")
    sm3: str = Field(description="签发时文件的 SM3 摘要（十六进制，GB/T 32905）")
    size: int = Field(description="文件字节数")
    revoked: bool = Field(description="是否已撤销")
    revoked_at: dt.datetime | None = Field(None, description="撤销时间")
    revoked_reason: str = Field("", description="撤销理由")


class SignatureOut(Schema):
    kind: str = Field(description="seal 电子印章，personal 个人签名")
    signer: str = Field(description="签名证书主体")
    signed_at: dt.datetime | None = Field(None, description="签名时间（有时间戳时为时间戳时间）")
    timestamped: bool = Field(description="是否带有效的平台时间戳")
    intact: bool = Field(description="签名覆盖的内容未被改动")
    trusted: bool = Field(description="签名证书由平台信任的机构签发")
    whole_file: bool = Field(description="签名覆盖整个文件")


class VerificationOut(Schema):
    authentic: bool = Field(description="文书真实有效：签名完好可信、覆盖全文、与登记一致且未撤销")
    problems: list[str] = Field(description="未通过的原因（中文）")
    signatures: list[SignatureOut]
    matches_register: bool = Field(description="文件与登记簿记录逐字节一致")
    document: DocumentOut | None = Field(None, description="登记簿中的文书记录")


def _document_out(doc: IssuedDocument) -> DocumentOut:
    return DocumentOut(
        number=doc.number,
        kind=doc.kind,
        title=doc.title,
        seal=str(doc.seal),
        personal_signature=doc.signer_id is not None,
        issued_at=doc.issued_at,
        sha256=doc.sha256,
        sm3=doc.sm3,
        size=doc.size,
        revoked=doc.revoked_at is not None,
        revoked_at=doc.revoked_at,
        revoked_reason=doc.revoked_reason,
    )


def _verification_out(report: Report) -> VerificationOut:
    return VerificationOut(
        authentic=report.authentic,
        problems=report.problems,
        signatures=[
            SignatureOut(
                kind="seal" if s.field == "Seal" else "personal",
                signer=s.signer,
                signed_at=s.signed_at,
                timestamped=s.timestamped,
                intact=s.intact and s.valid,
                trusted=s.trusted,
                whole_file=s.whole_file,
            )
            for s in report.signatures
        ],
        matches_register=report.matches_register,
        document=_document_out(report.document) if report.document else None,
    )


# Declared before "/{number}", which would otherwise take "verify" for a document number.
@router.post(
    "/verify",
    response={200: VerificationOut, 400: ErrorOut},
    summary="核验文书文件",
    description="上传 PDF 文书（multipart 字段 file），核验其电子签名与印章、是否覆盖全文、"
    "是否与登记簿一致以及是否已撤销。",
)
def verify(request: HttpRequest, file: File[UploadedFile]) -> VerificationOut:
    return _verification_out(verify_upload(file))


@router.get(
    "/{number}",
    response={200: DocumentOut, 404: ErrorOut},
    summary="查询文书登记",
    description="按文书编号查询登记簿：签章单位、时间、文件摘要，以及是否已撤销。",
)
def document(request: HttpRequest, number: str) -> DocumentOut:
    doc = IssuedDocument.objects.select_related("seal").filter(number=number[:64]).first()
    if doc is None:
        raise Http404(f"未找到编号为“{number[:64]}”的文书。")
    return _document_out(doc)
