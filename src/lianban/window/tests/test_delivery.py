"""送达 at the window, through Django's test client: the "结果待送达" queue, the item cases
and their results on the review page, and "登记送达" by the applicant's chosen method — each
result as it is done, everything together, or by post — until the application is complete and
archived."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.accounts.models import User
from lianban.applications.models import Application
from lianban.applications.tests.factories import ApplicantFactory, clerk, published_restaurant
from lianban.applications.tests.test_delivery_pages import (
    ADDRESS,
    case_of,
    finish,
    finish_all,
    received,
)
from lianban.cases import services as cases
from lianban.cases.models import Delivery, ItemCase, ResultDocument
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
C = ItemCase.Status


@pytest.fixture
def restaurant():
    return published_restaurant()


@pytest.fixture
def window(client):
    user = clerk()
    client.force_login(user)
    return user


def queue_section(client) -> str:
    html = client.get("/window/").content.decode()
    start = html.index('id="delivering-title"')
    return html[start : html.index("</section>", start)]


def test_each_lets_the_window_deliver_one_result_while_others_are_open(client, restaurant, window):
    app = received("each")
    assert "没有待送达的办理结果" in queue_section(client)
    finish(case_of(app, "SCJGJ-001"))

    section = queue_section(client)
    assert app.receipt_number in section
    assert "各事项办结后分别领取" in section and "营业执照登记" in section

    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert 'id="deliver-form"' in review
    assert 'id="recipient"' in review
    assert "本次送达：营业执照登记" in review

    # The recipient is required: the error sits next to it.
    response = client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": " "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写领取人。" in html
    assert html.index("请填写领取人。", html.index('id="recipient"')) > 0
    assert not Delivery.objects.exists()

    response = client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": "李四"})
    assert response.status_code == 302
    statuses = dict(app.cases.values_list("item_code", "status"))
    assert statuses == {
        "SCJGJ-001": C.DELIVERED,
        "SCJGJ-003": C.DISPATCHED,
        "CGJ-001": C.DISPATCHED,
    }
    delivery = Delivery.objects.get()
    assert (delivery.method, delivery.recipient, delivery.recorded_by) == ("each", "李四", window)
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED
    assert "没有待送达的办理结果" in queue_section(client)

    # The method can no longer change once something was delivered.
    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert 'id="change-delivery"' not in review
    assert "领取人 李四" in review
    assert "暂无已送回窗口、可以送达的办理结果。" in review


def test_together_waits_for_everything_then_one_delivery_completes_and_archives(
    client, restaurant, window
):
    app = received("together")
    finish(case_of(app, "SCJGJ-001"))
    finish(case_of(app, "SCJGJ-003"))

    assert app.receipt_number not in queue_section(client)
    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert 'id="deliver-form"' not in review
    assert "须待全部事项办结后统一送达。尚未办结：设置大型户外广告审批（待受理）。" in review

    response = client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": "张三"})
    assert response.status_code == 409
    assert "目前没有可以送达的办理结果" in response.content.decode()
    assert not Delivery.objects.exists()

    finish(case_of(app, "CGJ-001"))
    assert app.receipt_number in queue_section(client)
    response = client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": "张三"})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.cases.count() == 3
    assert set(app.cases.values_list("status", flat=True)) == {C.DELIVERED}
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED
    assert app.completed_at and app.archived_at

    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert "已办结归档" in review
    assert 'id="deliver-form"' not in review and 'id="change-delivery"' not in review
    assert app.receipt_number not in queue_section(client)


def test_post_needs_a_tracking_number(client, restaurant, window):
    app = received("post", ADDRESS)
    finish_all(app)
    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert ADDRESS in review and 'id="tracking-number"' in review

    response = client.post(f"/window/applications/{app.pk}/deliver/", {"tracking_number": ""})
    assert response.status_code == 400
    assert "邮寄送达请填写邮件号。" in response.content.decode()
    response = client.post(f"/window/applications/{app.pk}/deliver/", {"tracking_number": "9" * 41})
    assert response.status_code == 400
    assert "邮件号不能超过40个字。" in response.content.decode()
    assert f'value="{"9" * 41}"' in response.content.decode()
    assert not Delivery.objects.exists()

    response = client.post(
        f"/window/applications/{app.pk}/deliver/", {"tracking_number": "EMS1234567890CN"}
    )
    assert response.status_code == 302
    assert Delivery.objects.get().tracking_number == "EMS1234567890CN"
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED


def test_self_print_is_left_to_the_applicant(client, restaurant, window):
    app = received("self_print")
    finish_all(app)
    assert "待申请人网上下载" in queue_section(client)
    review = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert 'id="deliver-form"' not in review
    assert "首次下载即视为送达" in review


def test_a_clerk_cannot_change_an_archived_application(client, restaurant, window):
    app = received("together")
    finish_all(app)
    client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": "张三"})
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED

    response = client.post(
        f"/window/applications/{app.pk}/delivery/",
        {"delivery_method": "post", "delivery_address": ADDRESS},
    )
    assert response.status_code == 409
    assert "不能再更改送达方式。" in response.content.decode()
    response = client.post(f"/window/applications/{app.pk}/deliver/", {"recipient": "张三"})
    assert response.status_code == 409
    app.refresh_from_db()
    assert (app.delivery_method, app.delivery_address) == ("together", "")
    assert Delivery.objects.count() == 1


def test_the_window_changes_the_method_for_the_applicant_at_the_counter(client, restaurant, window):
    app = received("together")
    response = client.post(f"/window/applications/{app.pk}/delivery/", {"delivery_method": "post"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "邮寄送达请填写完整的收件地址。" in html
    assert 'id="window-delivery-address-error"' in html
    assert '<option value="post" selected>' in html

    response = client.post(
        f"/window/applications/{app.pk}/delivery/",
        {"delivery_method": "post", "delivery_address": ADDRESS},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.delivery_method, app.delivery_address) == ("post", ADDRESS)


def test_the_review_page_shows_the_cases_and_serves_results_to_clerks_only(
    client, restaurant, window
):
    app = received("each")
    base = finish(case_of(app, "SCJGJ-001"), title="营业执照")
    sign = case_of(app, "CGJ-001")
    reviewer = UserFactory(role=User.Role.REVIEWER, department=sign.department)
    cases.case_refuse(case=sign, actor=reviewer, reason="门头位置不符合规划")
    doc = ResultDocument.objects.get(case=base)
    url = f"/window/applications/{app.pk}/results/{doc.pk}/"

    html = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert "结果已送回窗口" in html and "不予受理" in html and "待受理" in html
    assert "不予受理理由：门头位置不符合规划" in html
    assert f'href="{url}"' in html and "许可证《营业执照》" in html

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # Another application's address for this document: not found.
    other = received("each")
    assert client.get(f"/window/applications/{other.pk}/results/{doc.pk}/").status_code == 404

    client.force_login(app.applicant.user)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_the_delivery_queue_takes_a_fixed_number_of_queries(client, restaurant, window):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/window/").status_code == 200
        return len(ctx.captured_queries)

    first = received("each", applicant=ApplicantFactory())
    finish(case_of(first, "SCJGJ-001"))
    one = count()
    for _ in range(3):
        app = received("each", applicant=ApplicantFactory())
        finish(case_of(app, "CGJ-001"))
    assert queue_section(client).count("<tr>") == 5  # the header and four applications
    assert count() == one


def test_the_delivery_queue_shows_the_longest_waiting_first_and_stops_at_a_page(
    client, restaurant, window, monkeypatch
):
    # A province's hall may have tens of thousands of results waiting: the page lists the
    # first rows in the order the results came back and says there are more.
    from lianban.window import views

    monkeypatch.setattr(views, "QUEUE_ROWS", 2)
    apps = []
    for _ in range(3):
        app = received("each", applicant=ApplicantFactory())
        finish(case_of(app, "SCJGJ-001"))
        apps.append(app)
    # Not deliverable yet (everything together, two cases open): never listed.
    waiting = received("together", applicant=ApplicantFactory())
    finish(case_of(waiting, "SCJGJ-001"))

    section = queue_section(client)
    assert section.count("<tr>") == 3  # the header and two applications
    assert "结果待送达（2+）" in section and "仅列出等候最久的 2 件" in section
    assert section.index(apps[0].receipt_number) < section.index(apps[1].receipt_number)
    assert apps[2].receipt_number not in section and waiting.receipt_number not in section

    cases.application_deliver(application=apps[0], actor=window, recipient="张三")
    section = queue_section(client)
    assert "结果待送达（2）" in section and "仅列出" not in section
    assert apps[1].receipt_number in section and apps[2].receipt_number in section
