"""Demo applications for the embedded default, made through the same services a person
uses, so that the window's queue and the applicant's pages show real-looking work."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from fpdf import FPDF

from lianban.accounts.models import Applicant, User
from lianban.accounts.services import applicant_for_walk_in
from lianban.applications import services
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of


def _scan(code: str) -> io.BytesIO:
    """A stand-in for a scanned material: a small one-page PDF (no CJK font, so it is
    quick to make)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text=f"lianban demo material: {code}")
    return io.BytesIO(bytes(pdf.output()))


def _fill(application: Application, actor: User) -> None:
    plan = plan_of(application)
    sample = {
        "decimal": "86",
        "integer": "3",
        "date": "2026-12-01",
        "text": "演示内容",
        "address": "新乡市卫滨区健康路1号",
        "textarea": "演示说明",
        "boolean": "true",
        "phone": "13800000002",
        "email": "demo@example.cn",
        "id_number": "410702198806150029",
        "credit_code": "91410702MA9ABCDE1F",
    }
    data: dict[str, Any] = {}
    for f in plan.fields:
        if application.form_data.get(f["key"]):
            continue
        if f["type"] in sample:
            data[f["key"]] = sample[f["type"]]
        elif f["type"] == "choice" and f["choices"]:
            data[f["key"]] = f["choices"][0]["key"]
        elif f["type"] == "multichoice" and f["choices"]:
            data[f["key"]] = [f["choices"][0]["key"]]
    services.application_save_form(application=application, data=data, actor=actor)
    for m in plan.materials:
        services.material_upload(
            application=application,
            material_code=m["code"],
            stream=_scan(m["code"]),
            name=f"{m['code']}.pdf",
            actor=actor,
            original_seen=actor.role == User.Role.CLERK,
        )


@transaction.atomic
def create_demo_applications() -> int:
    if Application.objects.exists():
        return 0
    haowei = Applicant.objects.get(user__username="haowei")
    zhangsan = Applicant.objects.get(user__username="zhangsan")
    clerk = User.objects.get(username="chuangkou")

    submitted = services.application_start(
        bundle_code="restaurant",
        answers={"area": "50to100", "sign": "yes"},
        applicant=haowei,
        channel=Application.Channel.ONLINE,
        actor=haowei.user,
    )
    assert haowei.user is not None
    _fill(submitted, haowei.user)
    services.application_submit(application=submitted, actor=haowei.user)

    draft = services.application_start(
        bundle_code="milk-tea-shop",
        answers=_first_answers("milk-tea-shop"),
        applicant=haowei,
        channel=Application.Channel.ONLINE,
        actor=haowei.user,
    )
    services.application_save_form(application=draft, data={}, actor=haowei.user)

    walk_in = services.application_start(
        bundle_code="birth",
        answers=_first_answers("birth"),
        applicant=zhangsan,
        channel=Application.Channel.WINDOW,
        actor=clerk,
    )
    _fill(walk_in, clerk)
    for m in plan_of(walk_in).materials:
        services.material_review(
            application=walk_in, material_code=m["code"], verdict="accepted", actor=clerk
        )
    services.application_receive(application=walk_in, actor=clerk)

    other = applicant_for_walk_in(
        kind="natural",
        name="王五",
        phone="13800000003",
        id_number="410702199001010015",
        actor=clerk,
    )
    correction = services.application_start(
        bundle_code="marriage",
        answers=_first_answers("marriage"),
        applicant=other,
        channel=Application.Channel.WINDOW,
        actor=clerk,
    )
    _fill(correction, clerk)
    plan = plan_of(correction)
    for n, m in enumerate(plan.materials):
        services.material_review(
            application=correction,
            material_code=m["code"],
            verdict="irregular" if n == 0 else "accepted",
            reason="复印件不清晰，请重新扫描" if n == 0 else "",
            actor=clerk,
        )
    services.application_request_correction(application=correction, actor=clerk)
    return Application.objects.count()


def _first_answers(code: str) -> dict[str, list[str]]:
    from lianban.catalog.planner import answer_combinations
    from lianban.catalog.selectors import definition_of, published_version

    version = published_version(code)
    assert version is not None
    return next(iter(answer_combinations(definition_of(version))))
