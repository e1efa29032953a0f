"""Who is calling: the bearer token of a department system, checked against the database
on every request, and the scopes each endpoint needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja.security.http import HttpAuthBase

from lianban.accounts.models import User
from lianban.api.errors import MAX_ID
from lianban.common.errors import DomainError, NotAllowed
from lianban.conf import env
from lianban.integration.models import AccessToken, ApiCall, ClientSystem
from lianban.integration.services import InvalidToken, MissingToken, digest


class MissingScope(NotAllowed):
    code = "insufficient_scope"
    headers = {"WWW-Authenticate": 'Bearer realm="lianban", error="insufficient_scope"'}


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


def throttle(context: ClientContext, now: float | None = None) -> None:
    """At most ``LIANBAN_API_RATE_LIMIT`` calls per client per clock minute, counted in the
    cache (shared across processes when ``LIANBAN_CACHE_URL`` names Redis). A fixed window is
    enough here: it stops a runaway client without keeping per-request state."""
    limit = int(env("LIANBAN_API_RATE_LIMIT"))
    if limit <= 0:
        return
    current = time.time() if now is None else now
    window = int(current // 60)
    key = f"lianban:api-rate:{context.client_id}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        wait = max(1, int((window + 1) * 60 - current))
        raise RateLimited(
            f"调用过于频繁：每个接入系统每分钟最多调用 {limit} 次，请 {wait} 秒后再试。", wait
        )


@dataclass(frozen=True)
class ClientContext:
    """The calling system, as its token row tells it (ids only: most calls need no more)."""

    client_id: int
    client_key: str  # the public client_id, e.g. lbc_…
    department_id: int | None  # None for a lower node's client
    service_account_id: int
    scopes: frozenset[str]

    @cached_property
    def client(self) -> ClientSystem:
        return ClientSystem.objects.select_related("department").get(pk=self.client_id)

    @cached_property
    def actor(self) -> Any:
        """The service account the case services see as the reviewer."""
        return User.objects.get(pk=self.service_account_id)


def authenticate(token: str) -> ClientContext:
    """The client behind ``token``, read with its credential and client in one query (and
    no model built): an expired token, a revoked secret or a stopped client fail at once."""
    rows = list(
        AccessToken.objects.filter(token_hash=digest(token)).values_list(
            "expires_at",
            "scopes",
            "credential__revoked_at",
            "client_id",
            "client__client_id",
            "client__revoked_at",
            "client__scopes",
            "client__department_id",
            "client__service_account_id",
        )[:1]  # the hash is unique: no ordering needed
    )
    row = rows[0] if rows else None
    if row is None or row[0] <= timezone.now():
        raise InvalidToken("访问令牌无效或已过期，请重新获取。")
    scopes, credential_revoked, pk, key, client_revoked = row[1:6]
    if credential_revoked is not None or client_revoked is not None:
        raise InvalidToken("访问令牌已被吊销。")
    # What the supervisor has since taken away is gone from tokens already issued.
    return ClientContext(
        client_id=pk,
        client_key=key,
        department_id=row[7],
        service_account_id=row[8],
        scopes=frozenset(scopes) & frozenset(row[6]),
    )


class ClientBearer(HttpAuthBase):
    """``Authorization: Bearer <token>`` from ``POST /api/v1/oauth/token``."""

    openapi_scheme = "bearer"
    openapi_type = "http"
    openapi_description = (
        "部门业务审批系统以 client_id 和 client_secret 调用 /api/v1/oauth/token 获取的访问令牌。"
    )

    def __call__(self, request: HttpRequest) -> ClientContext:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise MissingToken("缺少访问令牌：请在 Authorization 头中携带 Bearer 令牌。")
        context = authenticate(token.strip())
        throttle(context)
        return context


bearer = ClientBearer()


def require(request: HttpRequest, scope: str) -> ClientContext:
    context: ClientContext = request.auth  # type: ignore[attr-defined]
    if scope not in context.scopes:
        raise MissingScope(f"该接入系统没有“{scope}”权限。")
    return context


def logged(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps an operation (``ninja.decorators.decorate_view``): one :class:`ApiCall` row per
    call of an authenticated client, whatever the outcome, with the case it concerned."""

    @wraps(run)
    def wrapped(request: HttpRequest, **kw: Any) -> HttpResponseBase:
        start = time.perf_counter()
        response = run(request, **kw)
        context = getattr(request, "auth", None)
        if isinstance(context, ClientContext):
            ApiCall.objects.create(
                client_id=context.client_id,
                presented_client_id=context.client_key,
                method=request.method or "",
                path=request.path[:200],
                status_code=response.status_code,
                case_id=_case_id(kw.get("case_id")),
                duration_ms=int((time.perf_counter() - start) * 1000),
                occurred_at=timezone.now(),
            )
        return response

    return wrapped


def _case_id(value: Any) -> int | None:
    """The case a call named, if it can be a row's id (the call itself refused the rest)."""
    text = str(value or "")
    # isdigit() alone also accepts digits int() refuses, such as "¹".
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None
