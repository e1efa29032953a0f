"""The catalog: departments, service items, bundles (一件事) and their versions.

The relational rows are the editable working copy. What applicants and cases use is a
:class:`BundleVersion`: a frozen snapshot of one bundle with every item's details, made when
the lead department submits the bundle for 备案 and immutable once published, so that an
application keeps exactly the rules it was made under.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class Department(models.Model):
    """A government department (部门), or the supervising bureau (政务大数据局)."""

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    is_supervisor = models.BooleanField("政务大数据局", default=False)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A canonical material type (申请材料), shared by every item that needs it."""

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    description = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Field(models.Model):
    """A canonical form field (表单字段), asked once however many items need it."""

    class Type(models.TextChoices):
        TEXT = "text", "文本"
        TEXTAREA = "textarea", "多行文本"
        INTEGER = "integer", "整数"
        DECIMAL = "decimal", "数值"
        DATE = "date", "日期"
        CHOICE = "choice", "单选"
        MULTICHOICE = "multichoice", "多选"
        BOOLEAN = "boolean", "是否"
        ID_NUMBER = "id_number", "居民身份证号码"
        CREDIT_CODE = "credit_code", "统一社会信用代码"
        PHONE = "phone", "手机号码"
        ADDRESS = "address", "地址"
        EMAIL = "email", "电子邮箱"

    key = models.SlugField("键", max_length=64, unique=True)
    label = models.CharField("名称", max_length=128)
    type = models.CharField("类型", max_length=16, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField("默认必填", default=True)
    help = models.CharField("填写说明", max_length=300, blank=True)
    unit = models.CharField("单位", max_length=16, blank=True)
    choices = models.JSONField(
        "选项",
        default=list,
        blank=True,
        help_text='单选、多选的选项：[{"key": "...", "label": "..."}]',
    )

    class Meta:
        verbose_name = "表单字段"
        verbose_name_plural = "表单字段"
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.type in {self.Type.CHOICE, self.Type.MULTICHOICE} and not self.choices:
            raise ValidationError({"choices": "单选、多选字段必须列出选项。"})


class ServiceItem(models.Model):
    """A government service item (政务服务事项), handled by one department."""

    class HandlingForm(models.TextChoices):
        IMMEDIATE = "即办件", "即办件"
        PROMISED = "承诺件", "承诺件"

    code = models.CharField("事项编码", max_length=32, unique=True)
    name = models.CharField("事项名称", max_length=200)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="service_items", verbose_name="办理部门"
    )
    handling_form = models.CharField(
        "办件类型", max_length=8, choices=HandlingForm.choices, default=HandlingForm.PROMISED
    )
    statutory_limit_days = models.PositiveSmallIntegerField("法定时限（工作日）")
    promised_limit_days = models.PositiveSmallIntegerField("承诺时限（工作日）")
    fee = models.CharField("收费标准", max_length=200, default="不收费")
    legal_basis = models.TextField("设定依据", blank=True)
    conditions = models.TextField("申请条件", blank=True)
    review_points = models.JSONField("审查要点", default=list, blank=True)
    is_example = models.BooleanField(
        "示例数据", default=True, help_text="材料、时限、收费、依据等为示例，待牵头部门确认。"
    )
    materials: models.ManyToManyField[Material, ItemMaterial] = models.ManyToManyField(
        Material, through="ItemMaterial", related_name="items"
    )
    fields: models.ManyToManyField[Field, ItemField] = models.ManyToManyField(
        Field, through="ItemField", related_name="items"
    )

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["name", "department"], name="item_name_department"),
            models.CheckConstraint(
                condition=models.Q(promised_limit_days__lte=models.F("statutory_limit_days")),
                name="promised_within_statutory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.department.name}）"


class ItemMaterial(models.Model):
    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="item_materials", db_index=False
    )
    material = models.ForeignKey(Material, on_delete=models.PROTECT, verbose_name="材料")
    secondary = models.BooleanField(
        "次要材料", default=False, help_text="次要材料可容缺受理：申请人书面承诺后补交。"
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "事项材料"
        verbose_name_plural = "事项材料"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "material"], name="item_material")]

    def __str__(self) -> str:
        return f"{self.item.name} / {self.material.name}"


class ItemField(models.Model):
    item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="item_fields", db_index=False
    )
    field = models.ForeignKey(Field, on_delete=models.PROTECT, verbose_name="字段")
    required = models.BooleanField("必填", default=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "事项字段"
        verbose_name_plural = "事项字段"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "field"], name="item_field")]

    def __str__(self) -> str:
        return f"{self.item.name} / {self.field.label}"


class Bundle(models.Model):
    """一件事: what a person or a company wants done, behind which stand several items."""

    class Subject(models.TextChoices):
        NATURAL = "natural", "个人"
        LEGAL = "legal", "法人及其他组织"

    class Category(models.TextChoices):
        BIRTH = "birth", "出生"
        EDUCATION = "education", "入学"
        EMPLOYMENT = "employment", "就业"
        HOUSING = "housing", "住房置业"
        MARRIAGE = "marriage", "婚姻"
        ADOPTION = "adoption", "收养"
        RETIREMENT = "retirement", "退休养老"
        FUNERAL = "funeral", "身后事"
        IDENTITY = "identity", "户籍身份"
        WORK_INJURY = "work_injury", "工伤"
        ESTABLISH = "establish", "设立开办"
        OPERATE = "operate", "经营"
        EXIT = "exit", "注销退出"

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=128)
    lead_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="led_bundles", verbose_name="牵头部门"
    )
    subject = models.CharField("服务对象", max_length=8, choices=Subject.choices)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    summary = models.TextField("简介", blank=True)
    printed_numbers = models.JSONField(
        "目录序号", default=list, blank=True, help_text="事项目录中印刷的序号。"
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)
    exclusive_groups = models.JSONField(
        "互斥事项组",
        default=list,
        blank=True,
        help_text='不能同时办理的事项编码组，例如 [["A", "B"]]。',
    )

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Situation(models.Model):
    """情形: a question whose answer selects which items apply."""

    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, related_name="situations", db_index=False
    )
    key = models.SlugField("键", max_length=64)
    text = models.CharField("问题", max_length=200)
    multiple = models.BooleanField("可多选", default=False)
    ask_when = models.JSONField(
        "提问条件",
        default=dict,
        blank=True,
        help_text='仅当此前回答满足时提问，例如 {"age": ["under18"]}。',
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "情形"
        verbose_name_plural = "情形"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "key"], name="situation_key")]

    def __str__(self) -> str:
        return self.text


class SituationOption(models.Model):
    situation = models.ForeignKey(
        Situation, on_delete=models.CASCADE, related_name="options", db_index=False
    )
    key = models.SlugField("键", max_length=64)
    label = models.CharField("选项", max_length=128)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "情形选项"
        verbose_name_plural = "情形选项"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["situation", "key"], name="option_key")]

    def __str__(self) -> str:
        return self.label


class BundleItem(models.Model):
    """One printed row of the catalog: an item within a bundle, with the level and note
    printed for it there (the seed prints different levels for one item in different
    bundles), the answers under which it applies, and the items it must wait for."""

    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, related_name="bundle_items", db_index=False
    )
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="bundle_items", verbose_name="联办事项"
    )
    position = models.PositiveSmallIntegerField("顺序", default=0)
    levels = models.CharField("层级", max_length=32, blank=True)
    note = models.CharField("备注", max_length=64, blank=True)
    when = models.JSONField(
        "适用情形", default=dict, blank=True, help_text='例如 {"area": ["lt50"]}；空表示总是适用。'
    )
    after = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="before", verbose_name="前置事项"
    )

    class Meta:
        verbose_name = "联办事项"
        verbose_name_plural = "联办事项"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item")]

    def __str__(self) -> str:
        return f"{self.bundle.name} / {self.item.name}"


class BundleVersion(models.Model):
    """A numbered, frozen definition of one bundle, on its way through 备案 to publication."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交备案"
        RETURNED = "returned", "已退回"
        WITHDRAWN = "withdrawn", "已撤回"
        RECORDED = "recorded", "已备案"
        PUBLISHED = "published", "已发布"
        SUPERSEDED = "superseded", "已被新版本取代"

    bundle = models.ForeignKey(
        Bundle, on_delete=models.PROTECT, related_name="versions", db_index=False
    )
    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    snapshot = models.JSONField("内容")
    digest = models.CharField("内容摘要", max_length=64)
    change_note = models.CharField("修改说明", max_length=300, blank=True)
    return_reason = models.CharField("退回理由", max_length=300, blank=True)
    submitted_at = models.DateTimeField("提交时间")
    submitted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("备案时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    class Meta:
        verbose_name = "一件事版本"
        verbose_name_plural = "一件事版本"
        ordering = ["bundle", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "number"], name="bundle_version_number"),
            # At most one version of a bundle is in force at a time.
            models.UniqueConstraint(
                fields=["bundle"],
                condition=models.Q(status="published"),
                name="one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle.name} 第{self.number}版（{self.get_status_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A version's content never changes after it is made; only its status moves.
        self.digest = snapshot_digest(self.snapshot)
        if self.pk is not None:
            stored = BundleVersion.objects.filter(pk=self.pk).values("digest").first()
            if stored is not None and stored["digest"] != self.digest:
                raise ValidationError("已提交的版本内容不可修改，请编辑草稿后重新提交备案。")
        super().save(*args, **kwargs)


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
