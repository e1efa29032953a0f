"""Freezing a bundle's working copy into the snapshot that a version keeps."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from lianban.catalog.models import (
    Bundle,
    BundleItem,
    ItemField,
    ItemMaterial,
    Situation,
)

SNAPSHOT_FORMAT = 1


def _item(bundle_item: BundleItem) -> dict[str, Any]:
    item = bundle_item.item
    return {
        "code": item.code,
        "name": item.name,
        "department": {"code": item.department.code, "name": item.department.name},
        "levels": bundle_item.levels,
        "note": bundle_item.note,
        "when": bundle_item.when or {},
        "after": sorted(b.item.code for b in bundle_item.after.all()),
        "handling_form": item.handling_form,
        "statutory_limit_days": item.statutory_limit_days,
        "promised_limit_days": item.promised_limit_days,
        "fee": item.fee,
        "legal_basis": item.legal_basis,
        "conditions": item.conditions,
        "review_points": list(item.review_points or []),
        "example": item.is_example,
        "materials": [
            {
                "code": im.material.code,
                "name": im.material.name,
                "description": im.material.description,
                "secondary": im.secondary,
            }
            for im in item.item_materials.all()
        ],
        "fields": [
            {
                "key": f.field.key,
                "label": f.field.label,
                "type": f.field.type,
                "required": f.required,
                "help": f.field.help,
                "unit": f.field.unit,
                "choices": f.field.choices or [],
            }
            for f in item.item_fields.all()
        ],
    }


def bundle_snapshot(bundle: Bundle) -> dict[str, Any]:
    """The whole definition of ``bundle`` as it stands now, self-contained."""
    bundle_items = (
        BundleItem.objects.filter(bundle=bundle)
        .select_related("item__department")
        .prefetch_related(
            Prefetch("after", queryset=BundleItem.objects.select_related("item")),
            Prefetch(
                "item__item_materials", queryset=ItemMaterial.objects.select_related("material")
            ),
            Prefetch("item__item_fields", queryset=ItemField.objects.select_related("field")),
        )
        .order_by("position", "id")
    )
    situations = Situation.objects.filter(bundle=bundle).prefetch_related("options")
    return {
        "format": SNAPSHOT_FORMAT,
        "code": bundle.code,
        "name": bundle.name,
        "lead_department": {
            "code": bundle.lead_department.code,
            "name": bundle.lead_department.name,
        },
        "subject": bundle.subject,
        "category": bundle.category,
        "summary": bundle.summary,
        "printed_numbers": list(bundle.printed_numbers or []),
        "situations": [
            {
                "key": s.key,
                "text": s.text,
                "multiple": s.multiple,
                "ask_when": s.ask_when or {},
                "options": [{"key": o.key, "label": o.label} for o in s.options.all()],
            }
            for s in situations
        ],
        "items": [_item(bi) for bi in bundle_items],
        "exclusive": [list(group) for group in (bundle.exclusive_groups or [])],
    }
