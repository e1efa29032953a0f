"""Invitations follow the audit events of completion and of window visits, in the same
transaction, with a single-use link by SMS."""

from __future__ import annotations

import pytest

from lianban.applications import services as intake
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import ApplicantFactory, published_restaurant
from lianban.applications.tests.test_delivery_pages import SMALL, received
from lianban.audit.models import Event
from lianban.notifications.models import Notification
from lianban.reviews.models import Occasion
from lianban.reviews.tests.factories import completed, completion_of, token_in_sms, window_clerk
from lianban.reviews.tokens import hash_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def restaurant():
    return published_restaurant()


def test_completion_invites_a_review_of_the_departments_by_sms():
    clerk = window_clerk()
    app = completed(clerk)
    occasion = completion_of(app)
    assert sorted(occasion.departments.values_list("code", flat=True)) == ["cgj", "scjgj"]
    assert occasion.clerk is None and occasion.window == ""
    token = token_in_sms(app)
    # Only the hash is stored; the SMS carries the token itself.
    assert occasion.token_hash == hash_token(token) and token not in occasion.token_hash
    assert (occasion.expires_at - occasion.created_at).days == 30
    completed_event = Event.objects.get(verb="application.completed", target_id=str(app.pk))
    assert occasion.event_id == completed_event.pk
    assert Event.objects.filter(verb="review.invited").count() == 2  # delivery visit too


def test_a_delivery_at_the_window_is_a_visit_of_that_window_and_clerk():
    clerk = window_clerk("5号综合窗口")
    app = completed(clerk)
    visit = Occasion.objects.get(application=app, kind=Occasion.Kind.DELIVERY)
    assert (visit.window, visit.clerk) == ("5号综合窗口", clerk)
    assert not visit.departments.exists()


def test_an_online_receipt_is_no_visit_but_a_walk_in_receipt_is():
    received("together")
    assert not Occasion.objects.exists()

    clerk = window_clerk()
    applicant = ApplicantFactory(walk_in=True, phone="13900001111")
    app = intake.application_start(
        bundle_code="restaurant", answers=SMALL, applicant=applicant, channel="window", actor=clerk
    )
    intake.application_save_form(
        application=app,
        data={"applicant_name": "李四", "business_area": "40", "applicant_phone": "13900001111"},
        actor=clerk,
    )
    from lianban.applications.tests.factories import pdf

    for m in plan_of(app).materials:
        intake.material_upload(
            application=app,
            material_code=m["code"],
            stream=pdf(),
            name="a.pdf",
            actor=clerk,
            original_seen=True,
        )
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=clerk
        )
    intake.application_receive(application=app, actor=clerk)
    visit = Occasion.objects.get()
    assert (visit.kind, visit.clerk, visit.applicant) == (Occasion.Kind.RECEIPT, clerk, applicant)
    # A walk-in applicant without an account still gets the SMS.
    sms = Notification.objects.filter(phone="13900001111", body__contains="/reviews/r/")
    assert sms.count() == 1 and sms.get().recipient is None


def test_a_rolled_back_completion_invites_nobody():
    from django.db import transaction

    app = received("together")
    from lianban.applications.tests.test_delivery_pages import finish_all

    finish_all(app)
    from lianban.cases import services as cases

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        cases.application_deliver(application=app, actor=window_clerk(), recipient="李四")
        assert Occasion.objects.count() == 2
        raise Boom
    assert not Occasion.objects.exists()
    assert not Notification.objects.filter(body__contains="/reviews/r/").exists()
