"""``/api/v1/applications``: the applicant's own applications, through the same services as
the applicant's pages — start one for a bundle, fill the merged form, hand in materials,
submit, correct and resubmit, withdraw, fulfil a 容缺 commitment, choose the delivery, and
download notices and results. Signed in with the pages' session (see
:class:`lianban.applications.api_support.SessionRole`); another person's application is 404."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Path, Query, Router
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticError

from lianban.api.errors import MAX_ID, ErrorOut
from lianban.applications import selectors, services
from lianban.applications.api_schemas import (
    ApplicationAtOnceIn,
    ApplicationDeliveryIn,
    ApplicationExpectedIn,
    ApplicationFormIn,
    ApplicationOut,
    ApplicationPageIn,
    ApplicationPageOut,
    ApplicationStartIn,
    ApplicationWithdrawIn,
)
from lianban.applications.api_support import (
    NotFound,
    applicant_auth,
    application_body,
    application_for,
    as_json,
    command,
    material_download,
    notice_download,
    page,
)
from lianban.applications.applicant_views import check_delivery_text, serve_result
from lianban.applications.at_once import application_submit_at_once
from lianban.applications.models import Application, MaterialFile
from lianban.cases import services as case_services
from lianban.cases.models import ResultDocument
from lianban.common.errors import DomainError
from lianban.integration import idempotency
from lianban.integration.api.params import idempotency_key_header

S = Application.Status
router = Router(tags=["申请人：一件事申请"], auth=applicant_auth)

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
    "expected_status 与申请实际状态不符时返回 409；规则不允许时返回 400 或 409，"
    "errors 列出每个字段路径（如 form.business_area、materials.lease）的问题。"
    "成功时返回办理后的申请。"
)
APPLICATION_ID = Path(..., ge=1, le=MAX_ID, description="申请编号")


def _present(
    application: Application, submitted_with: list[MaterialFile] | None = None
) -> dict[str, Any]:
    return as_json(
        application_body(
            application,
            window=False,
            editable=selectors.correctable(application),
            downloadable=selectors.applicant_may_download,
            submitted_with=submitted_with,
        )
    )


def _digest(f: DjangoUpload) -> str:
    h = hashlib.sha256()
    for chunk in f.chunks():
        h.update(chunk)
    f.seek(0)
    return h.hexdigest()


# ---- 一次提交 ----------------------------------------------------------------------------
# Declared before the reads: its path would otherwise be taken for an application's id.

AT_ONCE_FORM = Form(
    ...,
    max_length=200_000,
    description=(
        "JSON 文本：{bundle, answers, form, delivery: {method, address}}，"
        "各部分与开始申请、保存申请表、选择送达方式的请求相同"
    ),
)
MATERIAL_PART = "materials."


@router.post(
    "/submit",
    response={201: ApplicationOut, **COMMAND_ERRORS},
    summary="一次提交",
    description=(
        "在一个 multipart/form-data 请求中提交整件申请：字段 application（JSON 文本，见下）和每份材料一个"
        "文件字段，字段名为 materials.<材料编码>。平台依次开始申请、保存申请表、接收材料、选择送达方式并"
        "提交，每一步的检查与分步操作相同；任何一处有误则整次不保存，errors 一次列出申请表、材料和送达方式"
        "的全部问题（路径 form.<字段键>、materials.<材料编码>、delivery.method），必填项或主要材料不全时"
        "同“提交申请”。成功时返回 201 和已提交的申请（含收件编号）。需要 Idempotency-Key 和 X-CSRFToken "
        "请求头。"
    ),
)
def submit_at_once(
    request: HttpRequest,
    application: str = AT_ONCE_FORM,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    try:
        payload = ApplicationAtOnceIn.model_validate_json(application)
    except PydanticError as exc:
        raise ValidationError(
            [{**e, "loc": ("form", "application", *e["loc"])} for e in exc.errors()]
        ) from exc
    materials: dict[str, DjangoUpload] = {}
    errors = []
    for name, files in request.FILES.lists():
        code = name.removeprefix(MATERIAL_PART)
        if not name.startswith(MATERIAL_PART) or not code:
            message = "文件字段名应为 materials.<材料编码>。"
            errors.append({"path": name, "message": message})
        elif len(files) > 1:
            errors.append({"path": name, "message": "每份材料只能附一个文件。"})
        else:
            materials[code] = files[0]
    if errors:
        raise DomainError("请求中的文件有误，请按提示修改。", errors=errors)

    def execute() -> idempotency.Result:
        submitted = application_submit_at_once(
            bundle_code=payload.bundle,
            answers=payload.answers,
            form=payload.form,
            materials={code: (f, f.name or "") for code, f in materials.items()},
            delivery_method=payload.delivery.method,
            delivery_address=payload.delivery.address,
            applicant=request.user.applicant,  # type: ignore[union-attr]
            actor=request.user,
        )
        # Laid out from what the submission holds in hand: it has read nothing else yet. The
        # receipt number is taken after, with the chain's head (application_submit_at_once).
        body = _present(submitted.application, submitted_with=submitted.files)
        application = submitted.application
        return idempotency.Result(
            201,
            {**body, "warnings": submitted.warnings},
            late=lambda: {"receipt_number": application.receipt_number},
        )

    return idempotency.run(
        user=request.user,
        key=idempotency_key,
        print_=idempotency.fingerprint(
            "POST",
            request.path,
            {
                "application": payload.model_dump(mode="json"),
                "materials": {code: _digest(f) for code, f in sorted(materials.items())},
            },
        ),
        execute=execute,
    )


# ---- Reads -------------------------------------------------------------------------------


@router.get(
    "",
    response={200: ApplicationPageOut, 400: ErrorOut, **READ_ERRORS},
    summary="我的申请",
    description="本人（本单位）的一件事申请，最新的在前，分页。",
)
def list_applications(request: HttpRequest, filters: Query[ApplicationPageIn]) -> dict[str, Any]:
    qs = selectors.visible_to(request.user).select_related("bundle_version")  # type: ignore[arg-type]
    return page(
        qs.order_by("-created_at", "-id"),
        filters.page,
        filters.page_size,
        lambda a: {
            "id": a.pk,
            "receipt_number": a.receipt_number,
            "bundle_name": a.bundle_name,
            "status": a.status,
            "status_label": a.get_status_display(),
            "created_at": a.created_at,
            "submitted_at": a.submitted_at,
            "intake_due": a.intake_due,
        },
    )


@router.get(
    "/{application_id}",
    response={200: ApplicationOut, **READ_ERRORS},
    summary="读取一件申请",
    description=(
        "申请的状态、收件期限、申请表、材料及其各版本、收件文书、容缺承诺、各事项办件的状态和时限、"
        "可下载的办理结果。他人的申请返回 404。"
    ),
)
def get_application(request: HttpRequest, application_id: int = APPLICATION_ID) -> dict[str, Any]:
    return _present(application_for(request.user, application_id))


@router.get(
    "/{application_id}/materials/{file_id}",
    response={200: bytes, **READ_ERRORS},
    summary="下载本人提交的材料文件",
    description="作为附件下载，类型为上传时按内容检查所得。",
)
def download_material(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    file_id: int = Path(..., ge=1, le=MAX_ID, description="材料文件编号"),
) -> FileResponse:
    return material_download(application_for(request.user, application_id), file_id)


@router.get(
    "/{application_id}/notices/{notice_id}",
    response={200: bytes, **READ_ERRORS, 409: ErrorOut},
    summary="下载文书",
    description="收件回执、补正告知书、容缺受理承诺书、受理或不予受理通知书的签章 PDF。"
    "文书刚出具、签章进程尚未加盖印章时答 409（notice_sealing）并带 Retry-After。",
)
def download_notice(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    notice_id: int = Path(..., ge=1, le=MAX_ID, description="文书编号（内部）"),
) -> FileResponse:
    return notice_download(application_for(request.user, application_id), notice_id)


@router.get(
    "/{application_id}/results/{result_id}",
    response={200: bytes, **READ_ERRORS},
    summary="下载办理结果",
    description=(
        "仅限选择网上自助打印且已领取（POST …/collect）的办理结果；其他送达方式由窗口送达。"
    ),
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
    if doc is None or not selectors.applicant_may_download(application, doc.case):
        raise NotFound("未找到可下载的办理结果。", path="result_id")
    return serve_result(doc)


# ---- Commands ----------------------------------------------------------------------------


@router.post(
    "",
    response={201: ApplicationOut, **COMMAND_ERRORS},
    summary="开始申请",
    description=(
        "按情形回答为本人（本单位）开始一件事的网上申请草稿，依据当前公布的版本；"
        "申请表预先填入平台已知的本人信息。需要 Idempotency-Key 和 X-CSRFToken 请求头。"
    ),
)
def start(
    request: HttpRequest,
    payload: ApplicationStartIn,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def execute() -> idempotency.Result:
        application = services.application_start(
            bundle_code=payload.bundle,
            answers=payload.answers,
            applicant=request.user.applicant,  # type: ignore[union-attr]
            channel=Application.Channel.ONLINE,
            actor=request.user,
        )
        return idempotency.Result(201, _present(application))

    return idempotency.run(
        user=request.user,
        key=idempotency_key,
        print_=idempotency.fingerprint("POST", request.path, payload.model_dump(mode="json")),
        execute=execute,
    )


@router.post(
    "/{application_id}/form",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="保存申请表",
    description=(
        "保存合并申请表的部分或全部字段；草稿可以不完整。待补正时只能修改补正告知所列字段。"
        "值逐项按字段类型检查，出错时整次不保存，errors 的路径为 form.<字段键>；"
        "校验位不符等提示在 warnings 中。" + COMMAND_DOC
    ),
)
def save_form(
    request: HttpRequest,
    payload: ApplicationFormIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> list[dict[str, str]]:
        _, warnings = services.application_save_form(
            application=application, data=payload.form, actor=request.user
        )
        return warnings

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"form": payload.form},
        act=act,
        present=_present,
    )


MATERIAL_FORM = Form(..., max_length=64, description="材料编码")
EXPECTED_FORM = Form(..., description="客户端所见的申请当前状态；不符时返回 409")
FILE = File(..., description="文件：PDF、JPEG 或 PNG，按内容检查")


@router.post(
    "/{application_id}/materials",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="上传材料",
    description=(
        "multipart/form-data：material（材料编码）、expected_status、file。"
        "已提交过的材料保存为新版本，旧版本保留。待补正时只能更换补正告知所列材料。" + COMMAND_DOC
    ),
)
def upload_material(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    material: str = MATERIAL_FORM,
    expected_status: S = EXPECTED_FORM,
    file: UploadedFile = FILE,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.material_upload(
            application=application,
            material_code=material,
            stream=file,
            name=file.name or "",
            actor=request.user,
        )

    return command(
        request,
        application_id=application_id,
        expected_status=expected_status,
        key=idempotency_key,
        content={"material": material, "file": _digest(file)},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/submit",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="提交申请",
    description=(
        "提交后取得收件编号，窗口在 1 个工作日内收件或一次性告知补正。必填字段和主要材料不全时返回 400，"
        "errors 列出每一项。" + COMMAND_DOC
    ),
)
def submit(
    request: HttpRequest,
    payload: ApplicationExpectedIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.application_submit(application=application, actor=request.user)

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/resubmit",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="补正后重新提交",
    description="按补正告知改正全部所列内容后重新提交，窗口在 1 个工作日内再次审查。" + COMMAND_DOC,
)
def resubmit(
    request: HttpRequest,
    payload: ApplicationExpectedIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.application_resubmit(application=application, actor=request.user)

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/withdraw",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="撤回申请",
    description="收件前撤回申请，撤回后不能恢复。" + COMMAND_DOC,
)
def withdraw(
    request: HttpRequest,
    payload: ApplicationWithdrawIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.application_withdraw(
            application=application, actor=request.user, reason=payload.reason.strip()
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"reason": payload.reason},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/commitments",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="补交容缺材料",
    description=(
        "multipart/form-data：material、expected_status、file。容缺受理后补交承诺的材料，"
        "作为该材料的新版本，相关部门即可查看。" + COMMAND_DOC
    ),
)
def fulfil_commitment(
    request: HttpRequest,
    application_id: int = APPLICATION_ID,
    material: str = MATERIAL_FORM,
    expected_status: S = EXPECTED_FORM,
    file: UploadedFile = FILE,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        services.commitment_fulfil(
            application=application,
            material_code=material,
            stream=file,
            name=file.name or "",
            actor=request.user,
        )

    return command(
        request,
        application_id=application_id,
        expected_status=expected_status,
        key=idempotency_key,
        content={"material": material, "file": _digest(file)},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/delivery",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="选择送达方式",
    description="首次送达前可以选择或更改送达方式；邮寄须填写地址。" + COMMAND_DOC,
)
def choose_delivery(
    request: HttpRequest,
    payload: ApplicationDeliveryIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        check_delivery_text({"delivery_address": payload.address})
        case_services.application_choose_delivery(
            application=application,
            method=payload.method,
            address=payload.address,
            actor=request.user,
        )

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={"method": payload.method, "address": payload.address},
        act=act,
        present=_present,
    )


@router.post(
    "/{application_id}/collect",
    response={200: ApplicationOut, **COMMAND_ERRORS},
    summary="领取办理结果（网上自助打印）",
    description=(
        "选择网上自助打印时，领取已送回窗口的全部办理结果，即视为送达；之后可下载这些结果。"
        + COMMAND_DOC
    ),
)
def collect_results(
    request: HttpRequest,
    payload: ApplicationExpectedIn,
    application_id: int = APPLICATION_ID,
    idempotency_key: str = idempotency_key_header(),
) -> HttpResponse:
    def act(application: Application) -> None:
        case_services.application_deliver(application=application, actor=request.user)

    return command(
        request,
        application_id=application_id,
        expected_status=payload.expected_status,
        key=idempotency_key,
        content={},
        act=act,
        present=_present,
    )
