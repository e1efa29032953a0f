from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """A message queued for a person, written in the same transaction as the change it
    reports, so nothing is announced that did not happen and nothing happens unannounced."""

    class Channel(models.TextChoices):
        INBOX = "inbox", "站内消息"
        SMS = "sms", "短信"

    class Status(models.TextChoices):
        QUEUED = "queued", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="接收人",
        null=True,
        blank=True,
        db_index=False,  # the (recipient, read at) index below starts with it
    )
    # SMS goes to a phone number: applicants taken at the window may have no account.
    phone = models.CharField("手机号码", max_length=11, blank=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices, default=Channel.INBOX)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["channel", "status"]),
        ]

    def __str__(self) -> str:
        return self.subject
