from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.Model):
    """One entry of the append-only, hash-chained audit trail (全程留痕).

    ``hash`` covers this entry's content and the previous entry's hash, so changing or
    deleting any entry breaks every hash after it.
    """

    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人标识", max_length=128)
    verb = models.CharField("动作", max_length=64)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象编号", max_length=64)
    data = models.JSONField("内容", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "留痕事件"
        verbose_name_plural = "留痕事件"
        ordering = ["id"]
        # Each index is written on every append (a dozen events a submission): only those a
        # reader uses. The hash and the verb are compared whole, never by prefix, so neither
        # has PostgreSQL's second, pattern-matching index that unique=True or db_index=True
        # would add; the names are those the columns' indexes had before.
        indexes = [
            models.Index(fields=["target_type", "target_id", "id"]),
            models.Index(fields=["verb"], name="audit_event_verb_a7af3e69"),  # the admin's filter
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_event_hash_key")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb}"


class ChainHead(models.Model):
    """The single row that serialises appends to the chain: writers lock it, read the last
    hash, append, and move it forward, all in one transaction."""

    last_hash = models.CharField(max_length=64)
    length = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.length} events, head {self.last_hash[:12]}"
