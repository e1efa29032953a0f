"""The directory as shipped: the data items a district starts with, who provides them, their
fields, how they are obtained, their sharing class, the materials they stand in for and who
may use which fields for what. :func:`ensure_directory` writes it idempotently; an
administrator then points items at real registries (``DataItem.registry``) in the admin."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lianban.catalog.models import Department
from lianban.sharing.models import DataItem, DataUse, Registry

REFERENCE = "reference"

F = dict[str, str]


def _f(key: str, label: str, form_field: str = "") -> F:
    return {"key": key, "label": label, "form_field": form_field}


# (code, name, provider, method, class, fields, materials, licence type, issuing items,
#  uses: [(item code or "dept:<code>", fields, purpose)])
DIRECTORY: list[dict[str, Any]] = [
    {
        "code": "resident_identity",
        "name": "居民身份信息",
        "provider": "gaj",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("name", "姓名", "applicant_name"),
            _f("id_number", "公民身份号码", "applicant_id_number"),
            _f("gender", "性别"),
            _f("ethnicity", "民族"),
            _f("address", "住址", "applicant_address"),
        ],
        "materials": ["id_card"],
        "uses": [
            ("GAJ-001", ["name", "id_number", "gender", "address"], "出生登记核验监护人身份"),
            ("YBJ-001", ["name", "id_number"], "参保登记核验申请人身份"),
            ("RSJ-001", ["name", "id_number"], "社会保障卡申领核验身份"),
            ("dept:mzj", ["name", "id_number", "gender", "address"], "民政事项核验申请人身份"),
        ],
    },
    {
        "code": "household_registration",
        "name": "户籍信息",
        "provider": "gaj",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("household_number", "户号"),
            _f("head_name", "户主姓名"),
            _f("relation_to_head", "与户主关系"),
            _f("address", "户籍地址", "household_address"),
            _f("police_station", "户籍所在派出所"),
        ],
        "materials": ["household_register"],
        "uses": [
            (
                "GAJ-001",
                ["household_number", "head_name", "relation_to_head", "address", "police_station"],
                "出生登记随父（母）落户",
            ),
            ("YBJ-001", ["address"], "城乡居民医保按户籍地参保"),
            ("RSJ-001", ["address"], "社会保障卡申领核验户籍"),
            ("dept:mzj", ["household_number", "head_name", "address"], "民政事项核验户籍"),
        ],
    },
    {
        "code": "marriage_record",
        "name": "婚姻登记信息",
        "provider": "mzj",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("status", "婚姻状况"),
            _f("spouse_name", "配偶姓名", "spouse_name"),
            _f("spouse_id_number", "配偶公民身份号码"),
            _f("registered_on", "登记日期"),
            _f("certificate_number", "结婚证字号"),
        ],
        "materials": ["marriage_certificate"],
        "uses": [
            (
                "GAJ-001",
                ["status", "spouse_name", "spouse_id_number", "certificate_number"],
                "出生登记核验父母婚姻关系",
            ),
        ],
    },
    {
        "code": "real_estate",
        "name": "不动产登记信息",
        "provider": "bdc",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("cert_number", "不动产权证书号", "property_cert_number"),
            _f("address", "坐落", "property_address"),
            _f("area", "建筑面积（㎡）", "building_area"),
        ],
        "materials": ["property_certificate"],
        "uses": [("dept:bdc", ["cert_number", "address", "area"], "不动产登记与交易")],
    },
    {
        "code": "business_licence",
        "name": "营业执照信息",
        "provider": "scjgj",
        "method": DataItem.Method.BATCH,
        "class": DataItem.SharingClass.UNCONDITIONAL,
        "fields": [
            _f("name", "名称", "enterprise_name"),
            _f("credit_code", "统一社会信用代码", "credit_code"),
            _f("legal_representative", "法定代表人", "legal_rep_name"),
            _f("address", "住所", "business_address"),
        ],
        "materials": ["business_license"],
        "uses": [],
    },
    {
        "code": "social_insurance",
        "name": "社会保险参保信息",
        "provider": "rsj",
        "method": DataItem.Method.BATCH,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("ssc_number", "社会保障卡号", "ssc_number"),
            _f("status", "参保状态"),
            _f("employer", "参保单位"),
        ],
        "materials": [],
        "uses": [("dept:rsj", ["ssc_number", "status", "employer"], "社会保险经办")],
    },
    {
        "code": "vehicle_record",
        "name": "机动车登记信息",
        "provider": "gaj",
        "method": DataItem.Method.BATCH,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [
            _f("plate", "号牌号码", "vehicle_plate"),
            _f("vin", "车辆识别代号", "vehicle_vin"),
        ],
        "materials": ["vehicle_license"],
        "uses": [("dept:jtj", ["plate", "vin"], "道路运输经营核验车辆")],
    },
    {
        "code": "medical_record",
        "name": "诊疗病历",
        "provider": "wjw",
        "method": DataItem.Method.BATCH,
        "class": DataItem.SharingClass.NONE,
        "fields": [_f("summary", "病历摘要")],
        "materials": [],
        "uses": [],
    },
    # Electronic licences: results issued through the platform.
    {
        "code": "elicence_marriage",
        "name": "结婚证（电子证照）",
        "provider": "mzj",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.CONDITIONAL,
        "fields": [_f("identifier", "证照标识"), _f("number", "证号"), _f("title", "名称")],
        "materials": ["marriage_certificate"],
        "licence_type": "1101",
        "issuing_items": ["MZJ-009", "MZJ-010", "MZJ-011", "MZJ-012"],
        "uses": [("GAJ-001", ["identifier", "number", "title"], "出生登记核验父母婚姻关系")],
    },
    {
        "code": "elicence_food_business",
        "name": "食品经营许可证（电子证照）",
        "provider": "scjgj",
        "method": DataItem.Method.API,
        "class": DataItem.SharingClass.UNCONDITIONAL,
        "fields": [_f("identifier", "证照标识"), _f("number", "许可证编号"), _f("title", "名称")],
        "materials": [],
        "licence_type": "2101",
        "issuing_items": ["SCJGJ-002", "SCJGJ-003"],
        "uses": [],
    },
]


@transaction.atomic
def ensure_directory() -> int:
    """Write the shipped directory (items whose provider is not in the catalog are skipped);
    returns how many items were created. Existing items keep their registry, so a district's
    configuration survives."""
    reference, _ = Registry.objects.get_or_create(
        code=REFERENCE, defaults={"name": "平台参考库", "kind": Registry.Kind.REFERENCE}
    )
    departments = {d.code: d for d in Department.objects.all()}
    created = 0
    for entry in DIRECTORY:
        provider = departments.get(entry["provider"])
        if provider is None:
            continue
        item, made = DataItem.objects.get_or_create(
            code=entry["code"],
            defaults={
                "name": entry["name"],
                "provider": provider,
                "method": entry["method"],
                "sharing_class": entry["class"],
                "fields": entry["fields"],
                "registry": reference,
                "satisfies_materials": entry["materials"],
                "licence_type_code": entry.get("licence_type", ""),
                "issuing_items": entry.get("issuing_items", []),
            },
        )
        created += made
        if not made:
            continue
        for target, fields, purpose in entry["uses"]:
            department = None
            item_code = target
            if target.startswith("dept:"):
                department, item_code = departments.get(target[5:]), ""
                if department is None:
                    continue
            DataUse.objects.create(
                data_item=item,
                item_code=item_code,
                department=department,
                fields=fields,
                purpose=purpose,
            )
    return created
