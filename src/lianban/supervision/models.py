"""电子监察: the monthly rollup of the figures (kept current by ``lianban refresh_figures``),
the state of that refresh, and the bulletins (通报) issued from it.

The figures are defined in docs/supervision.md; :mod:`lianban.supervision.rollup` computes
them from the applications, cases and clocks, and nothing else writes these tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lianban.catalog.models import Bundle, Department


class CaseFigure(models.Model):
    """Counts of item cases for one month, 一件事, department, receiving window and clerk.
    Each count belongs to the month of its own date (see docs/supervision.md)."""

    month = models.DateField("月份")  # the first day of the month
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    window = models.CharField("收件窗口", max_length=32, blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    dispatched = models.PositiveIntegerField("办件量", default=0)
    cancelled = models.PositiveIntegerField("已取消", default=0)
    concluded = models.PositiveIntegerField("已办结", default=0)
    acceptance_decided = models.PositiveIntegerField("受理审查完成", default=0)
    refused = models.PositiveIntegerField("不予受理", default=0)
    decided = models.PositiveIntegerField("已决定", default=0)
    decided_on_time = models.PositiveIntegerField("按时决定", default=0)

    class Meta:
        verbose_name = "办件统计"
        verbose_name_plural = "办件统计"
        indexes = [models.Index(fields=["month", "department"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_id}"


class IntakeFigure(models.Model):
    """Counts of applications for one month, 一件事, receiving window and clerk."""

    month = models.DateField("月份")
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="+")
    window = models.CharField("收件窗口", max_length=32, blank=True)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    received = models.PositiveIntegerField("收件量", default=0)
    online_answered = models.PositiveIntegerField("网上申请已答复", default=0)
    online_on_time = models.PositiveIntegerField("网上申请按时答复", default=0)

    class Meta:
        verbose_name = "收件统计"
        verbose_name_plural = "收件统计"
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.window}"


class FigureState(models.Model):
    """The one row that says how far the rollup has read the audit trail. Every refresh
    locks it first, so two workers refreshing at once run one after the other."""

    last_event_id = models.BigIntegerField("已读至事件", null=True)
    refreshed_at = models.DateTimeField("统计时间", null=True)
    months_refreshed = models.PositiveIntegerField("上次重算月份数", default=0)

    class Meta:
        verbose_name = "统计状态"
        verbose_name_plural = "统计状态"

    def __str__(self) -> str:
        return f"{self.refreshed_at}"


class Bulletin(models.Model):
    """通报: the sealed PDF of one month's figures and rankings, as issued; kept."""

    month = models.DateField("月份")
    number = models.CharField("文书编号", max_length=64, unique=True)
    figures = models.JSONField("数据")
    figures_as_of = models.DateTimeField("数据截至", null=True)
    document = models.OneToOneField(
        "signing.IssuedDocument", on_delete=models.PROTECT, related_name="bulletin"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("签发时间")

    class Meta:
        verbose_name = "监察通报"
        verbose_name_plural = "监察通报"
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number
