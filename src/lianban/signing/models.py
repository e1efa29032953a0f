"""Keys, seals and the register of issued documents.

A :class:`Credential` is a certificate with its private key. The platform makes its own (a CA,
a timestamp authority, a certificate per seal and per signing person) for the embedded
default; production imports certificates a recognised CA issued. Private keys are stored
encrypted with ``LIANBAN_SIGNING_PASSPHRASE`` (PKCS #8), never in the clear.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Credential(models.Model):
    class Purpose(models.TextChoices):
        CA = "ca", "平台根证书"
        TSA = "tsa", "时间戳服务"
        SEAL = "seal", "电子印章"
        PERSONAL = "personal", "个人签名"

    class Source(models.TextChoices):
        PLATFORM = "platform", "平台签发"
        IMPORTED = "imported", "外部导入"

    purpose = models.CharField("用途", max_length=12, choices=Purpose.choices)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    subject = models.CharField("主体", max_length=255)
    issuer = models.CharField("签发者", max_length=255)
    serial = models.CharField("序列号", max_length=64)
    fingerprint = models.CharField("SHA-256 指纹", max_length=64, unique=True)
    certificate_pem = models.TextField("证书")
    # Intermediate certificates up to (not including) a trust root, for imported credentials.
    chain_pem = models.TextField("证书链", blank=True)
    key_pem = models.TextField("私钥（加密）")
    not_before = models.DateTimeField("生效时间")
    not_after = models.DateTimeField("失效时间")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_credentials",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.subject}"


class Seal(models.Model):
    """电子印章: a department's (or the window's) seal — its certificate and its image."""

    department = models.ForeignKey(
        "catalog.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="seals",
        help_text="空：综合窗口的印章",
    )
    name = models.CharField("印章名称", max_length=64)  # the name around the seal's edge
    purpose_text = models.CharField("印章用途", max_length=32)  # the line under the star
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="seals")
    image = models.BinaryField("印模（PNG）")
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "电子印章"
        verbose_name_plural = "电子印章"
        constraints = [
            # One seal in use per department, and one for the window.
            models.UniqueConstraint(
                fields=["department"],
                condition=models.Q(active=True),
                name="one_active_seal_per_department",
            ),
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True, department__isnull=True),
                name="one_active_window_seal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.purpose_text}）"


class IssuedDocument(models.Model):
    """The register: every document the platform sealed, as it was issued."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "收件回执"
        CORRECTION = "correction", "补正告知书"
        COMMITMENT = "commitment", "容缺受理承诺书"
        ACCEPTANCE = "acceptance", "受理通知书"
        REFUSAL = "refusal", "不予受理通知书"
        GUIDE = "guide", "一次性告知单"
        RESULT = "result", "办理结果"
        BULLETIN = "bulletin", "监察通报"

    number = models.CharField("文书编号", max_length=64, unique=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    title = models.CharField("名称", max_length=200)
    file = models.FileField("文件", upload_to="issued/%Y/%m/")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    sm3 = models.CharField("SM3", max_length=64)
    size = models.PositiveIntegerField("字节数")
    seal = models.ForeignKey(
        Seal, on_delete=models.PROTECT, related_name="documents", db_index=False
    )
    signer = models.ForeignKey(
        Credential,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_documents",
        verbose_name="签名人证书",
    )
    issued_at = models.DateTimeField("签章时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    case = models.ForeignKey(
        "cases.ItemCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_reason = models.CharField("撤销理由", max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "已签发文书"
        verbose_name_plural = "已签发文书登记簿"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["seal", "-issued_at"])]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"
