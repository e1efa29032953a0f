"""Which shared records help an application, and what they put in its form: pure functions
over the plan and the fetched records, plus the verification sheet (核验单) that stands in the
material list for a 免提交 material."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from lianban.accounts.models import Applicant
from lianban.applications.models import Application
from lianban.conf import env
from lianban.sharing.models import DataItem

# 出生一件事 asks for both parents. Which one the applicant is follows from their identity
# number (the 17th digit is odd for men); the other parent is the spouse of the marriage record.
PARENTS = {
    "1": ("father_name", "father_id_number", "mother_name", "mother_id_number"),
    "0": ("mother_name", "mother_id_number", "father_name", "father_id_number"),
}


def is_useful(item: DataItem, fields: dict[str, Any], missing_materials: set[str]) -> bool:
    """Fetch a record only when it fills a field of this form or stands in for a material
    still missing: personal data is used only as far as this application requires."""
    if set(item.satisfies_materials) & missing_materials:
        return True
    targets = {f["form_field"] for f in item.fields if f.get("form_field")}
    if item.code in ("resident_identity", "marriage_record"):
        targets |= {"father_name", "mother_name"}
    return bool(targets & set(fields))


def form_values(
    records: dict[str, tuple[DataItem, dict[str, Any]]],
    applicant: Applicant,
    fields: dict[str, Any],
) -> dict[str, tuple[Any, DataItem]]:
    """Form field key → (value, the data item it came from), for the fields of this form."""
    out: dict[str, tuple[Any, DataItem]] = {}
    for item, record in records.values():
        for f in item.fields:
            target = f.get("form_field")
            if target and target in fields and record.get(f["key"]) not in (None, ""):
                out.setdefault(target, (record[f["key"]], item))
    if "father_name" in fields and applicant.kind == Applicant.Kind.NATURAL:
        own_name, own_id, other_name, other_id = PARENTS[str(int(applicant.id_number[16]) % 2)]
        if "resident_identity" in records:
            item, record = records["resident_identity"]
            out[own_name] = (record.get("name") or applicant.name, item)
            out[own_id] = (record.get("id_number") or applicant.id_number, item)
        if "marriage_record" in records:
            item, record = records["marriage_record"]
            if record.get("spouse_name"):
                out[other_name] = (record["spouse_name"], item)
            if record.get("spouse_id_number"):
                out[other_id] = (record["spouse_id_number"], item)
    return {k: v for k, v in out.items() if k in fields}


def verification_pdf(application: Application, item: DataItem, record: dict[str, Any]) -> bytes:
    """共享数据核验单: what the registry answered, as the PDF that stands for the material."""
    from lianban.common.identity import mask_identifier
    from lianban.documents.render import Document, Section, Table, render_pdf

    labels = {f["key"]: f["label"] for f in item.fields}
    rows = []
    for key, value in record.items():
        if isinstance(value, list | dict):
            continue
        text = str(value)
        if "id_number" in key:
            text = mask_identifier(text)
        rows.append((labels.get(key, key), text))
    now = timezone.now()
    return render_pdf(
        Document(
            title="共享数据核验单",
            number=f"GX{application.pk:08d}-{item.code}"[:40],
            issued_at=now,
            issuer=item.provider.name,
            recipient=application.applicant.name,
            sections=[
                Section(
                    heading=f"一、{item.name}",
                    paragraphs=[
                        f"本材料由{item.provider.name}通过信息共享提供，经申请人授权获取，"
                        "申请人无需另行提交（证据等级A）。"
                    ],
                    table=Table(header=("数据项", "内容"), rows=rows or [("—", "—")]),
                )
            ],
            verify_url=f"{env('LIANBAN_SITE_URL').rstrip('/')}/applications/{application.pk}/",
        )
    )
