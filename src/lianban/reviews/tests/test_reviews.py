"""Taking a review: the five levels, what a bad review must say, once per occasion, and the
supplementary comment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.catalog.tests.factories import UserFactory
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.reviews import services
from lianban.reviews.models import Rectification, Review
from lianban.reviews.tests.factories import BAD, completed, completion_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def restaurant():
    return published_restaurant()


@pytest.fixture
def occasion():
    return completion_of(completed())


def test_a_good_review_opens_no_follow_up_and_drops_aspects(occasion):
    review = services.review_submit(
        occasion=occasion, channel="sms", level=4, aspects=["fees"], comment="很快"
    )
    assert (review.level, review.get_level_display(), review.aspects) == (4, "满意", [])
    assert not Rectification.objects.exists()
    event = Event.objects.get(verb="review.submitted")
    assert event.data["level"] == 4 and event.data["channel"] == "sms"


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_review_needs_an_aspect_and_a_comment(occasion, level):
    with pytest.raises(DomainError) as exc:
        services.review_submit(occasion=occasion, channel="sms", level=level, comment=" ")
    assert {e["path"] for e in exc.value.errors} == {"aspects", "comment"}
    with pytest.raises(DomainError, match="差评方面须从所列选项中选择"):
        services.review_submit(
            occasion=occasion, channel="sms", level=level, aspects=["weather"], comment="x"
        )
    assert not Review.objects.exists()


def test_no_level_is_refused(occasion):
    for level in (None, "", "6", "0", "很好"):
        with pytest.raises(DomainError, match="请选择评价等级"):
            services.review_submit(occasion=occasion, channel="sms", level=level)


def test_one_review_per_occasion_and_it_cannot_be_changed(occasion):
    services.review_submit(occasion=occasion, channel="sms", level=5)
    with pytest.raises(TransitionError, match="不能更改"):
        services.review_submit(occasion=occasion, channel="sms", **BAD)
    assert Review.objects.get().level == 5


def test_an_expired_invitation_takes_no_review(occasion):
    with (
        time_machine.travel(occasion.expires_at + dt.timedelta(seconds=1)),
        pytest.raises(TransitionError, match="已过期"),
    ):
        services.review_submit(occasion=occasion, channel="sms", level=5)


def test_in_the_portal_only_the_applicant_rates(occasion):
    with pytest.raises(NotAllowed):
        services.review_submit(occasion=occasion, channel="portal", level=5, actor=UserFactory())
    review = services.review_submit(
        occasion=occasion, channel="portal", level=5, actor=occasion.applicant.user
    )
    assert review.channel == Review.Channel.PORTAL


def test_a_supplement_is_appended_once_by_the_applicant(occasion):
    review = services.review_submit(occasion=occasion, channel="sms", level=3)
    with pytest.raises(NotAllowed):
        services.review_supplement(review=review, text="补充", actor=UserFactory())
    with pytest.raises(DomainError, match="请填写追加评价"):
        services.review_supplement(review=review, text="", actor=occasion.applicant.user)
    services.review_supplement(
        review=review, text="后来补办也很顺利", actor=occasion.applicant.user
    )
    review.refresh_from_db()
    assert (review.level, review.supplement) == (3, "后来补办也很顺利")
    with pytest.raises(TransitionError, match="已追加过"):
        services.review_supplement(review=review, text="再来", actor=occasion.applicant.user)


def test_a_bad_review_of_a_completion_opens_one_follow_up_per_department(occasion):
    review = services.review_submit(occasion=occasion, channel="sms", **BAD)
    units = sorted(review.rectifications.values_list("department__code", "status"))
    assert units == [("cgj", "open"), ("scjgj", "open")]
    assert review.aspect_labels == ["办事效率", "服务态度"]
    assert Event.objects.filter(verb="review.rectification_opened").count() == 2
