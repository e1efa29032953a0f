"""Queueing notifications. Called from inside a state change's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lianban.notifications.models import Notification


def notify(
    *,
    recipients: Iterable[Any],
    subject: str,
    body: str = "",
    link: str = "",
    channel: str = Notification.Channel.INBOX,
) -> list[Notification]:
    """Queue one message per recipient; delivery is the worker's job."""
    return Notification.objects.bulk_create(
        Notification(recipient=r, channel=channel, subject=subject, body=body, link=link)
        for r in recipients
    )
