"""Loading a catalog data file (YAML, see ``data/first_batch.yaml``) into the working copy,
and publishing each bundle through the same services an editor and the supervisor use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from lianban.catalog import services
from lianban.catalog.models import (
    Bundle,
    BundleItem,
    BundleVersion,
    Department,
    Field,
    ItemField,
    ItemMaterial,
    Material,
    ServiceItem,
    Situation,
    SituationOption,
    snapshot_digest,
)
from lianban.catalog.snapshot import bundle_snapshot
from lianban.common.errors import DomainError

FIRST_BATCH = Path(__file__).parent / "data" / "first_batch.yaml"


class CatalogFileError(DomainError):
    pass


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read(path: Path = FIRST_BATCH) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogFileError(f"无法读取目录文件 {path}：{exc}") from exc
    if not isinstance(data, dict):
        raise CatalogFileError(f"目录文件 {path} 的顶层应为对象。")
    for key in ("departments", "materials", "fields", "items", "bundles"):
        if not isinstance(data.get(key), list):
            raise CatalogFileError(f"目录文件 {path} 缺少列表“{key}”。", path=key)
    return data


def _require(entry: dict[str, Any], path: str, *keys: str) -> None:
    for key in keys:
        if entry.get(key) in (None, ""):
            raise CatalogFileError(f"目录文件 {path} 缺少“{key}”。", path=f"{path}.{key}")


@transaction.atomic
def load(data: dict[str, Any], *, replace: bool = False) -> LoadReport:
    """Create the departments, materials, fields, items and bundles the file describes.

    Existing rows are left as they are (an administrator may have edited them) unless
    ``replace``; each bundle whose working copy differs from its version in force is then
    submitted, recorded and published as a new version by the system."""
    report = LoadReport()
    departments: dict[str, Department] = {}
    for n, d in enumerate(data["departments"]):
        _require(d, f"departments[{n}]", "code", "name")
        obj, _ = Department.objects.update_or_create(
            code=d["code"],
            defaults={"name": d["name"], "is_supervisor": bool(d.get("supervisor", False))},
        )
        departments[d["code"]] = obj

    materials: dict[str, Material] = {}
    for n, m in enumerate(data["materials"]):
        _require(m, f"materials[{n}]", "code", "name")
        defaults = {"name": m["name"], "description": m.get("description", "")}
        materials[m["code"]] = _upsert(Material, {"code": m["code"]}, defaults, replace)

    fields: dict[str, Field] = {}
    for n, f in enumerate(data["fields"]):
        _require(f, f"fields[{n}]", "key", "label", "type")
        if f["type"] not in Field.Type.values:
            raise CatalogFileError(
                f"字段“{f['key']}”的类型“{f['type']}”无效。", path=f"fields[{n}].type"
            )
        defaults = {
            "label": f["label"],
            "type": f["type"],
            "required": bool(f.get("required", True)),
            "help": f.get("help", ""),
            "unit": f.get("unit", ""),
            "choices": f.get("choices") or [],
        }
        fields[f["key"]] = _upsert(Field, {"key": f["key"]}, defaults, replace)

    items: dict[str, ServiceItem] = {}
    for n, i in enumerate(data["items"]):
        path = f"items[{n}]"
        _require(
            i, path, "code", "name", "department", "statutory_limit_days", "promised_limit_days"
        )
        if i["department"] not in departments:
            raise CatalogFileError(
                f"事项“{i['name']}”的部门“{i['department']}”未定义。", path=f"{path}.department"
            )
        exists = ServiceItem.objects.filter(code=i["code"]).first()
        if exists is not None and not replace:
            items[i["code"]] = exists
            continue
        item, _ = ServiceItem.objects.update_or_create(
            code=i["code"],
            defaults={
                "name": i["name"],
                "department": departments[i["department"]],
                "handling_form": i.get("handling_form", ServiceItem.HandlingForm.PROMISED),
                "statutory_limit_days": i["statutory_limit_days"],
                "promised_limit_days": i["promised_limit_days"],
                "fee": i.get("fee", "不收费"),
                "legal_basis": i.get("legal_basis", ""),
                "conditions": i.get("conditions", ""),
                "review_points": list(i.get("review_points") or []),
                "is_example": bool(i.get("example", True)),
            },
        )
        item.item_materials.all().delete()
        for pos, m in enumerate(i.get("materials") or []):
            if m["material"] not in materials:
                raise CatalogFileError(
                    f"事项“{i['name']}”的材料“{m['material']}”未定义。",
                    path=f"{path}.materials[{pos}]",
                )
            ItemMaterial.objects.create(
                item=item,
                material=materials[m["material"]],
                secondary=bool(m.get("secondary", False)),
                position=pos,
            )
        item.item_fields.all().delete()
        for pos, key in enumerate(i.get("fields") or []):
            if key not in fields:
                raise CatalogFileError(
                    f"事项“{i['name']}”的字段“{key}”未定义。", path=f"{path}.fields[{pos}]"
                )
            ItemField.objects.create(
                item=item, field=fields[key], required=fields[key].required, position=pos
            )
        items[i["code"]] = item

    bundles: list[Bundle] = []
    for n, b in enumerate(data["bundles"]):
        path = f"bundles[{n}]"
        _require(b, path, "code", "name", "lead_department", "subject", "category", "items")
        bundle = Bundle.objects.filter(code=b["code"]).first()
        if bundle is not None and not replace:
            report.skipped.append(b["code"])
            bundles.append(bundle)
            continue
        bundles.append(_load_bundle(b, n, path, departments, items))
        report.created.append(b["code"])

    for bundle in bundles:
        current = BundleVersion.objects.filter(
            bundle=bundle, status=BundleVersion.Status.PUBLISHED
        ).first()
        if current is not None and current.digest == snapshot_digest(bundle_snapshot(bundle)):
            report.unchanged.append(bundle.code)
            continue
        version = services.bundle_submit_for_filing(
            bundle=bundle, actor=None, change_note="由目录数据文件导入"
        )
        services.version_record(version=version, actor=None)
        services.version_publish(version=version, actor=None)
        report.published.append(bundle.code)
    return report


def _upsert(model: Any, lookup: dict[str, Any], defaults: dict[str, Any], replace: bool) -> Any:
    if replace:
        return model.objects.update_or_create(**lookup, defaults=defaults)[0]
    return model.objects.get_or_create(**lookup, defaults=defaults)[0]


def _load_bundle(
    b: dict[str, Any],
    n: int,
    path: str,
    departments: dict[str, Department],
    items: dict[str, ServiceItem],
) -> Bundle:
    if b["lead_department"] not in departments:
        raise CatalogFileError(
            f"“{b['name']}”的牵头部门“{b['lead_department']}”未定义。",
            path=f"{path}.lead_department",
        )
    bundle, _ = Bundle.objects.update_or_create(
        code=b["code"],
        defaults={
            "name": b["name"],
            "lead_department": departments[b["lead_department"]],
            "subject": b["subject"],
            "category": b["category"],
            "summary": b.get("summary", ""),
            "printed_numbers": list(b.get("printed_numbers") or []),
            "position": n,
            "exclusive_groups": [list(g) for g in (b.get("exclusive") or [])],
        },
    )
    bundle.situations.all().delete()
    for pos, q in enumerate(b.get("questions") or []):
        situation = Situation.objects.create(
            bundle=bundle,
            key=q["key"],
            text=q["text"],
            multiple=bool(q.get("multiple")),
            ask_when=q.get("ask_when") or {},
            position=pos,
        )
        SituationOption.objects.bulk_create(
            SituationOption(situation=situation, key=o["key"], label=o["label"], position=i)
            for i, o in enumerate(q["options"])
        )
    bundle.bundle_items.all().delete()
    rows: dict[str, BundleItem] = {}
    for pos, entry in enumerate(b["items"]):
        if entry["item"] not in items:
            raise CatalogFileError(
                f"“{b['name']}”引用的事项“{entry['item']}”未定义。",
                path=f"{path}.items[{pos}].item",
            )
        rows[entry["item"]] = BundleItem.objects.create(
            bundle=bundle,
            item=items[entry["item"]],
            position=pos,
            levels=entry.get("levels") or "",
            note=entry.get("note") or "",
            when=entry.get("when") or {},
        )
    for pos, entry in enumerate(b["items"]):
        for code in entry.get("after") or []:
            if code not in rows:
                raise CatalogFileError(
                    f"“{b['name']}”的前置事项“{code}”不在本一件事中。",
                    path=f"{path}.items[{pos}].after",
                )
            rows[entry["item"]].after.add(rows[code])
    return bundle
