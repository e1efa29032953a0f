"""``/api/v1/cases``: the department's cases, one case with what its item may see, its
materials, and the commands on it. Commands call the same services as the department
workbench, as the client's service account; each needs the case's status as the client last
read it (``expected_status``; ``If-Match`` with the ETag may be added) and an
``Idempotency-Key``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Path, Query, Router
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from lianban.api.errors import MAX_ID, ErrorOut
from lianban.applications.files import extension_for
from lianban.cases import services as case_services
from lianban.cases.models import ItemCase, ResultDocument
from lianban.common.errors import DomainError
from lianban.integration import idempotency, selectors
from lianban.integration.api.params import idempotency_key_header, if_match_header
from lianban.integration.api.schemas import (
    CaseFilter,
    CaseOut,
    CasePageOut,
    DecideIn,
    ExpectedIn,
    ExtendIn,
    RefuseIn,
    SupplementIn,
    SuspendIn,
)
from lianban.integration.auth import bearer, logged, require
from lianban.integration.models import Scope

S = ItemCase.Status
router = Router(tags=["系统接入：办件"], auth=bearer)

COMMAND_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    412: ErrorOut,
    422: ErrorOut,
}


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    status = 412


# ---- Cases: reads ------------------------------------------------------------------------


def _case_json(case: ItemCase) -> dict[str, Any]:
    return CaseOut.model_validate(selectors.case_detail(case)).model_dump(mode="json")


def _conditional(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    """200 with the ETag, or 304 when the client already holds this representation. The
    body is serialised once, canonically, and the ETag is the digest of what is sent."""
    content = selectors.canonical_json(body)
    etag = selectors.etag_of_json(content)
    # If-None-Match compares weakly (RFC 9110 §13.1.2): a W/ prefix does not matter.
    held = {
        t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")
    }
    if etag in held or "*" in held:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _statuses(raw: str | None) -> list[str]:
    wanted = [s.strip() for s in (raw or "").split(",") if s.strip()]
    bad = [s for s in wanted if s not in S.values]
    if bad:
        raise DomainError(
            f"没有办件状态“{'、'.join(bad)}”；可用：{'、'.join(S.values)}。", path="status"
        )
    return wanted


@router.get(
    "",
    response={200: CasePageOut, 304: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="本部门的办件列表",
    description=(
        "仅列出本接入系统所属部门的办件，按当前计时到期日升序（最紧急的在前）。需要 cases:read 权限。"
        "响应带 ETag；请求带 If-None-Match 且内容未变时返回 304。"
    ),
)
@decorate_view(logged)
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> HttpResponse:
    context = require(request, Scope.CASES_READ)
    qs = selectors.case_list(
        context,
        statuses=_statuses(filters.status),
        item_code=(filters.item or "").strip(),
        due_before=filters.due_before,
        due_after=filters.due_after,
    )
    count = qs.count()
    size = filters.page_size
    # The busiest call builds its JSON directly (as CasePageOut documents it): validating 50
    # rows through the schema would cost more than the two queries.
    body = {
        "count": count,
        "page": filters.page,
        "page_size": size,
        "pages": max((count + size - 1) // size, 1),
        "results": [
            {
                **row,
                "running_due": _iso(row["running_due"]),
                "dispatched_at": _iso(row["dispatched_at"]),
            }
            for row in selectors.list_page(qs, (filters.page - 1) * size, size)
        ],
    }
    return _conditional(request, body)


def _iso(value: dt.date | None) -> str | None:
    # As pydantic writes them in the other responses: ISO 8601, UTC as "Z".
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


@router.get(
    "/{case_id}",
    response={200: CaseOut, 304: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="读取一件办件",
    description=(
        "办件的状态、时限，以及本事项需要的表单字段和材料（最小必要，不含其他部门事项的内容）。"
        "需要 cases:read 权限。其他部门的办件返回 404。响应带 ETag，支持 If-None-Match。"
    ),
)
@decorate_view(logged)
def get_case(
    request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号")
) -> HttpResponse:
    context = require(request, Scope.CASES_READ)
    return _conditional(request, _case_json(selectors.case_for(context, case_id)))


@router.get(
    "/{case_id}/materials/{file_id}",
    response={200: bytes, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="下载申请材料文件",
    description="仅限本事项需要的材料，作为附件下载。需要 materials:read 权限。",
)
@decorate_view(logged)
def download_material(
    request: HttpRequest,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    file_id: int = Path(..., ge=1, le=MAX_ID, description="材料文件编号"),
) -> FileResponse:
    context = require(request, Scope.MATERIALS_READ)
    case = selectors.case_for(context, case_id)
    f = selectors.material_file(case, file_id)
    response = FileResponse(
        f.file.open("rb"),
        as_attachment=True,
        filename=f"{f.material_code}-v{f.version}{extension_for(f.content_type)}",
        content_type=f.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(f.sha256)).decode()
    return response


# ---- Cases: commands ---------------------------------------------------------------------


def _command(
    request: HttpRequest,
    case_id: int,
    key: str | None,
    if_match: str | None,
    arguments: dict[str, Any],
    service: Callable[..., Any],
    *,
    fingerprint: dict[str, Any] | None = None,
) -> HttpResponse:
    """Run one case service once per idempotency key, as the client's service account —
    ``service(case=…, actor=…, **arguments)``: the request schemas name their fields as the
    services name their arguments — and answer with the case as it now is (and its new
    ETag). ``fingerprint`` is what identifies the request when ``arguments`` hold files."""
    context = require(request, Scope.CASES_ACT)

    def execute() -> idempotency.Result:
        case = selectors.case_for(context, case_id)
        if if_match and if_match.strip() != "*":
            current = selectors.etag_of(_case_json(case))
            if current not in {t.strip() for t in if_match.split(",")}:
                raise PreconditionFailed(
                    f"“{case.item_name}”已有变化（ETag 不符），请重新读取后再操作。",
                    path="If-Match",
                )
        service(case=case, actor=context.actor, **arguments)
        body = _case_json(selectors.case_for(context, case_id))
        return idempotency.Result(200, body, {"ETag": selectors.etag_of(body)})

    return idempotency.run(
        client=context.client,
        key=key,
        print_=idempotency.fingerprint(
            request.method or "", request.path, arguments if fingerprint is None else fingerprint
        ),
        execute=execute,
    )


COMMAND_DOC = (
    "需要 cases:act 权限和 Idempotency-Key 请求头。expected_status 与办件实际状态不符时返回 409"
    "（已由他人处理）；带 If-Match 且 ETag 不符时返回 412。成功时返回办理后的办件及新的 ETag。"
)


@router.post(
    "/{case_id}/accept",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="受理",
    description="受理办件，开始按承诺时限计时。" + COMMAND_DOC,
)
@decorate_view(logged)
def accept(
    request: HttpRequest,
    payload: ExpectedIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request, case_id, idempotency_key, if_match, payload.model_dump(), case_services.case_accept
    )


@router.post(
    "/{case_id}/refuse",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="不予受理",
    description="作出不予受理决定并通知申请人，须注明理由。" + COMMAND_DOC,
)
@decorate_view(logged)
def refuse(
    request: HttpRequest,
    payload: RefuseIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request, case_id, idempotency_key, if_match, payload.model_dump(), case_services.case_refuse
    )


@router.post(
    "/{case_id}/supplement",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="要求补正",
    description="受理前一次性要求补正材料，受理计时暂停，材料齐全后重新起算。" + COMMAND_DOC,
)
@decorate_view(logged)
def request_supplement(
    request: HttpRequest,
    payload: SupplementIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request,
        case_id,
        idempotency_key,
        if_match,
        payload.model_dump(),
        case_services.case_request_supplement,
    )


@router.post(
    "/{case_id}/suspend",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="中止计时",
    description="因检验、检测、检疫、鉴定、专家评审或听证中止办理计时。" + COMMAND_DOC,
)
@decorate_view(logged)
def suspend(
    request: HttpRequest,
    payload: SuspendIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request,
        case_id,
        idempotency_key,
        if_match,
        payload.model_dump(),
        case_services.case_suspend,
    )


@router.post(
    "/{case_id}/resume",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="恢复计时",
    description="恢复办理计时，办结期限按中止的工作日顺延。" + COMMAND_DOC,
)
@decorate_view(logged)
def resume(
    request: HttpRequest,
    payload: ExpectedIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request, case_id, idempotency_key, if_match, payload.model_dump(), case_services.case_resume
    )


@router.post(
    "/{case_id}/extend",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="延期",
    description="经本部门负责人批准延长办理期限，只能延期一次，至多 10 个工作日。" + COMMAND_DOC,
)
@decorate_view(logged)
def extend(
    request: HttpRequest,
    payload: ExtendIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request, case_id, idempotency_key, if_match, payload.model_dump(), case_services.case_extend
    )


@router.post(
    "/{case_id}/decide",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="作出决定",
    description="作出准予或不予许可的决定；此后 1 个工作日内须上传办理结果。" + COMMAND_DOC,
)
@decorate_view(logged)
def decide(
    request: HttpRequest,
    payload: DecideIn,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    return _command(
        request, case_id, idempotency_key, if_match, payload.model_dump(), case_services.case_decide
    )


def _documents(raw: str, files: list[UploadedFile]) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise DomainError("documents 应为 JSON 数组。", path="documents") from None
    if not isinstance(parsed, list) or not all(isinstance(d, dict) for d in parsed):
        raise DomainError("documents 应为 JSON 数组，每项为一个对象。", path="documents")
    if len(parsed) != len(files):
        raise DomainError(
            f"documents 有{len(parsed)}项，上传的文件有{len(files)}个，应一一对应。",
            path="files",
        )
    errors = []
    out = []
    for n, d in enumerate(parsed):
        if d.get("kind") not in ResultDocument.Kind.values:
            errors.append({"path": f"documents[{n}].kind", "message": "请选择结果的类型。"})
        for key in ("title", "number"):
            if not isinstance(d.get(key, ""), str):
                errors.append({"path": f"documents[{n}].{key}", "message": "应为文本。"})
        out.append(
            {
                "kind": d.get("kind"),
                "title": d.get("title", ""),
                "number": d.get("number", ""),
            }
        )
    if errors:
        raise DomainError("办理结果信息有误，请按提示修改。", errors=errors)
    return out


EXPECTED_STATUS_FORM = Form(..., description="客户端所见的办件当前状态")
RESULT_FILES = File(..., description="结果文件，与 documents 一一对应")


def _sha256(f: UploadedFile) -> str:
    h = hashlib.sha256()
    for chunk in f.chunks():
        h.update(chunk)
    f.seek(0)
    return h.hexdigest()


@router.post(
    "/{case_id}/results",
    response={200: CaseOut, **COMMAND_ERRORS},
    summary="上传办理结果并送回窗口",
    description=(
        "multipart/form-data：expected_status、documents（JSON 数组，每项 {kind, title, number}）"
        "和与之一一对应的 files（PDF、JPEG 或 PNG，按内容检查）。" + COMMAND_DOC
    ),
)
@decorate_view(logged)
def upload_results(
    request: HttpRequest,
    case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号"),
    expected_status: S = EXPECTED_STATUS_FORM,
    documents: str = Form(
        ..., description='结果说明，JSON 数组：[{"kind": "licence", "title": "…", "number": "…"}]'
    ),
    files: list[UploadedFile] = RESULT_FILES,
    idempotency_key: str = idempotency_key_header(),
    if_match: str | None = if_match_header(),
) -> HttpResponse:
    described = _documents(documents, files)
    content = {
        "expected_status": str(expected_status),
        "documents": described,
        "files": [_sha256(f) for f in files],
    }

    arguments = {
        "expected_status": str(expected_status),
        "documents": [
            {**d, "stream": f, "name": f.name or ""} for d, f in zip(described, files, strict=True)
        ],
    }
    return _command(
        request,
        case_id,
        idempotency_key,
        if_match,
        arguments,
        case_services.case_return_result,
        fingerprint=content,
    )
