"""``/api/v1/webhooks``: a department system's subscriptions to its department's case events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Path, Router
from ninja.decorators import decorate_view

from lianban.api.errors import MAX_ID, ErrorOut
from lianban.integration import idempotency, selectors
from lianban.integration import services as integration
from lianban.integration.api.params import idempotency_key_header
from lianban.integration.api.schemas import (
    EventTypeOut,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
)
from lianban.integration.auth import bearer, logged, require
from lianban.integration.models import Scope, Subscription
from lianban.integration.outbox import EVENT_TYPES

router = Router(tags=["系统接入：事件订阅"], auth=bearer)


def _subscription(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.pk,
        "url": sub.url,
        "event_types": sub.event_types,
        "active": sub.disabled_at is None,
        "created_at": sub.created_at,
    }


@router.get(
    "/event-types",
    response={200: list[EventTypeOut], 401: ErrorOut},
    summary="可订阅的事件类型",
    description="本部门办件的各类事件。",
)
@decorate_view(logged)
def event_types(request: HttpRequest) -> list[dict[str, str]]:
    return [{"type": t, "label": label} for t, label in EVENT_TYPES.items()]


@router.get(
    "",
    response={200: list[SubscriptionOut], 401: ErrorOut, 403: ErrorOut},
    summary="本系统的事件订阅",
    description="需要 webhooks:manage 权限。",
)
@decorate_view(logged)
def list_subscriptions(request: HttpRequest) -> HttpResponse:
    context = require(request, Scope.WEBHOOKS_MANAGE)
    body = [
        SubscriptionOut.model_validate(_subscription(s)).model_dump(mode="json")
        for s in context.client.subscriptions.order_by("pk")
    ]
    return JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False})


@router.post(
    "",
    response={
        201: SubscriptionCreatedOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
    },
    summary="订阅事件",
    description=(
        "订阅本部门办件的事件，返回签名密钥（仅此一次）。投递失败时按指数退避重试至少 24 小时；"
        "同一事件的每次投递带相同的 Lianban-Event-Id，接收方据此去重。"
        "需要 webhooks:manage 权限和 Idempotency-Key 请求头。"
    ),
)
@decorate_view(logged)
def create_subscription(
    request: HttpRequest, payload: SubscriptionIn, idempotency_key: str = idempotency_key_header()
) -> HttpResponse:
    context = require(request, Scope.WEBHOOKS_MANAGE)

    def execute() -> idempotency.Result:
        sub = integration.subscription_create(
            client=context.client,
            url=payload.url,
            event_types=payload.event_types,
            actor=context.actor,
        )
        body = SubscriptionCreatedOut.model_validate(
            {**_subscription(sub), "secret": sub.secret}
        ).model_dump(mode="json")
        return idempotency.Result(201, body)

    return idempotency.run(
        client=context.client,
        key=idempotency_key,
        print_=idempotency.fingerprint("POST", request.path, payload.model_dump(mode="json")),
        execute=execute,
    )


@router.delete(
    "/{subscription_id}",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="停用事件订阅",
    description="不再产生新的投递；已排队的投递仍会尝试。需要 webhooks:manage 权限。",
)
@decorate_view(logged)
def disable_subscription(
    request: HttpRequest, subscription_id: int = Path(..., ge=1, le=MAX_ID, description="订阅编号")
) -> HttpResponse:
    context = require(request, Scope.WEBHOOKS_MANAGE)
    sub = context.client.subscriptions.filter(pk=subscription_id).first()
    if sub is None:
        raise selectors.NotFound("未找到该订阅。", path="subscription_id")
    integration.subscription_disable(subscription=sub, actor=context.actor)
    return HttpResponse(status=204)
