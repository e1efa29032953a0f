"""Shared set-up of the sharing tests: the real first-batch catalog and directory, a couple
whose records are in the reference registry, and a 出生一件事 draft made through the services."""

from __future__ import annotations

from typing import Any

from lianban.accounts.models import Applicant, User
from lianban.applications import services as intake
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import PDF, clerk
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory
from lianban.sharing.demo import person_id, person_records, store_records

FATHER_ID = person_id("41070219850312001")
MOTHER_ID = person_id("41070219870820002")
CHILD = {
    "child_name": "张小宝",
    "child_gender": "male",
    "child_birth_date": "2026-11-01",
    "birth_certificate_number": "Q410000001",
    "applicant_phone": "13800000001",
    "child_id_number": person_id("41070220261101001"),
    "bank_name": "中国工商银行新乡卫滨支行",
}

SAMPLES = {
    "text": "演示内容",
    "address": "新乡市卫滨区健康路1号",
    "textarea": "说明",
    "date": "2026-11-01",
    "integer": "1",
    "decimal": "1",
    "boolean": "true",
    "phone": "13800000001",
    "id_number": MOTHER_ID,
    "email": "a@example.cn",
}


def parents(father_id: str = FATHER_ID) -> None:
    store_records(
        person_records(
            name="张三", id_number=father_id, spouse_name="李梅", spouse_id_number=MOTHER_ID
        )
    )


def applicant(id_number: str = FATHER_ID, name: str = "张三", username: str = "") -> Applicant:
    user = UserFactory(role=User.Role.APPLICANT, username=username or id_number)
    return Applicant.objects.create(
        kind=Applicant.Kind.NATURAL, name=name, id_number=id_number, phone="13800000001", user=user
    )


def birth_draft(person: Applicant) -> Application:
    return intake.application_start(
        bundle_code="birth",
        answers={"rights_print": ["no"]},
        applicant=person,
        channel="online",
        actor=person.user,
    )


def reviewer(code: str) -> User:
    return UserFactory(role=User.Role.REVIEWER, department=Department.objects.get(code=code))


def supervisor() -> User:
    return UserFactory(role=User.Role.SUPERVISOR)


def complete_and_receive(application: Application, extra: dict[str, Any] | None = None) -> None:
    """Fill what sharing did not, upload what it could not replace, submit, and receive."""
    import io

    user = application.applicant.user
    plan = plan_of(application)
    keys = {f["key"] for f in plan.fields}
    data = {k: v for k, v in {**CHILD, **(extra or {})}.items() if k in keys}
    for f in plan.fields:  # anything else the form asks, with a plausible value of its type
        if f["key"] in data or application.form_data.get(f["key"]) or not f["required"]:
            continue
        if f["type"] in SAMPLES:
            data[f["key"]] = SAMPLES[f["type"]]
        elif f["type"] in ("choice", "multichoice") and f["choices"]:
            first = f["choices"][0]["key"]
            data[f["key"]] = [first] if f["type"] == "multichoice" else first
    intake.application_save_form(application=application, data=data, actor=user)
    have = set(application.material_files.values_list("material_code", flat=True))
    for m in plan.materials:
        if m["code"] not in have and not m["secondary"]:
            intake.material_upload(
                application=application,
                material_code=m["code"],
                stream=io.BytesIO(PDF),
                name=f"{m['code']}.pdf",
                actor=user,
            )
    intake.application_submit(application=application, actor=user)
    window = clerk()
    for m in plan.materials:
        if application.material_files.filter(material_code=m["code"]).exists():
            intake.material_review(
                application=application,
                material_code=m["code"],
                verdict="accepted",
                actor=window,
            )
    commitments = [
        {"material": m["code"], "statement": "承诺补交", "due": _soon()}
        for m in plan.materials
        if m["secondary"]
        and not application.material_files.filter(material_code=m["code"]).exists()
    ]
    intake.application_receive(application=application, actor=window, commitments=commitments)
    application.refresh_from_db()


def _soon() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()
