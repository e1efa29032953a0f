"""Webhook signatures, and the check a receiving department system runs.

Each delivery carries ``Lianban-Signature: t=<unix seconds>,v1=<hex>``, where the hex is
HMAC-SHA256 with the subscription's secret over ``"<t>.<raw body>"``. Signing the time stamp
with the body lets a receiver refuse an old delivery replayed by someone who captured it.

This module uses the standard library only, so that a receiver may copy it as it is::

    from lianban.integration.signature import verify_signature

    if not verify_signature(secret, request.body, request.headers["Lianban-Signature"]):
        return 400
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Lianban-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs exactly ``body`` with ``secret`` and its time stamp is at
    most ``tolerance`` seconds from ``now``. Several ``v1`` values are allowed (a secret
    being rotated); one match suffices."""
    timestamp: int | None = None
    signatures = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, s) for s in signatures)
