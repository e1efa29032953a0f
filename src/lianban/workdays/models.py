from __future__ import annotations

from django.db import models


class CalendarOverride(models.Model):
    """An administrator's entry for one day, winning over the library: a holiday or a
    make-up working day the library does not (yet) know, or a correction."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假（非工作日）"
        WORKDAY = "workday", "调休上班（工作日）"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    name = models.CharField("名称", max_length=64, help_text="例如：春节、国庆节调休")
    source = models.CharField(
        "依据",
        max_length=200,
        blank=True,
        help_text="例如：国务院办公厅关于2027年部分节假日安排的通知",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class PublishedYear(models.Model):
    """A year whose whole schedule the administrator has entered as overrides, so its dates
    are no longer provisional even though the library does not know it."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "已公布年度安排"
        verbose_name_plural = "已公布年度安排"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
