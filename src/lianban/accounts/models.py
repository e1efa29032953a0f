from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: an applicant, or staff in one of the platform's roles."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", "申请人"
        CLERK = "clerk", "窗口人员"
        REVIEWER = "reviewer", "联办部门审批人员"
        EDITOR = "editor", "牵头部门事项编辑"
        SUPERVISOR = "supervisor", "政务大数据局"

    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.APPLICANT)
    department = models.ForeignKey(
        "catalog.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text="联办部门审批人员和牵头部门事项编辑所属的部门。",
    )
    display_name = models.CharField("姓名", max_length=64, blank=True)
    window = models.CharField(
        "窗口", max_length=32, blank=True, help_text="窗口人员所在的综合窗口，如“3号综合窗口”。"
    )

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_supervisor(self) -> bool:
        return self.is_superuser or self.role == self.Role.SUPERVISOR

    @property
    def is_person(self) -> bool:
        """False for a department system's service account (lianban.integration), which
        acts for its department and signs nothing personally."""
        return not hasattr(self, "client_system") and not hasattr(self, "node_route")

    @property
    def mirrors_upstream(self) -> bool:
        """True for the account that carries an upstream node's decisions into the local
        cases of a routed department (lianban.integration): the upstream department issued
        the notices and results, so nothing is issued again here."""
        return hasattr(self, "node_route")


class Applicant(models.Model):
    """申请人: a natural person or a legal person, with or without an online account (a
    clerk may take an application at the window for someone who has none)."""

    class Kind(models.TextChoices):
        NATURAL = "natural", "自然人"
        LEGAL = "legal", "法人及其他组织"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    name = models.CharField("姓名或名称", max_length=128)
    id_number = models.CharField("居民身份证号码", max_length=18, blank=True, db_index=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)
    legal_representative_id = models.CharField("法定代表人身份证号码", max_length=18, blank=True)
    phone = models.CharField("手机号码", max_length=11)
    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applicant",
        verbose_name="网上账户",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "申请人"
        verbose_name_plural = "申请人"
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~models.Q(id_number=""),
                name="applicant_unique_id_number",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="applicant_unique_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_identifier}）"

    @property
    def identifier(self) -> str:
        return self.id_number if self.kind == self.Kind.NATURAL else self.credit_code

    @property
    def masked_identifier(self) -> str:
        return self.mask(self.kind, self.id_number, self.credit_code)

    @staticmethod
    def mask(kind: str, id_number: str, credit_code: str) -> str:
        """What :attr:`masked_identifier` shows, from the columns alone (for lists read as
        rows, without an instance per applicant)."""
        from lianban.common.identity import mask_credit_code, mask_resident_id

        if kind == Applicant.Kind.NATURAL:
            return mask_resident_id(id_number)
        return mask_credit_code(credit_code)

    @property
    def masked_phone(self) -> str:
        from lianban.common.identity import mask_phone

        return mask_phone(self.phone)
