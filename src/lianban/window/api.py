"""``/api/v1/window``: the window clerk's intake through the same services as the window's
pages — the queue of online submissions by their 1-working-day intake clock, one application
with the verdict on each material, a verdict per material, the one-time correction notice,
receipt (with 容缺 commitments) and the delivery of results. Signed in with the pages'
session, role clerk (see :class:`lianban.applications.api_support.SessionRole`)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path, Query, Router

from lianban.api.errors import MAX_ID, ErrorOut
from lianban.applications import selectors, services
from lianban.applications.api_schemas import ApplicationPageIn
from lianban.applications.api_support import (
    NotFound,
    application_body,
    application_for,
    clerk_auth,
    command,
    material_download,
    notice_download,
    page,
)
from lianban.applications.applicant_views import check_delivery_text, serve_result
from lianban.applications.models import Application
from lianban.cases import services as case_services
from lianban.cases.models import ItemCase, ResultDocument
from lianban.integration.api.params import idempotency_key_header
from lianban.window.api_schemas import (
    WindowApplicationOut,
    WindowCorrectionIn,
    WindowDeliverIn,
    WindowQueuePageOut,
    WindowReceiveIn,
    WindowVerdictIn,
)

router = Router(tags=["综合窗口：收件与送达"], auth=clerk_auth)

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
COMMAND_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
COMMAND_DOC = (
    "需要 Idempotency-Key 请求头（按登录用户保留 24 小时）和 X-CSRFToken 请求头。"
    "expected_status 与申请实际状态不符时返回 409；规则不允许时返回 400 或 409，errors 带字段路径。"
    "成功时返回办理后的申请。"
)
APPLICATION_ID = Path(..., ge=1, le=MAX_ID, description="申请编号")


def _downloadable(application: Application, case: ItemCase) -> bool:
    # Results back at the window are the window's to hand over.
    return case.status in {ItemCase.Status.RETURNED, ItemCase.Status.DELIVERED}


def _present(application: Application) -> dict[str, Any]:
    body = application_body(
        application,
        window=True,
        # The window's API reviews; filling a walk-in application stays on the pages.
        editable=(set(), set()),
        downloadable=_downloadable,
    )
    body["deferrable"] = _deferrable(application)
    return WindowApplicationOut.model_validate(body).model_dump(mode="json")


def _deferrable(application: Application) -> list[dict[str, Any]]:
    """Secondary materials not handed in, with the latest date a commitment may name."""
    if application.status != Application.Status.SUBMITTED and not (
        application.status == Application.Status.DRAFT
        and application.channel == Application.Channel.WINDOW
    ):
        return []
    plan = selectors.plan_of(application)
    files = selectors.current_files(application)
    today = timezone.localdate()
    rows = []
    for m in plan.materials:
        if not m["secondary"] or m["code"] in files:
            continue
        days, latest = selectors.supplement_limit(plan, m["code"], today)
        rows.append(
            {"code": m["code"], "name": m["name"], "limit_days": days, "latest_due": latest}
        )
    return rows


# ---- Reads -------------------------------------------------------------------------------


@router.get(
    "/queue",
    response={200: WindowQueuePageOut, 400: ErrorOut, **READ_ERRORS},
    summary="待收件队列",
    description=(
        "网上提交、等待窗口收件或一次性告知补正的申请，按 1 个工作日收件期限排序，最紧急的在前，分页。"
        "申请人证件号码和手机号码脱敏。"
    ),
)
def queue(request: HttpRequest, filters: Query[ApplicationPageIn]) -> dict[str, Any]:
    today = timezone.localdate()

    def row(a: Application) -> dict[str, Any]:
        return {
            "id": a.pk,
            "receipt_number": a.receipt_number,
            "bundle_name": a.bundle_name,
            "applicant": {
                "kind": a.applicant.kind,
                "name": a.applicant.name,
                "identifier": a.applicant.masked_identifier,
                "phone": a.applicant.masked_phone,
            },
            "submitted_at": a.submitted_at,
            "intake_due": a.intake_due,
            "intake_due_provisional": a.intake_due_provisional,
            "light": selectors.light(today, a.intake_due),
            "review_round": a.review_round,
        }

    return page(selectors.intake_queue(), filters.page, filters.page_size, row)


@router.get(
    "/applications/{application_id}",
    response={200: WindowApplicationOut, **READ_ERRORS},
    summary="审查一件申请",
    description=(
        "申请的全部内容：申请人、申请表、每份材料的各版本及本轮审查结论、可容缺的次要材料、"
        "收件文书、容缺承诺、各事项办件及办理结果、送达情况。申请人未提交的网上草稿返回 404。"
    ),
)
def get_application(request: HttpRequest, application_id: int = APPLICATION_ID) -> dict[str, Any]:
    return _present(application_for(request.user, application_id))


@router.get(
    "/applications/{application_id}/materials/{file_id}",
    response={200: bytes, **READ_ERRORS},
    summary="下载材料文件",
    description="作为附件下载，类型为上传时按内容检查所得。",
)
def download_material(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    file_id: int = Path(..., ge=1, le=MAX_ID, description="材料文件编号"),
) -> FileResponse:
    return material_download(application_for(request.user, application_id), file_id)


@router.get(
    "/applications/{application_id}/notices/{notice_id}",
    response={200: bytes, **READ_ERRORS, 409: ErrorOut},
    summary="下载文书",
    description="收件回执、补正告知书、容缺受理承诺书等的签章 PDF。"
    "文书刚出具、签章进程尚未加盖印章时答 409（notice_sealing）并带 Retry-After。",
)
def download_notice(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    notice_id: int = Path(..., ge=1, le=MAX_ID, description="文书编号（内部）"),
) -> FileResponse:
    return notice_download(application_for(request.user, application_id), notice_id)


@router.get(
    "/applications/{application_id}/results/{result_id}",
    response={200: bytes, **READ_ERRORS},
    summary="下载办理结果",
    description="已送回窗口（或已送达）的办理结果。",
)
def download_result(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    result_id: int = Path(..., ge=1, le=MAX_ID, description="办理结果编号"),
) -> FileResponse:
    application = application_for(request.user, application_id)
    doc = (
        ResultDocument.objects.select_related("case")
        .filter(pk=result_id, case__application=application)
        .first()
    )
    if doc is None or not _downloadable(application, doc.case):
        raise NotFound("未找到可下载的办理结果。", path="result_id")
    return serve_result(doc)


# ---- Commands ----------------------------------------------------------------------------


@router.post(
    "/applications/{application_id}/reviews",
    response={200: WindowApplicationOut, **COMMAND_ERRORS},
    summary="审查一份材料",
    description=(
        "记录本轮对一份材料的审查结论；不符合要求须写明理由。申请人更换材料后该材料须重新审查。"
        + COMMAND_DOC
    ),
)
def review_material(
    request: HttpRequest,
    payload: WindowVerdictIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.material_review(
            application=application,
            material_code=payload.material,
            verdict=payload.verdict,
            reason=payload.reason,
            actor=request.user,
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content=payload.model_dump(mode="json", exclude={"expected_status"}),
        act=act,
        present=_present,
    )


@router.post(
    "/applications/{application_id}/correction",
    response={200: WindowApplicationOut, **COMMAND_ERRORS},
    summary="一次性告知补正",
    description=(
        "出具补正告知书，一次性列明本轮审查为缺少或不符合要求的全部材料和所列的申请表字段；"
        "须先审查全部材料。再次告知只能针对上次告知中仍未补正到位的内容。"
        "字段错误的路径为 fields[序号].key / fields[序号].reason。" + COMMAND_DOC
    ),
)
def request_correction(
    request: HttpRequest,
    payload: WindowCorrectionIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    fixes = [{"key": f.key, "reason": f.reason} for f in payload.fields]

    def act(application: Application) -> None:
        services.application_request_correction(
            application=application, actor=request.user, fields=fixes
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"fields": fixes},
        act=act,
        present=_present,
    )


@router.post(
    "/applications/{application_id}/receive",
    response={200: WindowApplicationOut, **COMMAND_ERRORS},
    summary="收件",
    description=(
        "出具收件回执并把各事项分送有关部门（生成办件）：全部材料须审查合格，"
        "commitments 所列的次要材料除外（容缺受理，出具容缺受理承诺书）。"
        "容缺信息错误的路径为 commitments[序号].material / .due / .statement。" + COMMAND_DOC
    ),
)
def receive(
    request: HttpRequest,
    payload: WindowReceiveIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    commitments = [c.model_dump() for c in payload.commitments]

    def act(application: Application) -> None:
        services.application_receive(
            application=application, actor=request.user, commitments=commitments
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"commitments": [c.model_dump(mode="json") for c in payload.commitments]},
        act=act,
        present=_present,
    )


@router.post(
    "/applications/{application_id}/deliver",
    response={200: WindowApplicationOut, **COMMAND_ERRORS},
    summary="登记送达",
    description=(
        "按申请人选择的送达方式，登记现在可以送达的全部办理结果：窗口领取须填领取人，邮寄须填邮件号；"
        "网上自助打印由申请人本人领取。全部送达后申请办结归档。" + COMMAND_DOC
    ),
)
def deliver(
    request: HttpRequest,
    payload: WindowDeliverIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        check_delivery_text(
            {"recipient": payload.recipient, "tracking_number": payload.tracking_number}
        )
        case_services.application_deliver(
            application=application,
            actor=request.user,
            recipient=payload.recipient,
            tracking_number=payload.tracking_number,
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"recipient": payload.recipient, "tracking_number": payload.tracking_number},
        act=act,
        present=_present,
    )
