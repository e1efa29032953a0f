"""A received restaurant application with its cases, made through the real services."""

from __future__ import annotations

import io
from typing import Any

from lianban.accounts.models import User
from lianban.applications import services as intake
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import PDF, ApplicantFactory, clerk, pdf
from lianban.cases.models import ItemCase
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory

BIG = {"area": "ge100", "sign": "yes"}  # business licence → food licence; fire; sign
FORM = {
    "applicant_name": "卫滨区好味道餐饮店",
    "business_area": "120",
    "applicant_phone": "13912345678",
}


def received_restaurant(
    answers: dict[str, Any] | None = None,
    *,
    delivery: str = "together",
    applicant: Any = None,
    window: User | None = None,
) -> Application:
    applicant = applicant or ApplicantFactory()
    window = window or clerk()
    app = intake.application_start(
        bundle_code="restaurant",
        answers=answers or BIG,
        applicant=applicant,
        channel="online",
        actor=applicant.user,
    )
    intake.application_save_form(application=app, data=FORM, actor=applicant.user)
    for m in plan_of(app).materials:
        intake.material_upload(
            application=app,
            material_code=m["code"],
            stream=pdf(),
            name=f"{m['code']}.pdf",
            actor=applicant.user,
        )
    app.delivery_method = delivery
    app.save(update_fields=["delivery_method"])
    app = intake.application_submit(application=app, actor=applicant.user)
    for m in plan_of(app).materials:
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=window
        )
    intake.application_receive(application=app, actor=window)
    app.refresh_from_db()
    return app


def reviewer(department_code: str) -> User:
    return UserFactory(
        role=User.Role.REVIEWER, department=Department.objects.get(code=department_code)
    )


def case_of(app: Application, code: str) -> ItemCase:
    return ItemCase.objects.get(application=app, item_code=code)


def result(title: str = "食品经营许可证") -> list[dict[str, Any]]:
    return [
        {
            "kind": "licence",
            "title": title,
            "number": "JY14107020001",
            "stream": io.BytesIO(PDF),
            "name": "licence.pdf",
        }
    ]
