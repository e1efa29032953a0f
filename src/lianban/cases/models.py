"""联办事项办件: one case per applicable item of a received application, worked by its
department; its statutory clocks; suspensions, the extension, the decision and results."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.applications.models import Application, ApplicationItem
from lianban.catalog.models import Department


class ItemCase(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "等待前置事项"
        DISPATCHED = "dispatched", "待受理"
        SUPPLEMENT = "supplement", "待补正"
        ACCEPTED = "accepted", "办理中"
        SUSPENDED = "suspended", "中止计时"
        DECIDED = "decided", "已决定，待送回窗口"
        RETURNED = "returned", "结果已送回窗口"
        DELIVERED = "delivered", "已送达"
        REFUSED = "refused", "不予受理"
        CANCELLED = "cancelled", "已取消"

    class Outcome(models.TextChoices):
        APPROVED = "approved", "准予"
        DENIED = "denied", "不予"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    item = models.OneToOneField(ApplicationItem, on_delete=models.PROTECT, related_name="case")
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name="办理部门",
        db_index=False,
    )
    item_code = models.CharField("事项编码", max_length=32)
    item_name = models.CharField("事项名称", max_length=200)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.WAITING)
    outcome = models.CharField("决定", max_length=8, choices=Outcome.choices, blank=True)
    reason = models.TextField("理由", blank=True, help_text="不予受理、不予许可或取消的理由。")
    dispatched_at = models.DateTimeField("分送时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    returned_at = models.DateTimeField("送回窗口时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="承办人",
    )
    extended = models.BooleanField("已延期", default=False)
    # The due date of the running clock, kept here by cases.clocks so that a department's
    # queue sorts by urgency straight from an index, at any number of cases.
    running_due = models.DateField("当前时限到期日", null=True, blank=True)

    class Meta:
        verbose_name = "联办事项办件"
        verbose_name_plural = "联办事项办件"
        ordering = ["application", "item__position"]
        indexes = [
            models.Index(fields=["department", "status"]),
            models.Index(fields=["department", "running_due", "id"]),
            # 电子监察's live yellow and red lights over every department: the open cases with
            # a running clock (dispatched, accepted, decided), most urgent first.
            models.Index(
                fields=["running_due", "id"],
                name="itemcase_lighted_due",
                condition=models.Q(status__in=["dispatched", "accepted", "decided"]),
            ),
            models.Index(fields=["application", "status"]),
            # 电子监察 reads cases by dispatch month (the rollup's refresh, the drill-down).
            models.Index(fields=["dispatched_at"], name="itemcase_dispatched_at"),
            # The window's results waiting for delivery, longest waiting first.
            models.Index(fields=["status", "returned_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.application.receipt_number} / {self.item_name}"

    @property
    def is_open(self) -> bool:
        return self.status not in {
            self.Status.DELIVERED,
            self.Status.REFUSED,
            self.Status.CANCELLED,
        }


class Clock(models.Model):
    """One statutory clock of a case, stored: its due date moves with suspensions and the
    extension, and it stops when its step is done."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", "受理"
        DECISION = "decision", "办理"
        RETURN = "return", "结果送回窗口"

    case = models.ForeignKey(
        ItemCase, on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    kind = models.CharField("时限", max_length=12, choices=Kind.choices)
    started_on = models.DateField("起算日")
    limit_days = models.PositiveSmallIntegerField("时限（工作日）")
    due = models.DateField("到期日")
    provisional = models.BooleanField(
        "按周末推算", default=False, help_text="涉及尚未公布节假日安排的年份。"
    )
    paused_on = models.DateField("中止日", null=True, blank=True)
    paused_days = models.PositiveSmallIntegerField("中止工作日数", default=0)
    extended_days = models.PositiveSmallIntegerField("延长工作日数", default=0)
    stopped_at = models.DateTimeField("完成时间", null=True, blank=True)
    met = models.BooleanField("按时完成", null=True)

    class Meta:
        verbose_name = "时限"
        verbose_name_plural = "时限"
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_clock_per_kind")]
        indexes = [models.Index(fields=["stopped_at", "due"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due}"


class Suspension(models.Model):
    """行政许可法 第四十五条: time for inspection, testing, quarantine, appraisal, expert
    review or hearing does not count."""

    class Kind(models.TextChoices):
        INSPECTION = "inspection", "检验"
        TESTING = "testing", "检测"
        QUARANTINE = "quarantine", "检疫"
        APPRAISAL = "appraisal", "鉴定"
        EXPERT_REVIEW = "expert_review", "专家评审"
        HEARING = "hearing", "听证"

    case = models.ForeignKey(ItemCase, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField("中止事由", max_length=16, choices=Kind.choices)
    reason = models.CharField("说明", max_length=300)
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)
    workdays = models.PositiveSmallIntegerField("不计入的工作日", default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "中止计时"
        verbose_name_plural = "中止计时"
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.reason}"


class Extension(models.Model):
    """行政许可法 第四十二条: once, approved by the head of the department, with a reason."""

    case = models.OneToOneField(ItemCase, on_delete=models.CASCADE, related_name="extension")
    days = models.PositiveSmallIntegerField("延长工作日")
    approver = models.CharField("批准人", max_length=64)
    reason = models.CharField("理由", max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"

    def __str__(self) -> str:
        return f"延长{self.days}个工作日"


class SupplementRequest(models.Model):
    """A department asks, before accepting, for materials the window's review missed."""

    case = models.ForeignKey(ItemCase, on_delete=models.CASCADE, related_name="supplements")
    material_codes = models.JSONField("需补正材料")
    reason = models.CharField("补正要求", max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "部门补正"
        verbose_name_plural = "部门补正"
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return self.reason


class ResultDocument(models.Model):
    """办理结果: a licence, certificate or decision a department issues for a case."""

    class Kind(models.TextChoices):
        LICENCE = "licence", "许可证"
        CERTIFICATE = "certificate", "证明"
        DECISION = "decision", "决定书"
        NOTICE = "notice", "通知书"

    case = models.ForeignKey(ItemCase, on_delete=models.PROTECT, related_name="results")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    title = models.CharField("名称", max_length=200)
    number = models.CharField("文号", max_length=64, blank=True)
    file = models.FileField("文件", upload_to="results/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "办理结果"
        verbose_name_plural = "办理结果"

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """送达: one hand-over of results to the applicant, as the window records it."""

    class Method(models.TextChoices):
        TOGETHER = "together", "全部办结后统一领取"
        EACH = "each", "各事项办结后分别领取"
        POST = "post", "邮寄送达（全部办结后）"
        SELF_PRINT = "self_print", "网上自助打印"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="deliveries"
    )
    cases = models.ManyToManyField(ItemCase, related_name="deliveries")
    method = models.CharField("方式", max_length=12, choices=Method.choices)
    recipient = models.CharField("领取人", max_length=64, blank=True)
    tracking_number = models.CharField("邮件号", max_length=40, blank=True)
    delivered_at = models.DateTimeField("送达时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "送达记录"
        verbose_name_plural = "送达记录"
        ordering = ["delivered_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.delivered_at:%Y-%m-%d}"
