"""The lower node's side of 互联互通: cases of a routed department go to an upstream node (a
city or province lianban), and the upstream case's events drive the local case.

- Forwarding: when a case of a department in the route table is dispatched, a
  :class:`Forwarding` row is written in the dispatching transaction (``on_events``, as the
  webhook outbox is). A worker (``lianban forward_cases``) claims due rows with a lease and
  posts the item, its fields and its materials to the upstream node's ``/node/cases``
  under an idempotency key, so a retry after a lost answer never makes a second case.
- Mirroring: the upstream node's webhook deliveries for that case arrive at
  ``/api/v1/node/events/<code>``, signed with the subscription's secret; each is applied
  once (by event id) through the same case services the workbench uses, as the route's
  service account, so the local clocks move on the same days as the upstream ones and both
  audit trails hold the same steps. The upstream department's sealed result is kept exactly
  as issued there.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import requests
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from lianban.audit.models import Event
from lianban.audit.services import appended_together, record_event
from lianban.cases import services as case_services
from lianban.cases.models import ItemCase
from lianban.common.errors import DomainError, TransitionError
from lianban.conf import env
from lianban.integration import addresses
from lianban.integration.delivery import LEASE, RETRY_WINDOW, backoff
from lianban.integration.models import Forwarding, MirroredEvent, NodeRoute, UpstreamNode
from lianban.integration.signature import verify_signature

log = logging.getLogger("lianban.integration")

# (method, url, headers, json body or None, timeout) → (status, parsed JSON body).
Transport = Callable[[str, str, dict[str, str], Any, float], tuple[int, Any]]


class UpstreamError(Exception):
    """The upstream node did not answer as expected; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def http_transport(
    method: str, url: str, headers: dict[str, str], body: Any, timeout: float
) -> tuple[int, Any]:
    addresses.check(url)
    # The token endpoint takes a form (RFC 6749); every other call JSON.
    form = url.endswith("/oauth/token")
    response = requests.request(
        method,
        url,
        headers=headers,
        data=body if form else None,
        json=None if form else body,
        timeout=timeout,
        allow_redirects=False,
    )
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def _timeout() -> float:
    return float(env("LIANBAN_WEBHOOK_TIMEOUT"))


# ---- Connecting to an upstream node ---------------------------------------------------------


def node_connect(
    *,
    code: str,
    name: str,
    base_url: str,
    client_id: str,
    client_secret: str,
    departments: list[Any],
    events_url: str,
    transport: Transport | None = None,
) -> UpstreamNode:
    """Register (or update) an upstream node, route ``departments`` to it, and subscribe
    to the events of the cases forwarded there, keeping the subscription's signing secret.
    Run at the console by the operator (``lianban connect_node``); audited as the system."""
    from lianban.accounts.models import User
    from lianban.integration.outbox import EVENT_TYPES

    addresses.check(base_url)
    node, _ = UpstreamNode.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "base_url": base_url.rstrip("/"),
            "client_id": client_id,
            "client_secret": client_secret,
            "disabled_at": None,
        },
    )
    _tokens.pop(node.pk, None)
    status, data = _call(
        node,
        "POST",
        "/webhooks",
        {"url": events_url, "event_types": sorted(EVENT_TYPES)},
        headers={"Idempotency-Key": f"subscribe-{code}-{secrets.token_hex(8)}"},
        transport=transport,
    )
    if status != 201 or not isinstance(data, dict) or not data.get("secret"):
        message = data.get("message", "") if isinstance(data, dict) else ""
        raise UpstreamError(f"上级平台未接受事件订阅（HTTP {status}）{message}", permanent=True)
    with transaction.atomic():
        node.events_secret = data["secret"]
        node.save(update_fields=["events_secret"])
        for department in departments:
            if NodeRoute.objects.filter(department=department).exclude(node=node).exists():
                raise DomainError(f"{department.name}已转送其他上级平台。", path="department")
            if NodeRoute.objects.filter(department=department, node=node).exists():
                continue
            account = User(
                username=f"node-{code}-{department.code}"[:150],
                role=User.Role.REVIEWER,
                department=department,
                display_name=f"{name}（上级平台）",
            )
            account.set_unusable_password()
            account.save()
            NodeRoute.objects.create(node=node, department=department, service_account=account)
        record_event(
            actor=None,
            verb="integration.node_connected",
            target=node,
            data={
                "code": code,
                "base_url": node.base_url,
                "departments": sorted(d.code for d in departments),
                "events_url": events_url,
            },
        )
    return node


# ---- Routing (inside the dispatching transaction) -----------------------------------------


def route_dispatched_cases(events: list[Event]) -> list[Forwarding]:
    """``on_events`` hook: each dispatched case of a routed department → its outbox row (the
    routes of all the change's departments read at once)."""
    dispatched = [
        e for e in events if e.verb == "case.dispatched" and e.target_type == "cases.itemcase"
    ]
    if not dispatched:
        return []
    routes = {
        route.department.code: route
        for route in NodeRoute.objects.filter(
            department__code__in={(e.data or {}).get("department") for e in dispatched},
            node__disabled_at__isnull=True,
        ).select_related("node", "department")
    }
    forwardings = []
    for event in dispatched:
        route = routes.get((event.data or {}).get("department", ""))
        if route is None:
            continue
        now = timezone.now()
        forwarding, _ = Forwarding.objects.get_or_create(
            case_id=int(event.target_id),
            defaults={"route": route, "next_attempt_at": now, "created_at": now},
        )
        forwardings.append(forwarding)
    return forwardings


# ---- Talking to the upstream node -----------------------------------------------------------

_tokens: dict[int, tuple[str, float]] = {}


def _call(
    node: UpstreamNode,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    transport: Transport | None = None,
) -> tuple[int, Any]:
    send = transport or http_transport
    url = node.base_url.rstrip("/") + path
    for fresh in (False, True):
        auth = {"Authorization": f"Bearer {_token(node, send, fresh=fresh)}"}
        status, data = send(method, url, {**auth, **(headers or {})}, body, _timeout())
        if status != 401:
            return status, data
    return status, data


def _token(node: UpstreamNode, send: Transport, *, fresh: bool = False) -> str:
    held = _tokens.get(node.pk)
    if held and not fresh and held[1] > time.time() + 30:
        return held[0]
    status, data = send(
        "POST",
        node.base_url.rstrip("/") + "/oauth/token",
        {},
        {
            "grant_type": "client_credentials",
            "client_id": node.client_id,
            "client_secret": node.client_secret,
        },
        _timeout(),
    )
    if status != 200 or not isinstance(data, dict) or "access_token" not in data:
        raise UpstreamError(
            f"上级平台拒绝了本平台的身份（HTTP {status}）。", permanent=status == 401
        )
    _tokens[node.pk] = (data["access_token"], time.time() + int(data.get("expires_in", 300)))
    return str(data["access_token"])


def forward_payload(case: ItemCase) -> dict[str, Any]:
    """What the upstream node needs for the item, and no more: the applicant, the situation
    answers, the item's own fields and materials (minimum necessary)."""
    from lianban.applications.selectors import current_files

    application = case.application
    applicant = application.applicant
    item = case.item
    files = current_files(application)
    materials = []
    for code in item.material_codes:
        f = files.get(code)
        if f is None:
            continue
        with f.file.open("rb") as fh:
            content = fh.read()
        materials.append(
            {
                "code": code,
                "name": f.original_name,
                "evidence": f.evidence,
                "sha256": f.sha256,
                "content_base64": base64.b64encode(content).decode(),
            }
        )
    return {
        "bundle_code": application.bundle_version.bundle.code,
        "answers": application.answers,
        "item_code": case.item_code,
        "applicant": {
            "kind": applicant.kind,
            "name": applicant.name,
            "id_number": applicant.id_number,
            "credit_code": applicant.credit_code,
            "legal_representative": applicant.legal_representative,
            "legal_representative_id": applicant.legal_representative_id,
            "phone": applicant.phone,
        },
        "form": {
            k: application.form_data[k] for k in item.field_keys if k in application.form_data
        },
        "materials": materials,
        "origin": {"receipt_number": application.receipt_number, "case_id": case.pk},
    }


# ---- The forwarding worker ------------------------------------------------------------------


def claim(*, limit: int = 20) -> tuple[list[int], str]:
    now = timezone.now()
    token = secrets.token_hex(8)
    with transaction.atomic():
        due = Forwarding.objects.filter(
            status=Forwarding.Status.PENDING, next_attempt_at__lte=now
        ).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if ids:
            Forwarding.objects.filter(pk__in=ids).update(lease_until=now + LEASE, lease_token=token)
    return ids, token


def forward_one(pk: int, token: str, transport: Transport | None = None) -> bool | None:
    """Send one leased case upstream. True when forwarded, False on failure, None if the
    lease was lost to another worker."""
    forwarding = Forwarding.objects.select_related(
        "route__node",
        "case__application__applicant",
        "case__application__bundle_version__bundle",
        "case__item",
    ).get(pk=pk)
    if forwarding.lease_token != token or forwarding.status != Forwarding.Status.PENDING:
        return None
    node = forwarding.route.node
    try:
        status, data = _call(
            node,
            "POST",
            "/node/cases",
            forward_payload(forwarding.case),
            # The key is the local case: whichever attempt arrives, one upstream case.
            headers={"Idempotency-Key": f"forward-case-{forwarding.case_id}"},
            transport=transport,
        )
        if status not in (200, 201) or not isinstance(data, dict):
            message = (data or {}).get("message", "") if isinstance(data, dict) else ""
            raise UpstreamError(
                f"上级平台返回 HTTP {status}{'：' + message if message else ''}",
                permanent=400 <= status < 500 and status not in (401, 408, 409, 429),
            )
    except UpstreamError as exc:
        _failed(pk, token, str(exc), permanent=exc.permanent)
        return False
    except Exception as exc:  # no answer at all: retried like a webhook
        _failed(pk, token, f"{type(exc).__name__}: {exc}", permanent=False)
        return False
    _forwarded(pk, token, int(data["id"]), str(data.get("receipt_number", "")))
    return True


@transaction.atomic
@appended_together()
def _forwarded(pk: int, token: str, upstream_id: int, upstream_receipt: str) -> None:
    forwarding = Forwarding.objects.select_for_update().select_related("route__node").get(pk=pk)
    if forwarding.lease_token != token:
        return
    forwarding.status = Forwarding.Status.FORWARDED
    forwarding.upstream_case_id = upstream_id
    forwarding.upstream_receipt_number = upstream_receipt
    forwarding.forwarded_at = timezone.now()
    forwarding.attempts += 1
    forwarding.lease_until = None
    forwarding.lease_token = ""
    forwarding.last_error = ""
    forwarding.save()
    case = ItemCase.objects.select_related("application", "department").get(pk=forwarding.case_id)
    record_event(
        actor=forwarding.route.service_account,
        verb="case.forwarded",
        target=case,
        data={
            "application": case.application.receipt_number,
            "item": case.item_code,
            "department": case.department.code,
            "node": forwarding.route.node.code,
            "upstream_case_id": upstream_id,
            "upstream_receipt_number": upstream_receipt,
        },
    )


@transaction.atomic
@appended_together()
def _failed(pk: int, token: str, error: str, *, permanent: bool) -> None:
    forwarding = Forwarding.objects.select_for_update().get(pk=pk)
    if forwarding.lease_token != token:
        return
    now = timezone.now()
    forwarding.attempts += 1
    forwarding.last_error = error[:300]
    forwarding.lease_until = None
    forwarding.lease_token = ""
    if permanent or now - forwarding.created_at >= RETRY_WINDOW:
        forwarding.status = Forwarding.Status.FAILED
        log.warning("forwarding case %s gave up: %s", forwarding.case_id, error)
    else:
        forwarding.next_attempt_at = now + backoff(forwarding.attempts)
    forwarding.save()


def forward_due(*, transport: Transport | None = None) -> tuple[int, int]:
    """One pass over the due forwardings. Returns (forwarded, failed)."""
    done = failed = 0
    while True:
        ids, token = claim()
        if not ids:
            return done, failed
        for pk in ids:
            outcome = forward_one(pk, token, transport)
            if outcome is True:
                done += 1
            elif outcome is False:
                failed += 1


# ---- Mirroring the upstream case's events ---------------------------------------------------


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 401


class UnknownCase(DomainError):
    code = "not_found"
    status = 404


class NotYet(DomainError):
    """The event cannot be applied yet (an earlier one has not arrived): the upstream node
    will deliver it again."""

    code = "not_yet"
    status = 409


def _results(node: UpstreamNode, upstream_id: int, transport: Transport | None) -> list[dict]:
    status, data = _call(node, "GET", f"/node/cases/{upstream_id}/results", transport=transport)
    if status != 200 or not isinstance(data, list):
        raise NotYet(f"暂时无法从上级平台取得办理结果（HTTP {status}）。")
    return [
        {
            "kind": d["kind"],
            "title": d["title"],
            "number": d.get("number", ""),
            "name": d["name"],
            "stream": io.BytesIO(base64.b64decode(d["content_base64"])),
        }
        for d in data
    ]


def _apply(case: ItemCase, actor: Any, kind: str, data: dict, documents: list[dict]) -> None:
    s = case_services
    if kind == "case.accepted":
        s.case_accept(case=case, actor=actor)
    elif kind == "case.refused":
        s.case_refuse(case=case, actor=actor, reason=data.get("reason") or "上级平台不予受理")
    elif kind == "case.suspended":
        s.case_suspend(case=case, actor=actor, kind=data["kind"], reason=data["reason"])
    elif kind == "case.resumed":
        s.case_resume(case=case, actor=actor)
    elif kind == "case.extended":
        s.case_extend(
            case=case,
            actor=actor,
            days=int(data["days"]),
            approver=data["approver"],
            reason=data["reason"],
        )
    elif kind == "case.decided":
        s.case_decide(
            case=case, actor=actor, outcome=data["outcome"], reason=data.get("reason", "")
        )
    elif kind == "case.result_returned":
        s.case_return_result(
            case=case, actor=actor, documents=documents, issued_by=case.forwarding.route.node.name
        )


MIRRORED = {
    "case.accepted",
    "case.refused",
    "case.suspended",
    "case.resumed",
    "case.extended",
    "case.decided",
    "case.result_returned",
}


def mirror_event(
    *, node: UpstreamNode, body: bytes, signature: str, transport: Transport | None = None
) -> str:
    """Apply one signed upstream event to the local case: 'applied', 'duplicate' or
    'ignored' (an event with nothing to mirror, e.g. the upstream dispatch)."""
    if not node.events_secret or not verify_signature(node.events_secret, body, signature):
        raise InvalidSignature("事件签名无效。", path="Lianban-Signature")
    try:
        event = json.loads(body)
        event_id, kind = event["id"], event["type"]
        upstream_id = int(event["case"]["id"])
        occurred_at = dt.datetime.fromisoformat(event["occurred_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DomainError("事件内容无法解析。", path="body") from exc
    forwarding = (
        Forwarding.objects.filter(route__node=node, upstream_case_id=upstream_id)
        .select_related("route__service_account", "route__node")
        .first()
    )
    if forwarding is None:
        raise UnknownCase("没有转送到该上级办件的本地办件。", path="case.id")
    if MirroredEvent.objects.filter(event_id=event_id).exists():
        return "duplicate"
    # Fetched before the transaction: no row is locked while the upstream node answers.
    documents = _results(node, upstream_id, transport) if kind == "case.result_returned" else []
    try:
        with transaction.atomic():
            MirroredEvent.objects.create(
                forwarding=forwarding, event_id=event_id, event_type=kind, occurred_at=occurred_at
            )
            if kind in MIRRORED:
                case = ItemCase.objects.select_related("forwarding__route__node").get(
                    pk=forwarding.case_id
                )
                try:
                    _apply(
                        case,
                        forwarding.route.service_account,
                        kind,
                        event.get("data") or {},
                        documents,
                    )
                except TransitionError as exc:
                    raise NotYet(f"暂不能应用该事件：{exc.message}") from exc
    except IntegrityError:
        return "duplicate"  # the same event, applied meanwhile by a concurrent delivery
    return "applied" if kind in MIRRORED else "ignored"
