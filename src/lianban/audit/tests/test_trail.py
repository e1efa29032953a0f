"""全程留痕: the trace page shows each reader what they may see of one application — the
applicant their own, the window and the supervisor everything, a department only its cases."""

from __future__ import annotations

import pytest

from lianban.accounts.models import User
from lianban.applications.tests.factories import clerk, published_restaurant
from lianban.cases import services
from lianban.cases.tests.factories import case_of, received_restaurant, reviewer
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(db):
    published_restaurant()
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    services.case_accept(case=fire, actor=reviewer("xfzd"))
    fire.refresh_from_db()
    services.case_refuse(
        case=case_of(app, "CGJ-001"), actor=reviewer("cgj"), reason="门头位置不符合规划"
    )
    return app


def page(client, user, app):
    client.force_login(user)
    return client.get(f"/trail/applications/{app.pk}/")


def test_the_applicant_sees_every_step_of_their_own_application(client, application):
    html = page(client, application.applicant.user, application).content.decode()
    for step in (
        "网上提交申请",
        "收件，出具收件回执",
        "分送部门",
        "受理",
        "不予受理",
        "签发文书（加盖电子印章）",
    ):
        assert step in html, step
    assert "门头位置不符合规划" in html
    assert "消防救援支队" in html and "城管局" in html


def test_another_applicant_gets_not_found(client, application):
    stranger = UserFactory(role=User.Role.APPLICANT)
    assert page(client, stranger, application).status_code == 404


def test_a_department_sees_only_its_own_cases(client, application):
    html = page(client, reviewer("xfzd"), application).content.decode()
    assert "只能看到本部门" in html
    assert "消防救援支队" in html and "受理" in html
    assert "城管局" not in html and "门头位置不符合规划" not in html
    assert "网上提交申请" not in html  # the application's own steps are the window's


def test_a_department_with_no_case_in_it_gets_not_found(client, application):
    published = UserFactory(role=User.Role.REVIEWER, department=None)
    assert page(client, published, application).status_code == 404


def test_the_window_and_the_supervisor_see_everything(client, application):
    for user in (clerk(), UserFactory(supervisor=True)):
        html = page(client, user, application).content.decode()
        assert "网上提交申请" in html and "城管局" in html and "消防救援支队" in html


def test_signing_in_is_required(client, application):
    response = client.get(f"/trail/applications/{application.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
