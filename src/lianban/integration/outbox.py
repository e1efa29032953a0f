"""The webhook outbox: every case event a department system subscribes to becomes one
delivery row per subscription, written by :func:`enqueue_for_events`, which the audit chain
calls (``on_events``) inside the change's transaction. A change that rolls back leaves no
delivery; a delivery never reports a change that did not happen."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db.models import Q
from django.utils import timezone

from lianban.audit.models import Event
from lianban.integration.models import ClientSystem, Subscription, WebhookDelivery
from lianban.integration.upstream import forwarded_client_of

# The case events a department system may subscribe to: audit verb → what it means.
EVENT_TYPES: dict[str, str] = {
    "case.dispatched": "办件分送本部门",
    "case.supplement_requested": "已要求补正",
    "case.supplement_received": "补正材料已收齐",
    "case.accepted": "已受理",
    "case.refused": "不予受理",
    "case.suspended": "中止计时",
    "case.resumed": "恢复计时",
    "case.extended": "延期",
    "case.decided": "已作出决定",
    "case.result_returned": "办理结果已送回窗口",
    "case.delivered": "办理结果已送达申请人",
    "case.cancelled": "办件已取消",
}
CASE_TARGET = "cases.itemcase"
# Event ids are derived from the audit entry, so every delivery of one event, to whichever
# subscription and however often, carries the same id.
EVENT_NAMESPACE = uuid.UUID("6d1f3c2e-8f4b-5a7e-9c1d-2b3a4c5d6e7f")


def event_id_of(event: Event) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, event.hash)


def payload_of(event: Event, event_id: uuid.UUID) -> dict[str, Any]:
    data = event.data or {}
    return {
        "id": str(event_id),
        "type": event.verb,
        "occurred_at": event.occurred_at.isoformat(),
        "case": {
            "id": int(event.target_id),
            "status": data.get("new", ""),
            "previous_status": data.get("old", ""),
            "item_code": data.get("item", ""),
            "receipt_number": data.get("application", ""),
            "department": data.get("department", ""),
        },
        "data": {
            k: v
            for k, v in data.items()
            if k not in {"new", "old", "item", "application", "department"}
        },
    }


def enqueue_for_events(events: list[Event]) -> list[WebhookDelivery]:
    """For each case event of a change, one pending delivery per active subscription that
    asked for the event's type: the department systems of the case's department, and the
    lower node that forwarded the case here, if it was forwarded. The subscriptions of all the
    change's departments are read at once (a receipt dispatches several cases)."""
    relevant = [
        e
        for e in events
        if e.target_type == CASE_TARGET
        and e.verb in EVENT_TYPES
        and (e.data or {}).get("department")
    ]
    if not relevant:
        return []
    nodes = {r: forwarded_client_of(r) for r in {e.data.get("application", "") for e in relevant}}
    listeners = Q(
        client__kind=ClientSystem.Kind.DEPARTMENT,
        client__department__code__in={e.data["department"] for e in relevant},
    )
    if any(nodes.values()):
        listeners |= Q(client_id__in={n for n in nodes.values() if n is not None})
    subscriptions = list(
        Subscription.objects.filter(
            listeners, disabled_at__isnull=True, client__revoked_at__isnull=True
        ).select_related("client__department")
    )
    now = timezone.now()
    deliveries = []
    for event in relevant:
        node = nodes[event.data.get("application", "")]
        wanted = [
            s for s in subscriptions if event.verb in s.event_types and _listens(s, event, node)
        ]
        if not wanted:
            continue
        event_id = event_id_of(event)
        body = json.dumps(payload_of(event, event_id), ensure_ascii=False, separators=(",", ":"))
        deliveries += [
            WebhookDelivery(
                subscription=s,
                event_id=event_id,
                event_type=event.verb,
                case_id=int(event.target_id),
                body=body,
                next_attempt_at=now,
                retry_since=now,
                created_at=now,
            )
            for s in wanted
        ]
    return WebhookDelivery.objects.bulk_create(deliveries) if deliveries else []


def _listens(subscription: Subscription, event: Event, node: int | None) -> bool:
    """Whether the subscription's system listens to the event's case: a department system of
    the case's department, or the node that forwarded it."""
    client = subscription.client
    if node is not None and client.pk == node:
        return True
    return (
        client.kind == ClientSystem.Kind.DEPARTMENT
        and client.department is not None
        and client.department.code == event.data["department"]
    )
