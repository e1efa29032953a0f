"""Checking an uploaded material file by its content, not its name.

Only PDF, JPEG and PNG are accepted. The first bytes decide the type; the name's extension
must agree; executables and scripts renamed to .pdf are refused however they are named."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError

from lianban.conf import env

KINDS = {
    "pdf": ("application/pdf", (".pdf",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
}
# Magic numbers of things that must never be stored as a material, to give a precise reason.
EXECUTABLES = (b"MZ", b"\x7fELF", b"#!", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa", b"PK\x03\x04")


def extension_for(content_type: str) -> str:
    """The file name suffix a stored file of ``content_type`` is downloaded with."""
    for kind_type, suffixes in KINDS.values():
        if kind_type == content_type:
            return suffixes[0]
    return ""


def max_upload_bytes() -> int:
    return int(float(env("LIANBAN_MAX_UPLOAD_MB")) * 1024 * 1024)


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def check_upload(stream: IO[bytes], name: str) -> CheckedFile:
    """Validate a material file; ValidationError with a Chinese reason if it is refused."""
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    head = b""
    stream.seek(0)
    while chunk := stream.read(1024 * 1024):
        if not head:
            head = chunk[:16]
        size += len(chunk)
        if size > limit:
            raise ValidationError(
                f"文件过大：单个材料不能超过 {limit // (1024 * 1024)} MB。", code="too_large"
            )
        digest.update(chunk)
    stream.seek(0)
    if size == 0:
        raise ValidationError("文件是空的，请重新选择。", code="empty")
    kind = sniff(head)
    if kind is None:
        if head.startswith(EXECUTABLES):
            raise ValidationError(
                "该文件是可执行程序或压缩包，不是材料文件，已拒收。", code="executable"
            )
        raise ValidationError(
            "只接受 PDF、JPEG、PNG 格式的材料文件（按文件内容判断）。", code="bad_type"
        )
    content_type, extensions = KINDS[kind]
    if not name.lower().endswith(extensions):
        raise ValidationError(
            f"文件内容是 {kind.upper()}，但文件名后缀与之不符，请使用 {'/'.join(extensions)}。",
            code="bad_extension",
        )
    return CheckedFile(kind=kind, content_type=content_type, size=size, sha256=digest.hexdigest())
