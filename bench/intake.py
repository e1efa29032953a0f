"""Intake benchmark: online submissions end to end — start from the guide's answers, save the
form, hand in three materials, submit — through the whole Django stack.

    .venv/bin/python -m bench.intake                       # SQLite (scratch database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianban_bench .venv/bin/python -m bench.intake

Prints submissions per second for one client in process and for several clients over HTTP
(gunicorn on loopback), and the same rows written by the services alone, for the ratio."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from typing import Any

from bench.common import machine, report, use_scratch_database

PDF = b"%PDF-1.4\n" + b"0" * 40_000 + b"\n%%EOF\n"  # a 40 kB scan
ANSWERS = {"q-area": "lt50", "q-sign": "no"}
N_INPROCESS = int(os.environ.get("BENCH_N", "200"))


def make_applicants(n: int, password: str) -> list[str]:
    from lianban.accounts.models import Applicant, User
    from lianban.common.identity import credit_code_check_char

    names = []
    users = []
    for i in range(n):
        first17 = f"92410702MA{i:07d}"
        code = first17 + credit_code_check_char(first17)
        users.append(User(username=code, role=User.Role.APPLICANT))
        names.append(code)
    for u in users:
        u.set_password(password)
    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__in=names)}
    Applicant.objects.bulk_create(
        Applicant(
            kind="legal",
            name=f"测试餐饮{i}",
            credit_code=code,
            phone="13912345678",
            legal_representative="张三",
            user=by_name[code],
        )
        for i, code in enumerate(names)
    )
    return names


SAMPLES = {
    "decimal": "40",
    "integer": "2",
    "date": "2026-11-20",
    "text": "测试内容",
    "address": "新乡市卫滨区健康路1号",
    "textarea": "说明",
    "phone": "13912345678",
    "email": "a@example.cn",
    "id_number": "11010519491231002X",
    "credit_code": "91350100M000100Y43",
    "boolean": "true",
}
FORM: dict[str, str] = {}


def form_values() -> dict[str, str]:
    return FORM


def plan_form(plan) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values = {}
    for f in plan.fields:
        if f["type"] in ("choice", "multichoice"):
            values[f"f-{f['key']}"] = f["choices"][0]["key"]
            values[f"f-{f['key']}-present"] = "1"
        else:
            values[f"f-{f['key']}"] = SAMPLES[f["type"]]
    return values


def api_form(plan) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The same answers as :func:`plan_form`, as the API takes them: {field key: value}."""
    values: dict[str, Any] = {}
    for f in plan.fields:
        if f["type"] == "choice":
            values[f["key"]] = f["choices"][0]["key"]
        elif f["type"] == "multichoice":
            values[f["key"]] = [f["choices"][0]["key"]]
        else:
            values[f["key"]] = SAMPLES[f["type"]]
    return values


def restaurant_draft(applicant: Any) -> Any:
    """A draft of 我要开饭店 (under 50㎡, no sign) opened online by ``applicant``."""
    from lianban.applications import services

    return services.application_start(
        bundle_code="restaurant",
        answers={k.removeprefix("q-"): v for k, v in ANSWERS.items()},
        applicant=applicant,
        channel="online",
        actor=applicant.user,
    )


def restaurant_plan(applicant: Any) -> Any:
    """The plan of 我要开饭店 that the benches submit, read from a draft made and removed
    again."""
    from lianban.applications.selectors import plan_of

    draft = restaurant_draft(applicant)
    plan = plan_of(draft)
    draft.delete()
    return plan


def at_once_body(form: dict[str, Any], materials: list[str]) -> dict[str, Any]:
    """一次提交 of 我要开饭店: the application as JSON (``form`` as :func:`api_form` gives it)
    and every material as a file."""
    application = {
        "bundle": "restaurant",
        "answers": {k.removeprefix("q-"): v for k, v in ANSWERS.items()},
        "form": form,
        "delivery": {"method": "together"},
    }
    return {
        "data": {"application": json.dumps(application, ensure_ascii=False)},
        "files": {
            f"materials.{code}": (f"{code}.pdf", PDF, "application/pdf") for code in materials
        },
    }


def submit_in_process(client, code_materials: list[str]) -> None:
    response = client.post("/applications/start/restaurant/", ANSWERS)
    pk = response["Location"].rstrip("/").split("/")[-1]
    client.post(f"/applications/{pk}/save/", {**form_values(), "then": "save"})
    for code in code_materials:
        f = io.BytesIO(PDF)
        f.name = f"{code}.pdf"
        client.post(f"/applications/{pk}/upload/", {"material": code, "file": f})
    response = client.post(f"/applications/{pk}/save/", {"then": "submit"})
    if response.status_code != 302:
        import re

        errors = re.findall(
            r'class="field-error"[^>]*>([^<]+)<|<li>([^<]+)</li>', response.content.decode()
        )
        raise SystemExit(f"submission refused: {errors[:10]}")


def main() -> None:
    use_scratch_database()
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test import Client

    from lianban.accounts.models import Applicant
    from lianban.applications import services
    from lianban.applications.models import Application
    from lianban.catalog import loader

    print(f"machine: {machine()}; database: {connection.vendor}")
    loader.load(loader.read())
    # A fast hasher: the benchmark measures intake, not password hashing at sign-in.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_password("x")
    names = make_applicants(N_INPROCESS * 2 + 400, "bench-password")
    plan = restaurant_plan(Applicant.objects.get(credit_code=names[0]))
    # Every material of the plan must be handed in before submitting.
    materials = [m["code"] for m in plan.materials]
    FORM.update(plan_form(plan))
    print(
        f"plan: {len(plan.items)} items, {len(plan.fields)} fields, "
        f"{len(materials)} materials of 40 kB each"
    )

    # 1. One client in process: the whole Django stack, no network.
    client = Client()
    samples = []
    for name in names[1 : N_INPROCESS + 1]:
        client.force_login(Applicant.objects.get(credit_code=name).user)
        start = time.perf_counter()
        submit_in_process(client, materials)
        samples.append((time.perf_counter() - start) * 1000)
    report("submission end to end, in process (1 client)", samples)
    print(f"  → {1000 / (sum(samples) / len(samples)):.1f} submissions/s")

    # 2. The same rows through the services alone (no HTTP, no templates).
    svc = []
    for name in names[N_INPROCESS + 1 : 2 * N_INPROCESS + 1]:
        applicant = Applicant.objects.get(credit_code=name)
        start = time.perf_counter()
        app = restaurant_draft(applicant)
        services.application_save_form(
            application=app,
            data={k[2:]: v for k, v in form_values().items() if not k.endswith("-present")},
            actor=applicant.user,
        )
        for code in materials:
            services.material_upload(
                application=app,
                material_code=code,
                stream=io.BytesIO(PDF),
                name=f"{code}.pdf",
                actor=applicant.user,
            )
        services.application_submit(application=app, actor=applicant.user)
        svc.append((time.perf_counter() - start) * 1000)
    report("submission through the services alone", svc)
    ratio = (sum(samples) / len(samples)) / (sum(svc) / len(svc))
    print(f"  → page stack / services = {ratio:.2f}")
    print(f"submitted: {Application.objects.filter(status='submitted').count()}")


if __name__ == "__main__":
    sys.exit(main())
