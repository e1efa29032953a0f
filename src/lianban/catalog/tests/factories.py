"""Factories for catalog rows. ``restaurant_bundle()`` builds a small 我要开饭店-like bundle
with situations, an exclusive pair and a dependency, for tests that need the mechanics
rather than the first batch's data."""

from __future__ import annotations

import factory

from lianban.accounts.models import User
from lianban.catalog.models import (
    Bundle,
    BundleItem,
    Department,
    Field,
    ItemField,
    ItemMaterial,
    Material,
    ServiceItem,
    Situation,
    SituationOption,
)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"测试局{n}")


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"material{n}")
    name = factory.Sequence(lambda n: f"材料{n}")


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"field{n}")
    label = factory.Sequence(lambda n: f"字段{n}")
    type = Field.Type.TEXT


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T-{n:03d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    department = factory.SubFactory(DepartmentFactory)
    statutory_limit_days = 20
    promised_limit_days = 10

    @factory.post_generation
    def materials(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        for pos, spec in enumerate(extracted or []):
            material, secondary = spec if isinstance(spec, tuple) else (spec, False)
            ItemMaterial.objects.create(
                item=self, material=material, secondary=secondary, position=pos
            )

    @factory.post_generation
    def fields(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        for pos, field in enumerate(extracted or []):
            ItemField.objects.create(item=self, field=field, required=field.required, position=pos)


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle

    code = factory.Sequence(lambda n: f"bundle-{n}")
    name = factory.Sequence(lambda n: f"测试一件事{n}")
    lead_department = factory.SubFactory(DepartmentFactory)
    subject = Bundle.Subject.LEGAL
    category = Bundle.Category.ESTABLISH


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.APPLICANT

    class Params:
        supervisor = factory.Trait(role=User.Role.SUPERVISOR, is_staff=True)
        editor = factory.Trait(role=User.Role.EDITOR, is_staff=True)


def add_situation(
    bundle: Bundle,
    key: str,
    text: str,
    options: list[tuple[str, str]],
    *,
    multiple: bool = False,
    ask_when: dict | None = None,
) -> Situation:
    situation = Situation.objects.create(
        bundle=bundle,
        key=key,
        text=text,
        multiple=multiple,
        ask_when=ask_when or {},
        position=bundle.situations.count(),
    )
    for pos, (okey, label) in enumerate(options):
        SituationOption.objects.create(situation=situation, key=okey, label=label, position=pos)
    return situation


def add_item(
    bundle: Bundle,
    item: ServiceItem,
    *,
    when: dict | None = None,
    after: list[BundleItem] | None = None,
    levels: str = "C",
    note: str = "",
) -> BundleItem:
    row = BundleItem.objects.create(
        bundle=bundle,
        item=item,
        when=when or {},
        levels=levels,
        note=note,
        position=bundle.bundle_items.count(),
    )
    for prereq in after or []:
        row.after.add(prereq)
    return row


def restaurant_bundle() -> Bundle:
    """我要开饭店 in miniature: area decides 小经营店登记 vs 食品经营许可 (exclusive) and
    fire safety; a shop sign adds the outdoor-advertising item; the licence waits for the
    business-licence item."""
    market = DepartmentFactory(code="scjgj", name="区市场监管局")
    fire = DepartmentFactory(code="xfzd", name="消防救援支队")
    city = DepartmentFactory(code="cgj", name="城管局")
    id_card = MaterialFactory(code="id_card", name="申请人居民身份证")
    lease = MaterialFactory(code="lease", name="经营场所租赁合同")
    plan = MaterialFactory(code="floor_plan", name="经营场所平面图")
    sign_design = MaterialFactory(code="sign_design", name="门头设计效果图")
    name = FieldFactory(key="applicant_name", label="申请人姓名")
    area = FieldFactory(key="business_area", label="经营面积", type=Field.Type.DECIMAL, unit="㎡")
    phone = FieldFactory(key="applicant_phone", label="联系电话", type=Field.Type.PHONE)
    bundle = BundleFactory(code="restaurant", name="我要开饭店", lead_department=market)
    add_situation(
        bundle,
        "area",
        "经营场所面积是多少？",
        [("lt50", "50㎡以下"), ("50to100", "50㎡至100㎡"), ("ge100", "100㎡以上")],
    )
    add_situation(bundle, "sign", "是否设置门头招牌？", [("yes", "设置"), ("no", "不设置")])
    licence_base = add_item(
        bundle,
        ServiceItemFactory(
            code="SCJGJ-001",
            name="营业执照登记",
            department=market,
            promised_limit_days=3,
            statutory_limit_days=15,
            materials=[id_card, lease],
            fields=[name, phone],
        ),
    )
    add_item(
        bundle,
        ServiceItemFactory(
            code="SCJGJ-002",
            name="食品经营许可核发",
            department=market,
            promised_limit_days=10,
            materials=[id_card, (lease, True), plan],
            fields=[name, area, phone],
        ),
        when={"area": ["50to100", "ge100"]},
        after=[licence_base],
        note="（不含保健品）",
    )
    add_item(
        bundle,
        ServiceItemFactory(
            code="SCJGJ-003",
            name="食品小经营店登记",
            department=market,
            promised_limit_days=5,
            materials=[id_card, (lease, True)],
            fields=[name, area],
        ),
        when={"area": ["lt50"]},
        note="50㎡以下",
    )
    add_item(
        bundle,
        ServiceItemFactory(
            code="XFZD-001",
            name="公众聚集场所投入使用、营业前消防安全检查",
            department=fire,
            promised_limit_days=8,
            materials=[id_card, plan],
            fields=[name, area],
        ),
        when={"area": ["ge100"]},
        note="100㎡以上",
        levels="BC",
    )
    add_item(
        bundle,
        ServiceItemFactory(
            code="CGJ-001",
            name="设置大型户外广告审批",
            department=city,
            promised_limit_days=5,
            materials=[id_card, sign_design],
            fields=[name],
        ),
        when={"sign": ["yes"]},
        note="装门头",
    )
    bundle.exclusive_groups = [["SCJGJ-002", "SCJGJ-003"]]
    bundle.save()
    return bundle
