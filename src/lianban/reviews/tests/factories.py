"""Occasions and reviews made through the real services: an application completed by the
window (the restaurant in miniature: 区市场监管局 and 城管局), and its reviews."""

from __future__ import annotations

import re
from typing import Any

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.applications.tests.test_delivery_pages import finish_all, received
from lianban.cases import services as cases
from lianban.catalog.tests.factories import UserFactory
from lianban.notifications.models import Notification
from lianban.reviews import services
from lianban.reviews.models import Occasion, Review

BAD = {"level": 1, "aspects": ["efficiency", "attitude"], "comment": "等了很久，态度冷淡。"}


def window_clerk(window: str = "3号综合窗口", **kwargs: Any) -> User:
    return UserFactory(role=User.Role.CLERK, window=window, **kwargs)


def completed(clerk: User | None = None) -> Application:
    """An online restaurant application, all three results handed over at the window."""
    app = received("together")
    finish_all(app)
    cases.application_deliver(application=app, actor=clerk or window_clerk(), recipient="李四")
    app.refresh_from_db()
    return app


def completion_of(app: Application) -> Occasion:
    return Occasion.objects.get(application=app, kind=Occasion.Kind.COMPLETION)


def token_in_sms(app: Application, path: str = "/reviews/r/") -> str:
    """The token of the latest SMS link of this kind sent to the applicant."""
    for n in Notification.objects.filter(
        channel=Notification.Channel.SMS, phone=app.applicant.phone
    ).order_by("-id"):
        found = re.search(re.escape(path) + r"([A-Za-z0-9_-]+)/", n.body)
        if found:
            return found.group(1)
    raise AssertionError("no such link was sent")


def bad_review(app: Application | None = None) -> Review:
    app = app or completed()
    return services.review_submit(occasion=completion_of(app), channel=Review.Channel.SMS, **BAD)


def reviewer_of(department: Any) -> User:
    return UserFactory(role=User.Role.REVIEWER, department=department)


def supervisor() -> User:
    return UserFactory(role=User.Role.SUPERVISOR)
