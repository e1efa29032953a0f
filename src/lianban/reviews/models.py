"""好差评: an occasion of service the applicant is invited to rate, the review they give
(never changed once made), and the follow-up (差评整改) a bad review opens for each
responsible unit."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.accounts.models import Applicant
from lianban.applications.models import Application
from lianban.catalog.models import Department


class Level(models.IntegerChoices):
    # Stored as a number so that "bad" is a comparison, and statistics can sort by it.
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASICALLY_SATISFIED = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})

# The aspects a bad review names (GB/T 39734 practice): a fixed list.
ASPECTS: dict[str, str] = {
    "efficiency": "办事效率",
    "attitude": "服务态度",
    "guide": "办事指南",
    "materials": "材料要求",
    "fees": "收费",
    "delivery": "结果送达",
    "other": "其他",
}


class Occasion(models.Model):
    """One service the applicant may rate once: the completion of an application (about the
    departments that handled its cases) or one visit to the window (about the window and the
    clerk). It carries the invitation: a single-use token, stored only as its hash."""

    class Kind(models.TextChoices):
        COMPLETION = "completion", "一件事办结"
        RECEIPT = "receipt", "窗口收件"
        CORRECTION = "correction", "窗口补正告知"
        DELIVERY = "delivery", "窗口领取结果"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="review_occasions"
    )
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("评价场景", max_length=12, choices=Kind.choices)
    # The audit event that made the occasion: one occasion per event, however often the
    # listener runs.
    event_id = models.BigIntegerField(unique=True)
    departments = models.ManyToManyField(Department, related_name="+", blank=True)
    window = models.CharField("窗口", max_length=32, blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="窗口人员",
        db_index=False,
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField("邀请有效期至")
    created_at = models.DateTimeField("服务时间")

    class Meta:
        verbose_name = "评价场景"
        verbose_name_plural = "评价场景"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clerk", "created_at"])]

    def __str__(self) -> str:
        return f"{self.application} {self.get_kind_display()}"

    @property
    def is_visit(self) -> bool:
        return self.kind != self.Kind.COMPLETION


class Review(models.Model):
    """好差评: what the applicant said about one occasion. Written once; only a supplementary
    comment may be appended later."""

    class Channel(models.TextChoices):
        PORTAL = "portal", "网上办事大厅"
        SMS = "sms", "短信链接"
        WINDOW = "window", "窗口评价器"

    occasion = models.OneToOneField(Occasion, on_delete=models.PROTECT, related_name="review")
    channel = models.CharField("评价渠道", max_length=8, choices=Channel.choices)
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    aspects = models.JSONField("差评方面", default=list, blank=True)
    comment = models.TextField("评价内容", blank=True)
    supplement = models.TextField("追加评价", blank=True)
    supplemented_at = models.DateTimeField("追加时间", null=True, blank=True)
    # A rating at the window screen: the clerk's session it was made in (hashed), so a
    # screen used to rate on the applicant's behalf can be traced.
    screen_session = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("评价时间")

    class Meta:
        verbose_name = "好差评"
        verbose_name_plural = "好差评"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occasion}: {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    @property
    def aspect_labels(self) -> list[str]:
        return [ASPECTS.get(a, a) for a in self.aspects]


class Rectification(models.Model):
    """差评整改: the follow-up of one bad review by one responsible unit (a department, or a
    window). Steps in order: call back, verify, rectify, report; the applicant's answer to
    the report closes it. An appeal against an unfair review halts it until decided."""

    class Status(models.TextChoices):
        OPEN = "open", "待回访"
        CALLED_BACK = "called_back", "已回访，待核实"
        VERIFIED = "verified", "已核实，待整改"
        RECTIFIED = "rectified", "已整改，待反馈"
        REPORTED = "reported", "已反馈，待申请人确认"
        CLOSED = "closed", "已办结"
        APPEALED = "appealed", "申诉中"
        APPEAL_UPHELD = "appeal_upheld", "申诉成立"

    class Finding(models.TextChoices):
        TRUE = "true", "属实"
        PARTLY = "partly", "部分属实"
        FALSE = "false", "不属实"

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="rectifications", db_index=False
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.CharField("窗口", max_length=32, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    due = models.DateField("整改期限")
    due_provisional = models.BooleanField(default=False)
    callback_outcome = models.TextField("回访情况", blank=True)
    finding = models.CharField("核实结论", max_length=8, choices=Finding.choices, blank=True)
    finding_note = models.TextField("核实情况", blank=True)
    measures = models.TextField("整改措施", blank=True)
    report = models.TextField("反馈内容", blank=True)
    reported_at = models.DateTimeField("反馈时间", null=True, blank=True)
    applicant_satisfied = models.BooleanField("申请人是否满意", null=True, blank=True)
    applicant_comment = models.TextField("申请人意见", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    overdue_at = models.DateTimeField("超期督办时间", null=True, blank=True)
    appeal_reason = models.TextField("申诉理由", blank=True)
    appealed_at = models.DateTimeField("申诉时间", null=True, blank=True)
    appeal_from = models.CharField(max_length=16, blank=True)
    appeal_decision = models.TextField("申诉处理意见", blank=True)
    appeal_decided_at = models.DateTimeField("申诉处理时间", null=True, blank=True)
    feedback_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    feedback_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(department__isnull=False) & models.Q(window=""))
                | (models.Q(department__isnull=True) & ~models.Q(window="")),
                name="rectification_one_unit",
            ),
            models.UniqueConstraint(
                fields=["review", "department"],
                condition=models.Q(department__isnull=False),
                name="rectification_once_per_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name}：{self.review}"

    @property
    def unit_name(self) -> str:
        return self.department.name if self.department is not None else self.window

    @property
    def upheld(self) -> bool:
        return self.status == self.Status.APPEAL_UPHELD
