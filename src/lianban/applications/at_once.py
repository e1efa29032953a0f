"""一次提交: what the portal gathers over several requests — the answers, the merged form,
every material and the delivery — handed in by one call that either submits the application
or changes nothing, listing every problem of the form and the files at once.

Each part is checked by the same functions as when the applicant takes the step alone, and
leaves the same audit event; the draft is opened in this transaction, so nobody else can see
or change it, and once every part has passed the application is written in a few statements:
the form and the delivery go out with the submission's UPDATE, the files in one INSERT."""

from __future__ import annotations

from typing import IO, Any, NamedTuple

from django.db import transaction

from lianban.accounts.models import Applicant
from lianban.applications import services
from lianban.applications.files import CheckedFile
from lianban.applications.models import Application, MaterialFile
from lianban.applications.selectors import materials_by_code, plan_of
from lianban.audit.services import appended_together
from lianban.cases.services import check_delivery, set_delivery
from lianban.common.errors import DomainError
from lianban.common.storage import StorageFull


class Submitted(NamedTuple):
    application: Application
    files: list[MaterialFile]  # the versions handed in, as stored
    warnings: list[dict[str, str]]  # the form's


# No savepoint: the caller (the idempotent command) rolls its whole transaction back if any
# step fails, so the steps need none of their own either.
@transaction.atomic(savepoint=False)
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
) -> Submitted:
    """Start, fill, hand in ``materials`` ({material code: (file, its name)}), choose the
    delivery and submit. The receipt number is taken as the events are appended: inside the
    caller's own ``appended_together`` block, ``receipt_number`` is filled when that block
    ends (see :func:`services.submit_checked`).

    The steps' events are appended to the audit chain together at the end, so that the chain's
    head, which every writer waits for, is held for that moment only; if a step failed, the
    call raises and none is appended."""
    application = services.open_draft(
        bundle_code=bundle_code,
        answers=answers,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=actor,
    )
    # Every part is checked before anything more is written, so the answer lists every
    # problem, not the first.
    cleaned, warnings, errors = services.check_form(application, form)
    needed = materials_by_code(plan_of(application))
    files: list[tuple[str, IO[bytes], str, CheckedFile]] = []
    for code, (stream, name) in materials.items():
        try:
            services.check_needed(needed, code)
            files.append((code, stream, name, services.check_material(stream, name, code)))
        except DomainError as exc:
            errors.extend(exc.errors)
    try:
        address = check_delivery(delivery_method, delivery_address)
    except DomainError as exc:
        errors.extend(
            {**e, "path": f"delivery.{e['path'].removeprefix('delivery_')}"} for e in exc.errors
        )
    if errors:
        raise DomainError(
            "申请有误，本次未提交也未保存任何内容，请按提示修改后重新提交。", errors=errors
        )
    services.apply_form(application, cleaned, actor=actor)
    try:
        stored = services.store_first_versions(
            application=application,
            files=files,
            actor=actor,
            evidence=services.evidence_of(actor, original_seen=False),
        )
    except StorageFull as exc:
        raise StorageFull(
            "服务器存储空间已满，材料未能保存，本次申请未提交也未保存任何内容。请稍后再试。",
            path="materials",
        ) from exc
    set_delivery(application, delivery_method, address, actor=actor)
    try:
        submitted = services.submit_checked(
            application=application,
            actor=actor,
            files=[f.material_code for f in stored],
            numbered_last=True,
        )
    except BaseException:
        # Refused (incomplete) or failed: the transaction keeps no row, nor the disk a file.
        services.discard_files(stored)
        raise
    return Submitted(submitted, stored, warnings)
