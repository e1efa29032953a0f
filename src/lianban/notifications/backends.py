"""SMS gateways, chosen by LIANBAN_SMS_BACKEND. The default keeps messages in the database
outbox, where staff read them in the admin; ``http`` posts them to a provider."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Protocol

from lianban.conf import env


class SmsError(Exception):
    pass


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, *, key: str = "") -> None: ...


class OutboxBackend:
    """Delivery is the outbox itself: the message stays visible to staff, marked sent."""

    def send(self, phone: str, text: str, *, key: str = "") -> None:
        if not phone:
            raise SmsError("没有手机号码")


class HttpBackend:
    """POST ``{"phone", "text"}`` as JSON with a bearer token; any 2xx is success.

    Each message carries its ``Idempotency-Key``, the same on every send: a sender that dies
    after posting, before recording it, leaves the message queued, and the next sender posts
    it again — the provider drops the repeat by the key, and the person gets one SMS."""

    def __init__(self, url: str, token: str, timeout: float = 10.0):
        if not url:
            raise SmsError("LIANBAN_SMS_URL is not set")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str, *, key: str = "") -> None:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
                **({"Idempotency-Key": key} if key else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SmsError(f"provider answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"provider unreachable: {exc}") from exc


def sms_backend() -> SmsBackend:
    name = env("LIANBAN_SMS_BACKEND")
    if name == "outbox":
        return OutboxBackend()
    if name == "http":
        return HttpBackend(env("LIANBAN_SMS_URL"), env("LIANBAN_SMS_TOKEN"))
    raise SmsError(f"unknown LIANBAN_SMS_BACKEND {name!r}")
