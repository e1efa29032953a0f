"""一次提交: what the portal gathers over several requests — the answers, the merged form,
every material and the delivery — handed in by one call that either submits the application
or changes nothing, listing every problem of the form and the files at once.

It composes the intake services, so each step is checked and audited exactly as when the
applicant takes it alone; only their sum is one transaction."""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction

from lianban.accounts.models import Applicant
from lianban.applications import services
from lianban.applications.models import Application
from lianban.applications.selectors import materials_by_code, plan_of
from lianban.audit.services import appended_together
from lianban.cases.services import application_choose_delivery
from lianban.common.errors import DomainError


@transaction.atomic
@appended_together()
def application_submit_at_once(
    *,
    bundle_code: str,
    answers: Any,
    form: dict[str, Any],
    materials: dict[str, tuple[IO[bytes], str]],
    delivery_method: str,
    delivery_address: str = "",
    applicant: Applicant,
    actor: Any,
) -> tuple[Application, list[dict[str, str]]]:
    """Start, fill, hand in ``materials`` ({material code: (file, its name)}), choose the
    delivery and submit. Returns the submitted application and the form's warnings.

    The steps' events are appended to the audit chain together at the end, so that the chain's
    head, which every writer waits for, is held for that moment only; if a step failed, the
    call raises and none is appended."""
    application = services.application_start(
        bundle_code=bundle_code,
        answers=answers,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=actor,
    )
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    # Each step runs in its own savepoint: one that fails leaves nothing behind, and the
    # steps after it still run, so the answer lists every problem, not the first.
    try:
        _, warnings = services.application_save_form(
            application=application, data=form, actor=actor
        )
    except DomainError as exc:
        errors.extend(exc.errors)
    # The draft is this transaction's own, and every material of its plan may be handed in:
    # what material_upload would check again for each file is checked once here.
    needed = materials_by_code(plan_of(application))
    evidence = services.evidence_of(actor, original_seen=False)
    for code, (stream, name) in materials.items():
        try:
            with transaction.atomic():
                services.check_needed(needed, code)
                services.store_material(
                    application=application,
                    material_code=code,
                    stream=stream,
                    name=name,
                    actor=actor,
                    evidence=evidence,
                )
        except DomainError as exc:
            errors.extend(exc.errors)
    try:
        application_choose_delivery(
            application=application,
            method=delivery_method,
            address=delivery_address,
            actor=actor,
        )
    except DomainError as exc:
        errors.extend(
            {**e, "path": f"delivery.{e['path'].removeprefix('delivery_')}"} for e in exc.errors
        )
    if errors:
        raise DomainError(
            "申请有误，本次未提交也未保存任何内容，请按提示修改后重新提交。", errors=errors
        )
    return services.application_submit(application=application, actor=actor), warnings
