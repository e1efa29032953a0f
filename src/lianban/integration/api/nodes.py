"""``/api/v1/node``: 互联互通 between lianban nodes (操作规程 第十二条).

On an upstream (city or province) node, a lower node's client system forwards an item of
an application it received (``POST /node/cases``) and reads that case and its results. On
the lower node, ``POST /node/events/{code}`` receives the upstream node's signed webhook
deliveries for the cases it forwarded and applies them to its own cases."""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Path, Router
from ninja.decorators import decorate_view

from lianban.api.errors import MAX_ID, ErrorOut
from lianban.cases.models import ItemCase
from lianban.integration import idempotency, nodes, upstream
from lianban.integration.api.params import idempotency_key_header
from lianban.integration.api.schemas import (
    ForwardedCaseOut,
    ForwardedResultOut,
    ForwardIn,
    MirrorOut,
)
from lianban.integration.auth import ClientContext, bearer, logged, require
from lianban.integration.models import Scope, UpstreamNode
from lianban.integration.selectors import NotFound

router = Router(tags=["系统接入：平台互联"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _forwarded_case(context: ClientContext, case_id: int) -> ItemCase:
    """A case this node client forwarded; 404 for any other."""
    case = (
        ItemCase.objects.filter(
            pk=case_id, application__forwarded_from__client_id=context.client_id
        )
        .select_related("application")
        .first()
    )
    if case is None:
        raise NotFound("未找到该办件。", path="case_id")
    return case


def _case_body(case: ItemCase) -> dict[str, Any]:
    return ForwardedCaseOut.model_validate(
        {
            "id": case.pk,
            "receipt_number": case.application.receipt_number,
            "status": case.status,
            "outcome": case.outcome,
            "running_due": case.running_due,
            "clocks": [
                {
                    "kind": c.kind,
                    "started_on": c.started_on,
                    "due": c.due,
                    "stopped_at": c.stopped_at,
                    "met": c.met,
                }
                for c in case.clocks.order_by("pk")
            ],
        }
    ).model_dump(mode="json")


@router.post(
    "/cases",
    auth=bearer,
    response={201: ForwardedCaseOut, **ERRORS},
    summary="下级平台转送办件",
    description=(
        "上级平台接口：下级联办平台把已收件申请中的一个事项转送本平台办理。本平台按本平台"
        "已发布的同一一件事和情形回答确定办理部门，建立已收件的申请和办件并立即分送。需要 "
        "node:forward 权限和 Idempotency-Key；同一原办件重复转送时返回首次建立的办件。"
    ),
)
@decorate_view(logged)
def forward_case(
    request: HttpRequest, payload: ForwardIn, idempotency_key: str = idempotency_key_header()
) -> HttpResponse:
    context = require(request, Scope.NODE_FORWARD)
    content = payload.model_dump(mode="json")

    def execute() -> idempotency.Result:
        case = upstream.forwarded_receive(client=context.client, payload=content)
        return idempotency.Result(201, _case_body(case), {})

    return idempotency.run(
        client=context.client,
        key=idempotency_key,
        print_=idempotency.fingerprint(request.method or "", request.path, content),
        execute=execute,
    )


@router.get(
    "/cases/{case_id}",
    auth=bearer,
    response={200: ForwardedCaseOut, **ERRORS},
    summary="转送办件的状态",
    description="上级平台接口：本下级平台转送的办件的状态和各项计时。需要 node:forward 权限。",
)
@decorate_view(logged)
def forwarded_case(
    request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号")
) -> dict[str, Any]:
    context = require(request, Scope.NODE_FORWARD)
    return _case_body(_forwarded_case(context, case_id))


@router.get(
    "/cases/{case_id}/results",
    auth=bearer,
    response={200: list[ForwardedResultOut], **ERRORS},
    summary="转送办件的办理结果",
    description=(
        "上级平台接口：办件的办理结果（已签章的文件，Base64），下级平台原样保存、送达，"
        "不再签章。需要 node:forward 权限。"
    ),
)
@decorate_view(logged)
def forwarded_results(
    request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID, description="办件编号")
) -> list[dict[str, Any]]:
    context = require(request, Scope.NODE_FORWARD)
    case = _forwarded_case(context, case_id)
    out = []
    for doc in case.results.order_by("pk"):
        with doc.file.open("rb") as fh:
            content = fh.read()
        out.append(
            {
                "kind": doc.kind,
                "title": doc.title,
                "number": doc.number,
                "sha256": doc.sha256,
                "name": doc.file.name.rsplit("/", 1)[-1],
                "content_base64": base64.b64encode(content).decode(),
            }
        )
    return out


@router.post(
    "/events/{code}",
    auth=None,
    response={200: MirrorOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="接收上级平台的办件事件",
    description=(
        "下级平台接口：上级平台按事件订阅投递的、本平台转送办件的事件（带 Lianban-Signature "
        "签名）。每个事件按事件标识只应用一次；重复投递返回 duplicate。前一事件尚未到达、"
        "暂不能应用时返回 409，上级平台稍后重发。"
    ),
)
def node_events(
    request: HttpRequest, code: str = Path(..., max_length=32, description="上级平台代码")
) -> HttpResponse:
    node = UpstreamNode.objects.filter(code=code, disabled_at__isnull=True).first()
    if node is None:
        raise NotFound("未登记该上级平台。", path="code")
    result = nodes.mirror_event(
        node=node, body=request.body, signature=request.headers.get("Lianban-Signature", "")
    )
    return JsonResponse({"result": result})
