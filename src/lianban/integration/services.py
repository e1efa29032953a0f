"""系统接入: registering department systems, their secrets and tokens (OAuth 2.0 client
credentials), their webhook subscriptions, and the supervisor's manual resend.

Secrets and tokens are random strings shown once and kept only as SHA-256 digests. Tokens
are opaque rather than signed (JWT): every request reads the token row with its credential
and client anyway, which is what makes revoking either take effect on the very next call."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from lianban.accounts.models import User
from lianban.audit.services import appended_together, record_event
from lianban.catalog.models import Department
from lianban.common.errors import DomainError, NotAllowed
from lianban.common.text import clean_text
from lianban.conf import env
from lianban.integration import addresses
from lianban.integration.models import (
    AccessToken,
    ApiCall,
    ClientCredential,
    ClientSystem,
    Scope,
    Subscription,
    WebhookDelivery,
)
from lianban.integration.outbox import EVENT_TYPES

SECRET_PREFIX = "lbs_"
TOKEN_PREFIX = "lbt_"
WEBHOOK_SECRET_PREFIX = "whsec_"
NODE_SCOPES = {Scope.NODE_FORWARD.value, Scope.WEBHOOKS_MANAGE.value}


class InvalidClient(DomainError):
    """OAuth 2.0 ``invalid_client``: unknown client, wrong or revoked secret."""

    code = "invalid_client"
    status = 401
    # RFC 6749 §5.2: a 401 from the token endpoint names the scheme it accepts.
    headers = {"WWW-Authenticate": 'Basic realm="lianban"'}


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 401
    # RFC 6750 §3: a refused bearer token says how to authenticate.
    headers = {"WWW-Authenticate": 'Bearer realm="lianban", error="invalid_token"'}


class MissingToken(InvalidToken):
    headers = {"WWW-Authenticate": 'Bearer realm="lianban"'}


class OAuthRequestError(DomainError):
    """An OAuth 2.0 error other than the client's identity (RFC 6749 §5.2)."""

    status = 400

    def __init__(self, code: str, message: str, path: str = ""):
        super().__init__(message, path=path)
        self.code = code


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_seconds() -> int:
    return int(env("LIANBAN_API_TOKEN_SECONDS"))


def _supervisor_only(actor: Any) -> None:
    if not getattr(actor, "is_supervisor", False):
        raise NotAllowed("只有政务大数据局可以管理接入系统。")


def _clean_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise DomainError("请从列出的权限范围中选择。", path="scopes")
    return [s for s in Scope.values if s in scopes]


@dataclass(frozen=True)
class IssuedSecret:
    client: ClientSystem
    credential: ClientCredential
    secret: str  # shown once, never stored


def _new_credential(client: ClientSystem) -> IssuedSecret:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    credential = ClientCredential.objects.create(
        client=client, secret_hash=digest(secret), hint=secret[-4:]
    )
    return IssuedSecret(client=client, credential=credential, secret=secret)


# ---- Clients -----------------------------------------------------------------------------


@transaction.atomic
@appended_together()
def client_register(
    *,
    name: str,
    department: Department | None,
    scopes: list[str],
    actor: Any,
    kind: str = ClientSystem.Kind.DEPARTMENT,
) -> IssuedSecret:
    """Register a department system with its service account (a reviewer of the department
    who cannot sign in) and its first secret; or a lower lianban node, whose service
    account hands its forwarded applications in as a window does. ``actor`` None is the
    operator at the server's console (``lianban register_client``)."""
    if actor is not None:
        _supervisor_only(actor)
    name = clean_text(name, max_length=100, path="name", label="系统名称")
    clean_scopes = _clean_scopes(scopes)
    if kind == ClientSystem.Kind.NODE:
        department = None
        if not set(clean_scopes) <= NODE_SCOPES:
            raise DomainError("下级联办平台只能有转送办件和管理事件订阅的权限。", path="scopes")
    elif department is None or department.is_supervisor:
        raise DomainError("接入系统应属于办理事项的部门。", path="department")
    elif Scope.NODE_FORWARD in clean_scopes:
        raise DomainError("部门业务审批系统不能转送办件。", path="scopes")
    client_id = "lbc_" + secrets.token_hex(8)
    account = User(
        username=f"api-{client_id}",
        role=User.Role.REVIEWER if department else User.Role.CLERK,
        department=department,
        display_name=f"{name}（系统接入）",
    )
    account.set_unusable_password()
    account.save()
    client = ClientSystem.objects.create(
        name=name,
        kind=kind,
        department=department,
        client_id=client_id,
        scopes=clean_scopes,
        service_account=account,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    issued = _new_credential(client)
    record_event(
        actor=actor,
        verb="integration.client_registered",
        target=client,
        data={
            "client_id": client_id,
            "name": name,
            "kind": kind,
            "department": department.code if department else "",
            "scopes": clean_scopes,
        },
    )
    return issued


@transaction.atomic
@appended_together()
def client_set_scopes(*, client: ClientSystem, scopes: list[str], actor: Any) -> ClientSystem:
    """Change what the system may do; tokens already issued lose what is taken away at once
    (each request intersects the token's scopes with the client's)."""
    _supervisor_only(actor)
    client = ClientSystem.objects.select_for_update().get(pk=client.pk)
    old = client.scopes
    client.scopes = _clean_scopes(scopes)
    client.save(update_fields=["scopes"])
    record_event(
        actor=actor,
        verb="integration.scopes_changed",
        target=client,
        data={"client_id": client.client_id, "old": old, "new": client.scopes},
    )
    return client


@transaction.atomic
@appended_together()
def client_rotate_secret(
    *, client: ClientSystem, actor: Any, revoke_others: bool = False
) -> IssuedSecret:
    """A new secret. The old ones keep working until revoked, so that the department can
    switch without a pause, unless ``revoke_others`` ends them now."""
    _supervisor_only(actor)
    client = ClientSystem.objects.select_for_update().get(pk=client.pk)
    if not client.is_active:
        raise DomainError("该接入系统已停用。")
    revoked = []
    if revoke_others:
        now = timezone.now()
        revoked = list(
            client.credentials.filter(revoked_at__isnull=True).values_list("hint", flat=True)
        )
        client.credentials.filter(revoked_at__isnull=True).update(revoked_at=now)
    issued = _new_credential(client)
    record_event(
        actor=actor,
        verb="integration.secret_rotated",
        target=client,
        data={"client_id": client.client_id, "new": issued.credential.hint, "revoked": revoked},
    )
    return issued


@transaction.atomic
@appended_together()
def credential_revoke(*, credential: ClientCredential, actor: Any) -> ClientCredential:
    """End one secret and every token issued with it, from the next request on."""
    _supervisor_only(actor)
    credential = ClientCredential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            verb="integration.secret_revoked",
            target=credential.client,
            data={"client_id": credential.client.client_id, "hint": credential.hint},
        )
    return credential


@transaction.atomic
@appended_together()
def client_revoke(*, client: ClientSystem, actor: Any) -> ClientSystem:
    """Stop the system: its secrets, its tokens, its subscriptions and its queued deliveries
    end at once, and its service account is disabled."""
    _supervisor_only(actor)
    client = ClientSystem.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        return client
    now = timezone.now()
    client.revoked_at = now
    client.save(update_fields=["revoked_at"])
    client.credentials.filter(revoked_at__isnull=True).update(revoked_at=now)
    client.subscriptions.filter(disabled_at__isnull=True).update(disabled_at=now)
    # A stopped system receives no more case data, not even what was already queued.
    WebhookDelivery.objects.filter(
        subscription__client=client, status=WebhookDelivery.Status.PENDING
    ).update(status=WebhookDelivery.Status.FAILED, last_error="接入系统已停用，不再投递。")
    User.objects.filter(pk=client.service_account_id).update(is_active=False)
    record_event(
        actor=actor,
        verb="integration.client_revoked",
        target=client,
        data={"client_id": client.client_id},
    )
    return client


# ---- Tokens (OAuth 2.0 client credentials, RFC 6749 §4.4) --------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scopes: list[str]


def token_issue(
    *, client_id: str, client_secret: str, scope: str | None, grant_type: str
) -> IssuedToken:
    """Exchange a client's id and secret for a bearer token that expires."""
    now = timezone.now()
    credential = (
        ClientCredential.objects.select_related("client")
        .filter(secret_hash=digest(client_secret or ""), client__client_id=client_id or "")
        .first()
    )
    if credential is None or credential.revoked_at is not None or not credential.client.is_active:
        ApiCall.objects.create(
            presented_client_id=(client_id or "")[:80],
            method="POST",
            path="/api/v1/oauth/token",
            status_code=InvalidClient.status,
            occurred_at=now,
        )
        raise InvalidClient("客户端标识或密钥不正确，或已被吊销。", path="client_secret")
    client = credential.client
    if grant_type != "client_credentials":
        raise OAuthRequestError(
            "unsupported_grant_type",
            "仅支持 client_credentials 授权方式。",
            path="grant_type",
        )
    wanted = scope.split() if scope else list(client.scopes)
    if any(s not in client.scopes for s in wanted):
        raise OAuthRequestError(
            "invalid_scope", "申请的权限超出该接入系统登记的范围。", path="scope"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    seconds = token_seconds()
    AccessToken.objects.create(
        client=client,
        credential=credential,
        token_hash=digest(token),
        scopes=wanted,
        issued_at=now,
        expires_at=now + dt.timedelta(seconds=seconds),
    )
    ApiCall.objects.create(
        client=client,
        presented_client_id=client.client_id,
        method="POST",
        path="/api/v1/oauth/token",
        status_code=200,
        occurred_at=now,
    )
    return IssuedToken(token=token, expires_in=seconds, scopes=wanted)


def tokens_purge(*, before: dt.datetime) -> int:
    """Delete tokens that expired before ``before`` (they can no longer be used)."""
    deleted, _ = AccessToken.objects.filter(expires_at__lt=before).delete()
    return deleted


# ---- Webhook subscriptions ---------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or len(url) > 300:
        raise DomainError("接收地址应为 http:// 或 https:// 开头的完整网址。", path="url")
    try:
        addresses.check(url, unresolved_ok=True)
    except addresses.AddressRefused as exc:
        raise DomainError(str(exc), path="url") from exc
    return url


def _clean_event_types(event_types: list[str]) -> list[str]:
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        errors = [
            {"path": f"event_types[{n}]", "message": f"没有事件类型“{t}”。"}
            for n, t in enumerate(event_types)
            if t not in EVENT_TYPES
        ]
        raise DomainError("事件类型有误。", errors=errors)
    if not event_types:
        raise DomainError("请至少订阅一种事件。", path="event_types")
    return [t for t in EVENT_TYPES if t in event_types]


@transaction.atomic
@appended_together()
def subscription_create(
    *, client: ClientSystem, url: str, event_types: list[str], actor: Any
) -> Subscription:
    """Subscribe the system to case events of its own department. The signing secret is
    returned on the new row; the system keeps it to check signatures."""
    url = _clean_url(url)
    types = _clean_event_types(event_types)
    sub = Subscription.objects.create(
        client=client,
        url=url,
        event_types=types,
        secret=WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32),
    )
    record_event(
        actor=actor,
        verb="integration.subscription_created",
        target=sub,
        data={"client_id": client.client_id, "url": url, "event_types": types},
    )
    return sub


@transaction.atomic
@appended_together()
def subscription_disable(*, subscription: Subscription, actor: Any) -> Subscription:
    """Stop new deliveries to the subscription (pending ones are still attempted)."""
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.disabled_at is None:
        sub.disabled_at = timezone.now()
        sub.save(update_fields=["disabled_at"])
        record_event(
            actor=actor,
            verb="integration.subscription_disabled",
            target=sub,
            data={"client_id": sub.client.client_id, "url": sub.url},
        )
    return sub


@transaction.atomic
@appended_together()
def delivery_resend(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """The supervisor sends a delivery again (after the receiver is fixed): it is queued
    now, with the same event id, so a receiver that already has it can ignore it."""
    _supervisor_only(actor)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    old = delivery.status
    now = timezone.now()
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = now
    delivery.retry_since = now
    delivery.failures = 0
    delivery.lease_until = None
    delivery.lease_token = ""
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "retry_since",
            "failures",
            "lease_until",
            "lease_token",
        ]
    )
    record_event(
        actor=actor,
        verb="integration.delivery_resent",
        target=delivery,
        data={"event_id": str(delivery.event_id), "old": old},
    )
    return delivery
