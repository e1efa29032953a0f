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

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_supervisor(self) -> bool:
        return self.is_superuser or self.role == self.Role.SUPERVISOR
