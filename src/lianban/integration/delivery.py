"""Delivering the webhook outbox: claim due rows with a lease, post each signed body to its
receiver, record every attempt, and retry failures with exponential backoff.

A worker claims a batch in one short transaction (``SELECT … FOR UPDATE SKIP LOCKED`` where
the database has it, so several workers never take the same row; SQLite's single writer
serialises the claim instead), then posts outside any transaction. The claim is a lease:
if the worker dies before recording the outcome, the row is due again once the lease has
run out, and is delivered again with the same event id — at least once, never lost."""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from lianban.conf import env
from lianban.integration import addresses
from lianban.integration.models import DeliveryAttempt, WebhookDelivery
from lianban.integration.signature import HEADER, sign

log = logging.getLogger("lianban.integration")

# The lease outlives the longest post (the receiver's timeout) with room to record it.
LEASE = dt.timedelta(seconds=120)
# Retry for at least a day: after each failure wait 1, 2, 4 … minutes, at most 6 hours,
# and give up on the first failure once the delivery has been retried for 24 hours.
BASE_DELAY = dt.timedelta(minutes=1)
MAX_DELAY = dt.timedelta(hours=6)
RETRY_WINDOW = dt.timedelta(hours=24)
BATCH = 50

# (url, body, headers, timeout in seconds) → the receiver's HTTP status; raises when no
# answer came. Tests pass their own; production posts with requests.
Transport = Callable[[str, bytes, dict[str, str], float], int]


def http_transport(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    # Checked again at each delivery: the receiver's name may resolve elsewhere by now.
    # (AddressRefused is a ValueError: the attempt fails and is retried like a timeout.)
    addresses.check(url)
    response = requests.post(
        url, data=body, headers=headers, timeout=timeout, allow_redirects=False
    )
    return response.status_code


def backoff(failures: int, *, jitter: float | None = None) -> dt.timedelta:
    """The wait after the ``failures``-th failure in a row: doubling from one minute, at
    most six hours, plus up to 10% jitter so that receivers coming back are not stampeded."""
    delay = min(BASE_DELAY * (2 ** max(failures - 1, 0)), MAX_DELAY)
    extra = random.random() if jitter is None else jitter
    return delay + delay * 0.1 * extra


def _now() -> dt.datetime:
    return timezone.now()


def claim(*, limit: int = BATCH) -> tuple[list[int], str]:
    """Lease up to ``limit`` due deliveries to this worker: ids and the lease token."""
    now = _now()
    token = secrets.token_hex(8)
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        ).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(
                lease_until=now + LEASE, lease_token=token
            )
    return ids, token


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str


def headers_for(delivery: WebhookDelivery, body: bytes, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "lianban-webhooks/1",
        HEADER: sign(delivery.subscription.secret, body, int(_now().timestamp())),
        "Lianban-Event-Id": str(delivery.event_id),
        "Lianban-Event-Type": delivery.event_type,
        "Lianban-Delivery-Attempt": str(attempt),
    }


def deliver_one(pk: int, token: str, transport: Transport | None = None) -> Outcome | None:
    """Post one leased delivery and record the attempt. None if the lease was lost."""
    attempt = _begin(pk, token)
    if attempt is None:
        return None
    delivery = attempt.delivery
    body = delivery.body.encode("utf-8")
    number = attempt.number
    start = time.perf_counter()
    status_code: int | None = None
    try:
        status_code = (transport or http_transport)(
            delivery.subscription.url,
            body,
            headers_for(delivery, body, number),
            float(env("LIANBAN_WEBHOOK_TIMEOUT")),
        )
        error = "" if 200 <= status_code < 300 else f"接收方返回 HTTP {status_code}"
    except Exception as exc:  # any failure to get an answer is one failed attempt
        error = f"{type(exc).__name__}: {exc}"[:300]
    duration = int((time.perf_counter() - start) * 1000)
    outcome = Outcome(delivered=not error, status_code=status_code, error=error)
    _record(attempt, token, duration, outcome)
    return outcome


@transaction.atomic
def _begin(pk: int, token: str) -> DeliveryAttempt | None:
    """Enter the attempt before posting (committed at once): a worker that dies mid-post
    leaves it unfinished, and the next worker's attempt is numbered after it."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=pk)
    if delivery.lease_token != token or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    delivery.attempts += 1
    delivery.save(update_fields=["attempts"])
    return DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, started_at=_now()
    )


@transaction.atomic
def _record(attempt: DeliveryAttempt, token: str, duration: int, outcome: Outcome) -> None:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=attempt.delivery_id)
    attempt.duration_ms = duration
    attempt.status_code = outcome.status_code
    attempt.error = outcome.error
    attempt.save(update_fields=["duration_ms", "status_code", "error"])
    if delivery.lease_token != token:
        return  # another worker took over after our lease ran out; it decides the row
    now = _now()
    delivery.lease_until = None
    delivery.lease_token = ""
    if outcome.delivered:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
    else:
        delivery.failures += 1
        delivery.last_error = outcome.error
        if now - delivery.retry_since >= RETRY_WINDOW:
            delivery.status = WebhookDelivery.Status.FAILED
            log.warning(
                "webhook %s gave up after %s attempts", delivery.event_id, delivery.attempts
            )
        else:
            delivery.next_attempt_at = now + backoff(delivery.failures)
    delivery.save()


def deliver_due(*, transport: Transport | None = None, limit: int = BATCH) -> tuple[int, int]:
    """One pass: deliver everything due now, batch by batch. Returns (delivered, failed)."""
    delivered = failed = 0
    while True:
        ids, token = claim(limit=limit)
        if not ids:
            return delivered, failed
        for pk in ids:
            outcome = deliver_one(pk, token, transport)
            if outcome is None:
                continue
            if outcome.delivered:
                delivered += 1
            else:
                failed += 1
