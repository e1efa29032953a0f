"""信息共享目录: which department shares which data item, with which fields, how, and with whom
for what (无条件归集、有条件使用); the registries that answer; the applicant's consent; the
access log of every read; and the electronic licences the platform issued."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.catalog.models import Department


class Registry(models.Model):
    """A source of shared data: the reference registry inside the platform, or a department's
    real registry reached over HTTP (signed requests, a timeout, bounded retries)."""

    class Kind(models.TextChoices):
        REFERENCE = "reference", "平台参考库"
        HTTP = "http", "部门接口（HTTP）"

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    base_url = models.URLField("接口地址", blank=True)
    key_id = models.CharField("密钥标识", max_length=64, blank=True)
    # The per-registry HMAC secret. Kept in the database like the webhook secrets, so that
    # each registry is configured where its data items are, not in the environment.
    secret = models.CharField("签名密钥", max_length=128, blank=True)
    timeout_seconds = models.FloatField("超时（秒）", default=5.0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=3)
    backoff_seconds = models.FloatField("重试间隔（秒，逐次加倍）", default=0.5)

    class Meta:
        verbose_name = "共享数据来源"
        verbose_name_plural = "共享数据来源"

    def __str__(self) -> str:
        return self.name


class DataItem(models.Model):
    """One entry of the directory (信息共享目录)."""

    class Method(models.TextChoices):
        API = "api", "接口实时查询"
        BATCH = "batch", "批量归集"

    class SharingClass(models.TextChoices):
        UNCONDITIONAL = "unconditional", "无条件共享"
        CONDITIONAL = "conditional", "有条件共享"
        NONE = "none", "不予共享"

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    provider = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="data_items", verbose_name="提供部门"
    )
    # [{"key", "label", "form_field"}]: form_field is the merged form's canonical field a
    # value prefills, when the data is the applicant's own ("self") or their spouse's.
    fields = models.JSONField("数据项", default=list)
    method = models.CharField("获取方式", max_length=8, choices=Method.choices)
    sharing_class = models.CharField("共享类型", max_length=16, choices=SharingClass.choices)
    registry = models.ForeignKey(
        Registry, on_delete=models.PROTECT, related_name="data_items", verbose_name="数据来源"
    )
    satisfies_materials = models.JSONField("可免提交的材料", default=list, blank=True)
    # For e-licences: the service items whose results become licences of this type, and the
    # type code their identifiers carry (GB/T 36904 style, see docs/sharing.md).
    licence_type_code = models.CharField("证照类型代码", max_length=8, blank=True)
    issuing_items = models.JSONField("签发事项", default=list, blank=True)
    description = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "共享数据项"
        verbose_name_plural = "信息共享目录"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.fields]


class DataUse(models.Model):
    """有条件使用: a service item (or every item of a department) may read these fields of a
    data item, for this purpose. No row, no read."""

    data_item = models.ForeignKey(DataItem, on_delete=models.CASCADE, related_name="uses")
    item_code = models.CharField("事项编码", max_length=32, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="data_uses"
    )
    fields = models.JSONField("可用数据项", default=list)
    purpose = models.CharField("用途", max_length=200)

    class Meta:
        verbose_name = "共享数据使用授权"
        verbose_name_plural = "共享数据使用授权"

    def __str__(self) -> str:
        return f"{self.data_item} → {self.item_code or self.department}"


class ReferenceRecord(models.Model):
    """The reference registry's data: one record of a data item about one subject (a resident
    identity number or a credit code)."""

    data_item = models.ForeignKey(
        DataItem, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    subject = models.CharField("主体标识", max_length=18, db_index=True)
    data = models.JSONField("数据")

    class Meta:
        verbose_name = "参考库记录"
        verbose_name_plural = "参考库记录"
        constraints = [
            models.UniqueConstraint(fields=["data_item", "subject"], name="reference_record_once")
        ]

    def __str__(self) -> str:
        return f"{self.data_item.code}:{self.subject[:6]}…"


class Consent(models.Model):
    """The applicant's explicit choice, per application, that shared data may prefill the form
    and replace materials. Revocable until the application is submitted."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="sharing_consent"
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField("授权时间")
    revoked_at = models.DateTimeField("撤回时间", null=True, blank=True)
    # What the consent filled in, with its source: {field key: {"value", "source", "item"}}.
    prefilled = models.JSONField("预填项目", default=dict, blank=True)

    class Meta:
        verbose_name = "共享授权"
        verbose_name_plural = "共享授权"

    def __str__(self) -> str:
        return f"{self.application_id}: {'已撤回' if self.revoked_at else '有效'}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SharedMaterial(models.Model):
    """免提交: a material of an application satisfied from shared data or an e-licence. The
    material file it stands behind is evidence level A."""

    material_file = models.OneToOneField(
        "applications.MaterialFile", on_delete=models.CASCADE, related_name="shared"
    )
    data_item = models.ForeignKey(DataItem, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    licence = models.ForeignKey(
        "ELicence", null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )
    fetched_at = models.DateTimeField("获取时间")

    class Meta:
        verbose_name = "免提交材料"
        verbose_name_plural = "免提交材料"

    def __str__(self) -> str:
        return f"{self.material_file} ← {self.source}"


class AccessLog(models.Model):
    """One read (or attempted read) of shared data: who, for which case, which fields, why."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "已读取"
        DENIED = "denied", "已拒绝"
        FAILED = "failed", "读取失败"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data_item = models.ForeignKey(DataItem, on_delete=models.PROTECT, related_name="reads")
    # Whose data: the applicant (for their "who read my data" page) and a masked identifier.
    subject = models.ForeignKey(
        "accounts.Applicant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    subject_masked = models.CharField("主体", max_length=24)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.ItemCase", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fields = models.JSONField("数据项", default=list)
    purpose = models.CharField("用途", max_length=200)
    outcome = models.CharField("结果", max_length=8, choices=Outcome.choices)
    reason = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "共享数据访问记录"
        verbose_name_plural = "共享数据访问记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.data_item.code} {self.outcome}"


class RegistryCall(models.Model):
    """One HTTP request to a registry (each attempt), for operations and the supervisor."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="calls")
    data_item = models.CharField(max_length=32)
    at = models.DateTimeField(auto_now_add=True)
    attempt = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "共享接口调用"
        verbose_name_plural = "共享接口调用"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.registry.code} {self.path} #{self.attempt}: {self.status or self.error}"


class ELicence(models.Model):
    """电子证照: a result issued through the platform, entered in the directory so that later
    applications reuse it instead of asking for it again."""

    identifier = models.CharField("证照标识", max_length=48, unique=True)
    data_item = models.ForeignKey(DataItem, on_delete=models.PROTECT, related_name="licences")
    holder = models.ForeignKey(
        "accounts.Applicant", on_delete=models.PROTECT, related_name="licences"
    )
    issuer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("名称", max_length=200)
    number = models.CharField("文号", max_length=64, blank=True)
    result = models.OneToOneField(
        "cases.ResultDocument", on_delete=models.PROTECT, related_name="licence"
    )
    issued_at = models.DateTimeField("签发时间")

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} {self.identifier}"


class LicenceSerial(models.Model):
    """The last serial issued per licence type, issuer and year, incremented under a lock."""

    type_code = models.CharField(max_length=8)
    issuer_code = models.CharField(max_length=18)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type_code", "issuer_code", "year"], name="licence_serial_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type_code}{self.issuer_code}{self.year}: {self.last}"
