"""系统接入: the department systems (业务审批系统) that use the API, their credentials and
access tokens, the log of their calls, idempotency records, and webhook subscriptions with
their outbox of deliveries and the attempts made on each."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from lianban.catalog.models import Department


class Scope(models.TextChoices):
    CASES_READ = "cases:read", "读取本部门办件"
    CASES_ACT = "cases:act", "办理本部门办件（受理、决定、上传结果等）"
    MATERIALS_READ = "materials:read", "下载本部门办件的申请材料"
    WEBHOOKS_MANAGE = "webhooks:manage", "管理事件订阅"
    NODE_FORWARD = "node:forward", "下级平台转送办件（仅限平台节点）"


class ClientSystem(models.Model):
    """A department's own approval system, or another lianban node (a district platform
    that forwards cases here). It acts through its service account, which cannot sign in:
    a department system's is a reviewer of its department, so that the case services and
    the audit trail treat it like any reviewer; a node's is the window that hands its
    forwarded applications in."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", "部门业务审批系统"
        NODE = "node", "下级联办平台"

    name = models.CharField("系统名称", max_length=100)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.DEPARTMENT)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="client_systems",
        verbose_name="部门",
        null=True,
        blank=True,
        help_text="部门业务审批系统所属的部门；下级联办平台不属于某一部门。",
    )
    client_id = models.CharField("客户端标识", max_length=40, unique=True)
    scopes = models.JSONField("权限范围", default=list)
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="client_system",
        verbose_name="服务账户",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "接入系统"
        verbose_name_plural = "接入系统"
        ordering = ["department__code", "name"]

    def __str__(self) -> str:
        return (
            f"{self.name}（{self.department.name if self.department else self.get_kind_display()}）"
        )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(s).label if s in Scope.values else s for s in self.scopes]


class ClientCredential(models.Model):
    """One client secret. Only its SHA-256 is kept (the secret is 256 random bits, so a
    fast hash is enough); rotating adds a new one, revoking ends one at once."""

    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="credentials")
    secret_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField("密钥末四位", max_length=4)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = "客户端密钥"
        verbose_name_plural = "客户端密钥"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"…{self.hint}"


class AccessToken(models.Model):
    """An opaque bearer token from the client-credentials grant, kept as its SHA-256. Every
    request reads it with its credential and client, so revoking either ends it at once."""

    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="tokens")
    credential = models.ForeignKey(
        ClientCredential, on_delete=models.CASCADE, related_name="tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "访问令牌"
        verbose_name_plural = "访问令牌"

    def __str__(self) -> str:
        return f"{self.client_id} 至 {self.expires_at:%Y-%m-%d %H:%M}"


class ApiCall(models.Model):
    """One API call of a department system, reads included (who read which case when)."""

    client = models.ForeignKey(
        ClientSystem,
        on_delete=models.CASCADE,
        related_name="calls",
        null=True,
        blank=True,
        db_index=False,
    )
    presented_client_id = models.CharField("出示的客户端标识", max_length=80, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status_code = models.PositiveSmallIntegerField()
    case_id = models.BigIntegerField("办件", null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "接口调用记录"
        verbose_name_plural = "接口调用记录"
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"


class IdempotencyRecord(models.Model):
    """The response a command gave under an ``Idempotency-Key``, per client, replayed when
    the same key comes again with the same request."""

    # Indexed by the unique (client, key) below.
    client = models.ForeignKey(
        ClientSystem, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField()
    etag = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="one_record_per_client_key")
        ]

    def __str__(self) -> str:
        return self.key


class Subscription(models.Model):
    """A department system's subscription to case events of its department, delivered to
    ``url`` and signed with ``secret`` (kept as is: the platform must sign with it)."""

    client = models.ForeignKey(ClientSystem, on_delete=models.CASCADE, related_name="subscriptions")
    url = models.URLField("接收地址", max_length=300)
    event_types = models.JSONField("事件类型", default=list)
    secret = models.CharField("签名密钥", max_length=80)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    disabled_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "事件订阅"
        verbose_name_plural = "事件订阅"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        from lianban.integration.outbox import EVENT_TYPES

        return [EVENT_TYPES.get(t, t) for t in self.event_types]


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row, written in the transaction of the
    change it reports. A worker claims it with a lease, so that a worker that dies
    mid-delivery leaves it to be delivered again once the lease has run out."""

    class Status(models.TextChoices):
        PENDING = "pending", "待投递"
        DELIVERED = "delivered", "已投递"
        FAILED = "failed", "投递失败（已停止重试）"

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    event_id = models.UUIDField("事件标识", default=uuid.uuid4)
    event_type = models.CharField("事件类型", max_length=40)
    case_id = models.BigIntegerField("办件", null=True, blank=True)
    body = models.TextField("内容")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("投递次数", default=0)
    # The retry window (at least 24 hours) and the backoff count from the first queueing,
    # or from the supervisor's manual resend.
    retry_since = models.DateTimeField("本轮重试开始")
    failures = models.PositiveSmallIntegerField("本轮失败次数", default=0)
    next_attempt_at = models.DateTimeField("下次投递时间")
    lease_until = models.DateTimeField("占用至", null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField("创建时间")
    delivered_at = models.DateTimeField("投递成功时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "事件投递"
        verbose_name_plural = "事件投递"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="one_delivery_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def event_label(self) -> str:
        from lianban.integration.outbox import EVENT_TYPES

        return EVENT_TYPES.get(self.event_type, self.event_type)


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField("第几次")
    started_at = models.DateTimeField("开始时间")
    # Empty until the answer is recorded: the attempt is entered before the post, so one whose
    # worker died mid-post stays on record as unfinished.
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", null=True, blank=True)
    status_code = models.PositiveSmallIntegerField("响应状态码", null=True, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "投递尝试"
        verbose_name_plural = "投递尝试"
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"


# ---- Upstream nodes (互联互通, 操作规程 第十二条) ------------------------------------------------


class ForwardedApplication(models.Model):
    """On the upstream node: an application a lower node forwarded here for one of its
    items, and where it came from, so that the case's events go back to that node only."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="forwarded_from"
    )
    client = models.ForeignKey(
        ClientSystem,
        on_delete=models.PROTECT,
        related_name="forwarded_applications",
        db_index=False,
    )
    origin_receipt_number = models.CharField("原收件编号", max_length=20)
    origin_case_id = models.BigIntegerField("原办件编号")
    created_at = models.DateTimeField("转入时间", auto_now_add=True)

    class Meta:
        verbose_name = "下级平台转入申请"
        verbose_name_plural = "下级平台转入申请"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "origin_case_id"], name="one_forwarded_application_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client.name} {self.origin_receipt_number}"


class UpstreamNode(models.Model):
    """On the district node: a city or province lianban that handles some departments'
    items (level B or A). The district is a client system there (``client_id`` and
    ``client_secret``, kept as given because they must be presented) and subscribes to the
    events of the cases it forwarded, signed with ``events_secret``."""

    code = models.SlugField("节点代码", max_length=32, unique=True)
    name = models.CharField("平台名称", max_length=100)
    base_url = models.URLField(
        "接口地址", max_length=300, help_text="如 https://city.example.gov.cn/api/v1"
    )
    client_id = models.CharField("客户端标识", max_length=40)
    client_secret = models.CharField("客户端密钥", max_length=80)
    events_secret = models.CharField("事件签名密钥", max_length=80, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    disabled_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "上级平台"
        verbose_name_plural = "上级平台"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class NodeRoute(models.Model):
    """The route table: every case of ``department`` is forwarded to ``node``. The route's
    service account (a reviewer of the department who cannot sign in) carries the
    upstream node's decisions into the local case, so the case services and the audit
    trail name who acted."""

    node = models.ForeignKey(UpstreamNode, on_delete=models.PROTECT, related_name="routes")
    department = models.OneToOneField(
        Department, on_delete=models.PROTECT, related_name="node_route", verbose_name="部门"
    )
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="node_route"
    )

    class Meta:
        verbose_name = "转送路由"
        verbose_name_plural = "转送路由"

    def __str__(self) -> str:
        return f"{self.department.name} → {self.node.name}"


class Forwarding(models.Model):
    """One case sent to its upstream node: the outbox row written in the dispatching
    transaction, sent by a worker with a lease (as webhooks are), then the link between the
    local case and the upstream one."""

    class Status(models.TextChoices):
        PENDING = "pending", "待转送"
        FORWARDED = "forwarded", "已转送"
        FAILED = "failed", "转送失败（已停止重试）"

    case = models.OneToOneField(
        "cases.ItemCase", on_delete=models.PROTECT, related_name="forwarding"
    )
    route = models.ForeignKey(NodeRoute, on_delete=models.PROTECT, related_name="forwardings")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    upstream_case_id = models.BigIntegerField("上级办件编号", null=True, blank=True)
    upstream_receipt_number = models.CharField("上级收件编号", max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField("转送次数", default=0)
    next_attempt_at = models.DateTimeField("下次转送时间")
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间")
    forwarded_at = models.DateTimeField("转送时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件转送"
        verbose_name_plural = "办件转送"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.route.node.code}"


class MirroredEvent(models.Model):
    """An upstream case event applied to the local case, by its event id: a delivery that
    comes again (the upstream retries until it hears 2xx) is acknowledged, not re-applied."""

    forwarding = models.ForeignKey(Forwarding, on_delete=models.CASCADE, related_name="events")
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField("上级发生时间")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = "上级办件事件"
        verbose_name_plural = "上级办件事件"
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
