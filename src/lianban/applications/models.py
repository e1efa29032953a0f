"""一件事申请: one application for one bundle version, its merged form, its one set of
materials (each file versioned, never overwritten), the intake review and its notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.accounts.models import Applicant
from lianban.catalog.models import BundleVersion, Department


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交，待收件"
        CORRECTION = "correction", "待补正"
        RECEIVED = "received", "已收件，办理中"
        COMPLETED = "completed", "已办结"
        ARCHIVED = "archived", "已归档"
        WITHDRAWN = "withdrawn", "已撤回"

    class Channel(models.TextChoices):
        ONLINE = "online", "网上申请"
        WINDOW = "window", "窗口申请"
        NODE = "node", "下级平台转入"

    bundle_version = models.ForeignKey(
        BundleVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name="一件事版本",
    )
    applicant = models.ForeignKey(
        Applicant, on_delete=models.PROTECT, related_name="applications", verbose_name="申请人"
    )
    channel = models.CharField("申请渠道", max_length=8, choices=Channel.choices)
    # Not indexed alone: both indexes below start with it.
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    receipt_number = models.CharField("收件编号", max_length=20, unique=True, null=True, blank=True)
    answers = models.JSONField("情形回答", default=dict)
    item_codes = models.JSONField("适用事项", default=list)
    form_data = models.JSONField("申请表", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    intake_due = models.DateField(
        "收件期限",
        null=True,
        blank=True,
        help_text="网上申请：提交后1个工作日内收件或一次性告知补正。",
    )
    intake_due_provisional = models.BooleanField(default=False)
    received_at = models.DateTimeField("收件时间", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="收件人",
    )
    # The window as it was at receipt: a clerk may move to another window later, and the
    # supervisor's figures by window must not move with them.
    received_window = models.CharField("收件窗口", max_length=32, blank=True)
    conditional = models.BooleanField("容缺受理", default=False)
    review_round = models.PositiveSmallIntegerField("审查轮次", default=1)
    delivery_method = models.CharField(
        "送达方式",
        max_length=12,
        default="together",
        choices=[
            ("together", "全部办结后统一领取"),
            ("each", "各事项办结后分别领取"),
            ("post", "邮寄送达（全部办结后）"),
            ("self_print", "网上自助打印"),
        ],
    )
    delivery_address = models.CharField("邮寄地址", max_length=200, blank=True)
    planned_completion = models.DateField(
        "预计办结日期", null=True, blank=True, help_text="按前后置关键路径和各时限推算。"
    )
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)

    class Meta:
        verbose_name = "一件事申请"
        verbose_name_plural = "一件事申请"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The window's list of submissions to review, in the order it shows them.
            models.Index(fields=["status", "intake_due", "submitted_at"]),
            # The window's list of today's receipts.
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"草稿 #{self.pk}"

    @property
    def bundle_name(self) -> str:
        # A version read with its snapshot deferred (as the services lock it, and as the
        # version in force is read) would fetch the whole snapshot again for its name; the
        # compiled definition or the per-process name map costs nothing.
        from lianban.catalog.selectors import compiled_name, version_name

        if Application.bundle_version.is_cached(self):
            version = self.bundle_version
            if "snapshot" not in version.get_deferred_fields():
                return str(version.snapshot["name"])
            name = compiled_name(version)
            if name is not None:
                return name
        return version_name(self.bundle_version_id)


class ReceiptCounter(models.Model):
    """The last receipt number issued on a day. Incremented under a row lock, so numbers are
    unique under concurrent submissions and never handed out twice."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class MaterialFile(models.Model):
    """One version of one material of an application. A correction adds a version; nothing
    is overwritten, so what was reviewed can always be shown again."""

    class Evidence(models.TextChoices):
        A = "A", "A 发证机关共享"
        B = "B", "B 窗口核验原件"
        C = "C", "C 申请人上传"
        D = "D", "D 书面承诺替代"

    # Found through the unique (application, material code, version) index, as each is read:
    # no index of their own to write with every file.
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="material_files", db_index=False
    )
    material_code = models.SlugField("材料编码", max_length=64, db_index=False)
    version = models.PositiveSmallIntegerField("版本")
    file = models.FileField("文件", upload_to="materials/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    evidence = models.CharField(
        "证据等级", max_length=1, choices=Evidence.choices, default=Evidence.C
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请材料文件"
        verbose_name_plural = "申请材料文件"
        ordering = ["material_code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material_code", "version"], name="material_file_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.material_code} v{self.version}"


class MaterialReview(models.Model):
    """The window's verdict on one material (or form field) in one review round."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "合格"
        MISSING = "missing", "缺少"
        IRREGULAR = "irregular", "不符合要求"
        DEFERRED = "deferred", "容缺后补"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    round = models.PositiveSmallIntegerField("审查轮次", default=1)
    material_code = models.SlugField("材料编码", max_length=64)
    verdict = models.CharField("审查结论", max_length=10, choices=Verdict.choices)
    reason = models.CharField("理由", max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "材料审查"
        verbose_name_plural = "材料审查"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round", "material_code"],
                name="one_review_per_material_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.material_code}: {self.get_verdict_display()}"


class Notice(models.Model):
    """A document issued to the applicant at intake: receipt, one-time correction notice,
    or 容缺 commitment. ``content`` keeps what it said; ``pdf`` the document itself."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "收件回执"
        CORRECTION = "correction", "补正告知书"
        COMMITMENT = "commitment", "容缺受理承诺书"
        ACCEPTANCE = "acceptance", "受理通知书"
        REFUSAL = "refusal", "不予受理通知书"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="notices")
    # Acceptance and refusal notices are a department's, about one item case.
    case = models.ForeignKey(
        "cases.ItemCase", null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    number = models.CharField("文书编号", max_length=32, unique=True)
    content = models.JSONField("内容")
    pdf = models.FileField("文书", upload_to="notices/%Y/%m/", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("出具时间")
    resolved_at = models.DateTimeField("补正完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "收件文书"
        verbose_name_plural = "收件文书"
        ordering = ["issued_at", "id"]
        # The sealing worker's queue: the few notices still waiting for their seal.
        indexes = [models.Index(fields=["id"], name="notice_unsealed", condition=models.Q(pdf=""))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Commitment(models.Model):
    """容缺受理: a secondary material the applicant promised in writing to hand in later."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="commitments",
        db_index=False,
    )
    material_code = models.SlugField("材料编码", max_length=64)
    material_name = models.CharField("材料名称", max_length=128)
    due = models.DateField("承诺补交日期")
    statement = models.TextField("承诺内容")
    fulfilled_at = models.DateTimeField("补交时间", null=True, blank=True)

    class Meta:
        verbose_name = "容缺承诺"
        verbose_name_plural = "容缺承诺"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material_code"], name="one_commitment_per_material"
            )
        ]

    def __str__(self) -> str:
        return f"{self.material_name}（{self.due} 前补交）"


class ApplicationItem(models.Model):
    """Hand-over: one applicable item of a received application, with exactly the fields
    and materials its department may see (minimum necessary)."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="items", db_index=False
    )
    item_code = models.CharField("事项编码", max_length=32)
    item_name = models.CharField("事项名称", max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="application_items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    after = models.JSONField("前置事项", default=list)
    promised_limit_days = models.PositiveSmallIntegerField("承诺时限")
    field_keys = models.JSONField("可见字段", default=list)
    material_codes = models.JSONField("可见材料", default=list)

    class Meta:
        verbose_name = "联办事项"
        verbose_name_plural = "联办事项"
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "item_code"], name="application_item_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} / {self.item_name}"


class UserIdempotencyRecord(models.Model):
    """The response a signed-in person's API command gave under an ``Idempotency-Key``,
    kept per user (a department system's are kept per client, in ``integration``) and
    replayed when the same key comes again with the same request."""

    # Indexed by the unique (user, key) below.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField()
    etag = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_record_per_user_key")
        ]

    def __str__(self) -> str:
        return self.key
