"""The pages, through Django's test client: the SMS link (single use, expired, wrong), the
feedback link, the portal, the window's rating screen, the follow-up pages by role, and the
public statistics."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.applications.tests.factories import published_restaurant
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory
from lianban.reviews import services
from lianban.reviews.models import Occasion, Rectification, Review
from lianban.reviews.tests.factories import (
    BAD,
    bad_review,
    completed,
    completion_of,
    reviewer_of,
    supervisor,
    token_in_sms,
    window_clerk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def restaurant():
    return published_restaurant()


@pytest.fixture
def clerk():
    return window_clerk()


@pytest.fixture
def app(clerk):
    return completed(clerk)


# The SMS link.


def test_the_sms_link_rates_once_without_signing_in(client, app):
    token = token_in_sms(app)
    page = client.get(f"/reviews/r/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我要开饭店" in html and "区市场监管局" in html and 'name="level"' in html

    response = client.post(f"/reviews/r/{token}/", {"level": "1", "comment": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择不满意的方面。" in html and "请写明不满意的具体情况。" in html
    assert 'value="1" id="level-1" checked' in html  # the choice is kept

    response = client.post(
        f"/reviews/r/{token}/", {"level": "1", "aspects": ["attitude"], "comment": "态度差"}
    )
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    review = Review.objects.get()
    assert (review.channel, review.level, review.aspects) == ("sms", 1, ["attitude"])
    assert review.rectifications.count() == 2

    again = client.get(f"/reviews/r/{token}/")
    assert again.status_code == 410 and "已评价" in again.content.decode()
    again = client.post(f"/reviews/r/{token}/", {"level": "5"})
    assert again.status_code == 410
    assert Review.objects.get().level == 1


def test_a_wrong_or_expired_link_is_refused(client, app):
    assert client.get("/reviews/r/not-a-token/").status_code == 404
    token = token_in_sms(app)
    occasion = completion_of(app)
    with time_machine.travel(occasion.expires_at + dt.timedelta(minutes=1)):
        response = client.get(f"/reviews/r/{token}/")
        assert response.status_code == 410 and "已过期" in response.content.decode()
        assert client.post(f"/reviews/r/{token}/", {"level": "5"}).status_code == 410
    assert not Review.objects.exists()


def test_the_feedback_link_closes_the_follow_up_once(client, app):
    review = services.review_submit(occasion=completion_of(app), channel="sms", **BAD)
    r = review.rectifications.get(department__code="cgj")
    who = reviewer_of(r.department)
    for action, inputs in (
        ("call_back", {"callback_outcome": "已回访"}),
        ("verify", {"finding": "partly", "finding_note": "部分属实"}),
        ("rectify", {"measures": "加强培训"}),
        ("report", {"report": "已加强培训"}),
    ):
        r = services.rectification_act(rectification=r, action=action, actor=who, inputs=inputs)
    token = token_in_sms(app, "/reviews/f/")
    html = client.get(f"/reviews/f/{token}/").content.decode()
    assert "已加强培训" in html and "城管局" in html
    assert client.post(f"/reviews/f/{token}/", {}).status_code == 400
    response = client.post(f"/reviews/f/{token}/", {"satisfied": "no", "comment": "还要改进"})
    assert response.status_code == 200
    r.refresh_from_db()
    assert (r.status, r.applicant_satisfied, r.applicant_comment) == ("closed", False, "还要改进")
    assert client.get(f"/reviews/f/{token}/").status_code == 404
    assert client.get("/reviews/f/nope/").status_code == 404


# The portal.


def test_the_applicants_page_offers_rating_after_completion(client, app):
    user = app.applicant.user
    client.force_login(user)
    detail = client.get(f"/applications/{app.pk}/").content.decode()
    assert f'href="/reviews/applications/{app.pk}/"' in detail
    page = client.get(f"/reviews/applications/{app.pk}/").content.decode()
    occasion = completion_of(app)
    assert f'id="rate-{occasion.pk}"' in page
    response = client.post(f"/reviews/occasions/{occasion.pk}/rate/", {"level": "5"})
    assert response.status_code == 302
    assert Review.objects.get().channel == "portal"
    page = client.get(f"/reviews/applications/{app.pk}/").content.decode()
    assert "非常满意" in page and f'id="rate-{occasion.pk}"' not in page
    review = Review.objects.get()
    client.post(f"/reviews/reviews/{review.pk}/supplement/", {"supplement": "补充：很好"})
    review.refresh_from_db()
    assert review.supplement == "补充：很好"


def test_another_applicant_cannot_see_or_rate(client, app):
    client.force_login(UserFactory())
    assert client.get(f"/reviews/applications/{app.pk}/").status_code == 404
    occasion = completion_of(app)
    assert client.post(f"/reviews/occasions/{occasion.pk}/rate/", {"level": "5"}).status_code == 404
    assert not Review.objects.exists()


# The window's rating screen.


def test_the_window_screen_shows_the_clerks_current_visit_and_takes_one_rating(client, clerk, app):
    visit = Occasion.objects.get(kind=Occasion.Kind.DELIVERY)
    client.force_login(clerk)
    html = client.get("/reviews/window/").content.decode()
    assert f'data-visit="{visit.pk}"' in html
    for n in range(1, 6):
        assert f'id="window-level-{n}"' in html
    assert 'hx-trigger="every 5s"' in html
    # Polling: nothing to change while the same visit is shown.
    assert client.get(f"/reviews/window/current/?shown={visit.pk}").status_code == 204

    # A bad rating asks what and why before it is taken.
    page = client.post("/reviews/window/rate/", {"occasion": visit.pk, "level": "2"})
    assert 'id="window-detail-form"' in page.content.decode() and not Review.objects.exists()
    page = client.post(
        "/reviews/window/rate/", {"occasion": visit.pk, "level": "2", "detail": "1", "comment": ""}
    )
    assert page.status_code == 400 and not Review.objects.exists()
    page = client.post(
        "/reviews/window/rate/",
        {"occasion": visit.pk, "level": "2", "detail": "1", "aspects": "attitude", "comment": "慢"},
    )
    assert "感谢您的评价" in page.content.decode()
    review = Review.objects.get()
    assert (review.channel, review.level) == ("window", 2)
    assert review.screen_session and review.screen_session != client.session.session_key
    r = Rectification.objects.get()
    assert (r.window, r.department) == ("3号综合窗口", None)

    # One rating per visit: the screen goes idle, and a second post is refused.
    html = client.get("/reviews/window/").content.decode()
    assert 'id="window-idle"' in html
    assert client.get(f"/reviews/window/current/?shown={visit.pk}").status_code == 200
    again = client.post("/reviews/window/rate/", {"occasion": visit.pk, "level": "5"})
    assert again.status_code == 403 and Review.objects.count() == 1


def test_the_window_screen_cannot_rate_another_visit(client, clerk, app):
    completion = completion_of(app)
    visit = Occasion.objects.get(kind=Occasion.Kind.DELIVERY)
    other = window_clerk("5号综合窗口")
    client.force_login(other)
    assert 'id="window-idle"' in client.get("/reviews/window/").content.decode()
    assert (
        client.post("/reviews/window/rate/", {"occasion": visit.pk, "level": "5"}).status_code
        == 403
    )
    client.force_login(clerk)
    # Not the completion (the SMS and the portal rate that), nor an old visit.
    assert (
        client.post("/reviews/window/rate/", {"occasion": completion.pk, "level": "5"}).status_code
        == 403
    )
    with time_machine.travel(visit.created_at + dt.timedelta(minutes=61)):
        assert 'id="window-idle"' in client.get("/reviews/window/").content.decode()
        assert (
            client.post("/reviews/window/rate/", {"occasion": visit.pk, "level": "5"}).status_code
            == 403
        )
    assert not Review.objects.exists()


def test_only_clerks_open_the_window_screen_and_their_workbench_has_no_rating_form(
    client, clerk, app
):
    client.force_login(app.applicant.user)
    assert client.get("/reviews/window/").status_code == 403
    client.force_login(clerk)
    for url in ("/window/", f"/window/applications/{app.pk}/"):
        html = client.get(url).content.decode()
        assert 'name="level"' not in html and "/reviews/window/rate/" not in html


# Follow-up pages.


def test_follow_up_pages_by_role(client):
    review = bad_review()
    market = Department.objects.get(code="scjgj")
    mine = review.rectifications.get(department=market)
    theirs = review.rectifications.get(department__code="cgj")
    client.force_login(reviewer_of(market))
    html = client.get("/reviews/followups/").content.decode()
    assert f'id="followup-{mine.pk}"' in html and f'id="followup-{theirs.pk}"' not in html
    assert client.get(f"/reviews/followups/{theirs.pk}/").status_code == 404
    page = client.get(f"/reviews/followups/{mine.pk}/").content.decode()
    assert 'name="action" value="call_back"' in page and "等了很久" in page
    # The unit sees the number it must call back; no one else does.
    assert f'<span id="callback-phone">{review.occasion.applicant.phone}</span>' in page
    response = client.post(
        f"/reviews/followups/{mine.pk}/act/",
        {"action": "verify", "expected_status": "open", "finding": "true", "finding_note": "x"},
    )
    assert response.status_code == 409
    response = client.post(
        f"/reviews/followups/{mine.pk}/act/",
        {"action": "call_back", "expected_status": "open", "callback_outcome": " "},
    )
    assert response.status_code == 400 and "请填写回访情况。" in response.content.decode()
    response = client.post(
        f"/reviews/followups/{mine.pk}/act/",
        {"action": "call_back", "expected_status": "open", "callback_outcome": "已回访"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "called_back"

    client.force_login(UserFactory())  # an applicant
    assert client.get("/reviews/followups/").status_code == 403


def test_the_supervisor_filters_sees_overdue_and_decides_appeals(client):
    with time_machine.travel(dt.datetime(2026, 9, 30, 2, tzinfo=dt.UTC), tick=False):
        review = bad_review()
    market = Department.objects.get(code="scjgj")
    mine = review.rectifications.get(department=market)
    services.rectification_act(
        rectification=mine,
        action="appeal",
        actor=reviewer_of(market),
        inputs={"appeal_reason": "不实"},
    )
    boss = supervisor()
    client.force_login(boss)
    with time_machine.travel(dt.datetime(2026, 10, 14, 2, tzinfo=dt.UTC), tick=False):
        html = client.get("/reviews/followups/").content.decode()
    overdue = html[
        html.index('id="overdue"') : html.index("</section>", html.index('id="overdue"'))
    ]
    assert "城管局" in overdue and "区市场监管局" not in overdue  # an appeal halts the clock
    appeals = html[html.index('id="appeals"') : html.index('id="overdue"')]
    assert "区市场监管局" in appeals
    filtered = client.get(f"/reviews/followups/?unit=d:{market.pk}").content.decode()
    table = filtered[filtered.index('id="followup-table"') :]
    assert "区市场监管局" in table and "城管局" not in table
    filtered = client.get("/reviews/followups/?status=appealed").content.decode()
    assert f'id="followup-{mine.pk}"' in filtered
    page = client.get(f"/reviews/followups/{mine.pk}/").content.decode()
    assert 'id="uphold-appeal"' in page
    assert review.occasion.applicant.phone not in page
    response = client.post(
        f"/reviews/followups/{mine.pk}/act/", {"action": "uphold_appeal", "appeal_decision": ""}
    )
    assert response.status_code == 400
    client.post(
        f"/reviews/followups/{mine.pk}/act/",
        {"action": "uphold_appeal", "appeal_decision": "属实", "expected_status": "appealed"},
    )
    mine.refresh_from_db()
    assert mine.status == "appeal_upheld"


def test_public_statistics_need_no_sign_in_and_a_fixed_number_of_queries(client):
    bad_review()
    services.review_submit(occasion=completion_of(completed()), channel="sms", level=5)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reviews/stats/")
    assert response.status_code == 200
    assert len(queries) <= 6
    html = response.content.decode()
    row = html[html.index('data-unit="区市场监管局"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num count">2</td>' in row and "50.0%" in row


def test_the_follow_up_list_costs_the_same_queries_for_more_rows(client):
    boss = supervisor()
    client.force_login(boss)
    bad_review()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/reviews/followups/").status_code == 200
        return len(captured)

    first = queries()
    bad_review()
    assert queries() == first


def test_a_malformed_window_post_is_a_404_not_an_error(client, clerk):
    client.force_login(clerk)
    assert client.post("/reviews/window/rate/", {"occasion": "x", "level": "5"}).status_code == 404
