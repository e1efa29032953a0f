"""The HTTP connector to a department's registry.

Each request is ``POST <base_url>/records`` with ``{"item": <data item code>, "subject": <id>}``
and is signed with the registry's own secret::

    X-Lianban-Key: <key id>
    X-Lianban-Timestamp: <unix seconds>
    X-Lianban-Signature: hex(HMAC-SHA256(secret, "POST\\n/path\\n<timestamp>\\n" + hex(SHA-256(body))))

The registry answers 200 with ``{"record": {...}}``, or 404 when it holds nothing about the
subject. A timeout, a connection error or a 5xx is retried (at most ``max_attempts`` times in
all, waiting ``backoff_seconds`` and then twice as long each time); a 4xx is not, as asking
again would not change the answer. Every attempt is logged as a :class:`RegistryCall`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from lianban.sharing.models import DataItem, Registry, RegistryCall
from lianban.sharing.registries import RegistryError

log = logging.getLogger("lianban.sharing")


def signature(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    """The request signature; a registry verifies it with the same function."""
    message = "\n".join([method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify(
    secret: str,
    method: str,
    path: str,
    headers: Any,
    body: bytes,
    *,
    now: float,
    tolerance: int = 300,
) -> bool:
    """True when the headers sign this request with ``secret`` within ``tolerance`` seconds."""
    stamp = headers.get("X-Lianban-Timestamp", "")
    given = headers.get("X-Lianban-Signature", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(given, signature(secret, method, path, stamp, body))


class HttpRegistry:
    def __init__(
        self,
        registry: Registry,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self._sleep = sleep
        self._clock = clock

    def fetch(self, data_item: DataItem, subject: str) -> dict[str, Any] | None:
        r = self.registry
        url = r.base_url.rstrip("/") + "/records"
        path = urlsplit(url).path
        body = json.dumps({"item": data_item.code, "subject": subject}).encode()
        name = data_item.provider.name
        last_error = ""
        for attempt in range(1, max(r.max_attempts, 1) + 1):
            if attempt > 1:
                self._sleep(r.backoff_seconds * 2 ** (attempt - 2))
            stamp = str(int(self._clock()))
            headers = {
                "Content-Type": "application/json",
                "X-Lianban-Key": r.key_id,
                "X-Lianban-Timestamp": stamp,
                "X-Lianban-Signature": signature(r.secret, "POST", path, stamp, body),
            }
            started = time.monotonic()
            status: int | None = None
            try:
                response = requests.post(url, data=body, headers=headers, timeout=r.timeout_seconds)
                status = response.status_code
            except requests.Timeout:
                last_error = f"{name}数据接口在{r.timeout_seconds:g}秒内没有应答"
            except requests.RequestException as exc:
                last_error = f"无法连接{name}数据接口（{type(exc).__name__}）"
            self._log(data_item, attempt, path, status, started, "" if status else last_error)
            if status is None:
                continue
            if status == 200:
                try:
                    record = response.json().get("record")
                except (ValueError, AttributeError):
                    raise RegistryError(f"{name}数据接口的应答格式有误。") from None
                return dict(record) if isinstance(record, dict) else None
            if status == 404:
                return None
            if status in (401, 403):
                raise RegistryError(f"{name}数据接口拒绝了本平台的签名（{status}），请联系管理员。")
            if status < 500:
                raise RegistryError(f"{name}数据接口拒绝了请求（{status}）。")
            last_error = f"{name}数据接口出错（{status}）"
        raise RegistryError(f"{last_error}，已尝试{max(r.max_attempts, 1)}次，暂时无法获取。")

    def _log(
        self,
        data_item: DataItem,
        attempt: int,
        path: str,
        status: int | None,
        started: float,
        error: str,
    ) -> None:
        ms = int((time.monotonic() - started) * 1000)
        RegistryCall.objects.create(
            registry=self.registry,
            data_item=data_item.code,
            attempt=attempt,
            method="POST",
            path=path[:200],
            status=status,
            duration_ms=ms,
            error=error[:300],
        )
        log.info(
            "registry call %s %s attempt=%s status=%s ms=%s %s",
            self.registry.code,
            data_item.code,
            attempt,
            status,
            ms,
            error,
        )
