from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.catalog.models import Bundle


class Proposal(models.Model):
    """民意征求 (操作规程 第七条): someone asks for a new 一件事 or a change to one; the
    supervisor takes it up (a draft bundle, or a change request to the lead department),
    declines it with a reason, or marks it a duplicate."""

    class Kind(models.TextChoices):
        NEW = "new", "新增一件事"
        CHANGE = "change", "调整已有一件事"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待研究"
        ACCEPTED = "accepted", "已采纳"
        DECLINED = "declined", "暂不采纳"
        DUPLICATE = "duplicate", "重复建议"

    number = models.CharField("建议编号", max_length=20, unique=True)
    kind = models.CharField("建议类型", max_length=8, choices=Kind.choices)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    title = models.CharField("一件事名称", max_length=128, blank=True)
    subject = models.CharField("服务对象", max_length=8, choices=Bundle.Subject.choices, blank=True)
    category = models.CharField(
        "情形类别", max_length=16, choices=Bundle.Category.choices, blank=True
    )
    items = models.ManyToManyField(
        "catalog.ServiceItem", blank=True, related_name="+", verbose_name="涉及事项"
    )
    items_text = models.CharField("其他事项或部门", max_length=500, blank=True)
    bundle = models.ForeignKey(
        "catalog.Bundle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name="要调整的一件事",
    )
    change = models.TextField("希望如何调整", blank=True)
    reason = models.TextField("理由")

    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
        verbose_name="建议人账户",
    )
    proposer_name = models.CharField("建议人姓名", max_length=64)
    phone = models.CharField("手机号码", max_length=11)
    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)

    # The outcome.
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="处理人",
    )
    outcome_note = models.CharField("处理意见", max_length=500, blank=True)
    department = models.ForeignKey(
        "catalog.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name="承办的牵头部门",
    )
    draft_bundle = models.ForeignKey(
        "catalog.Bundle",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="生成的一件事草稿",
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name="与之重复的建议",
    )

    class Meta:
        verbose_name = "民意征求建议"
        verbose_name_plural = "民意征求建议"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.headline}"

    @property
    def headline(self) -> str:
        if self.kind == self.Kind.NEW:
            return f"建议新增：{self.title}"
        return f"建议调整：{self.bundle.name if self.bundle_id and self.bundle else self.title}"
