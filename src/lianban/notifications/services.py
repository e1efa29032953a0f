"""Queueing notifications (inside the state change's transaction) and delivering them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from lianban.notifications.backends import SmsError, sms_backend
from lianban.notifications.models import Notification

log = logging.getLogger("lianban.notifications")
MAX_ATTEMPTS = 5


def notify(
    *,
    recipients: Iterable[Any],
    subject: str,
    body: str = "",
    link: str = "",
    channel: str = Notification.Channel.INBOX,
) -> list[Notification]:
    """Queue one in-platform message per recipient."""
    return Notification.objects.bulk_create(
        Notification(recipient=r, channel=channel, subject=subject, body=body, link=link)
        for r in recipients
    )


def notify_applicant(applicant: Any, text: str, *, link: str = "") -> list[Notification]:
    """Tell an applicant by SMS and, if they have an account, in the portal."""
    out = [
        Notification(
            recipient_id=applicant.user_id,
            phone=applicant.phone,
            channel=Notification.Channel.SMS,
            subject=text[:200],
            body=text,
            link=link,
        )
    ]
    if applicant.user_id:
        out.append(
            Notification(recipient_id=applicant.user_id, subject=text[:200], body=text, link=link)
        )
    return Notification.objects.bulk_create(out)


def deliver_sms(limit: int = 100) -> tuple[int, int]:
    """Send queued SMS through the configured gateway. Each message is claimed with a
    compare-and-swap on its status, so two senders never send one message twice; a sender
    killed while sending leaves it queued, and the retry carries the same idempotency key."""
    backend = sms_backend()
    sent = failed = 0
    ids = list(
        Notification.objects.filter(
            channel=Notification.Channel.SMS, status=Notification.Status.QUEUED
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            claimed = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Notification.Status.QUEUED)
                .first()
            )
            if claimed is None:
                continue
            claimed.attempts += 1
            try:
                backend.send(claimed.phone, claimed.body, key=f"lianban-sms-{claimed.pk}")
            except SmsError as exc:
                claimed.error = str(exc)[:300]
                if claimed.attempts >= MAX_ATTEMPTS:
                    claimed.status = Notification.Status.FAILED
                failed += 1
                log.warning("sms %s to %s failed: %s", pk, claimed.phone[:3], exc)
            else:
                claimed.status = Notification.Status.SENT
                claimed.sent_at = timezone.now()
                claimed.error = ""
                sent += 1
            claimed.save(update_fields=["attempts", "status", "sent_at", "error"])
    return sent, failed
