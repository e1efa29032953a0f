"""The applicant's side of delivery (送达), through Django's test client: the delivery method
at the submit step and afterwards, the progress of each item case, electronic self-print (the
first download is the delivery) and the read-only archived application."""

from __future__ import annotations

import pytest

from lianban.accounts.models import User
from lianban.applications import services
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import ApplicantFactory, clerk, pdf, published_restaurant
from lianban.cases import services as cases
from lianban.cases.models import Delivery, ItemCase, ResultDocument
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Under 50㎡ with a shop sign: 营业执照登记 and 食品小经营店登记 (区市场监管局) and
# 设置大型户外广告审批 (城管局), all three dispatched at once.
SMALL = {"area": "lt50", "sign": "yes"}
FORM = {
    "applicant_name": "卫滨区好味道小吃店",
    "business_area": "40",
    "applicant_phone": "13912345678",
}
ADDRESS = "卫辉市卫滨区人民路88号好味道小吃店"
C = ItemCase.Status


def draft(applicant=None) -> Application:
    applicant = applicant or ApplicantFactory()
    app = services.application_start(
        bundle_code="restaurant",
        answers=SMALL,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    services.application_save_form(application=app, data=FORM, actor=applicant.user)
    for m in plan_of(app).materials:
        services.material_upload(
            application=app,
            material_code=m["code"],
            stream=pdf(),
            name=f"{m['code']}.pdf",
            actor=applicant.user,
        )
    return app


def received(method: str = "together", address: str = "", applicant=None) -> Application:
    """A received application, made through the intake services, with its cases."""
    app = draft(applicant)
    user = app.applicant.user
    cases.application_choose_delivery(application=app, method=method, address=address, actor=user)
    app = services.application_submit(application=app, actor=user)
    window = clerk()
    for m in plan_of(app).materials:
        services.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=window
        )
    services.application_receive(application=app, actor=window)
    app.refresh_from_db()
    return app


def case_of(app: Application, code: str) -> ItemCase:
    return ItemCase.objects.get(application=app, item_code=code)


def officer(case: ItemCase) -> User:
    return UserFactory(role=User.Role.REVIEWER, department=case.department)


def finish(case: ItemCase, title: str = "营业执照") -> ItemCase:
    """The department accepts, approves and returns the result to the window."""
    who = officer(case)
    case = cases.case_accept(case=case, actor=who)
    case = cases.case_decide(case=case, actor=who, outcome="approved")
    return cases.case_return_result(
        case=case,
        actor=who,
        documents=[
            {
                "kind": "licence",
                "title": title,
                "number": f"JY{case.pk:06d}",
                "stream": pdf(),
                "name": "x.pdf",
            }
        ],
    )


def finish_all(app: Application) -> None:
    for case in app.cases.filter(status=C.DISPATCHED):
        finish(case, title=case.item_name)


@pytest.fixture
def restaurant():
    return published_restaurant()


# The delivery method.


def test_choosing_post_without_an_address_is_refused_in_chinese(client, restaurant):
    app = received()
    client.force_login(app.applicant.user)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "全部办结后统一领取" in page and 'id="change-delivery"' in page

    response = client.post(
        f"/applications/{app.pk}/delivery/",
        {"delivery_method": "post", "delivery_address": " 人民路 "},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "邮寄送达请填写完整的收件地址。" in html
    assert 'id="change-delivery-address-error"' in html  # next to the address input
    assert '<option value="post" selected>' in html  # what was chosen is kept
    assert 'value=" 人民路 "' in html
    app.refresh_from_db()
    assert app.delivery_method == "together"
    response = client.post(
        f"/applications/{app.pk}/delivery/",
        {"delivery_method": "post", "delivery_address": ADDRESS * 20},
    )
    assert response.status_code == 400
    assert "邮寄地址不能超过200个字。" in response.content.decode()

    response = client.post(
        f"/applications/{app.pk}/delivery/",
        {"delivery_method": "post", "delivery_address": ADDRESS},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.delivery_method, app.delivery_address) == ("post", ADDRESS)
    assert ADDRESS in client.get(f"/applications/{app.pk}/").content.decode()


def test_the_delivery_method_is_chosen_beside_the_submit_button(client, restaurant):
    app = draft()
    client.force_login(app.applicant.user)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'id="submit-delivery-method"' in page

    response = client.post(
        f"/applications/{app.pk}/save/",
        {"then": "submit", "delivery_method": "post", "delivery_address": ""},
    )
    assert response.status_code == 400
    assert "邮寄送达请填写完整的收件地址。" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT and app.receipt_number is None

    response = client.post(
        f"/applications/{app.pk}/save/",
        {"then": "submit", "delivery_method": "self_print", "delivery_address": ""},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED
    assert app.delivery_method == "self_print"


def test_saving_a_draft_keeps_the_delivery_choice(client, restaurant):
    app = draft()
    client.force_login(app.applicant.user)
    response = client.post(
        f"/applications/{app.pk}/save/",
        {"then": "save", "delivery_method": "post", "delivery_address": ADDRESS},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.delivery_method, app.delivery_address) == ("draft", "post", ADDRESS)


def test_a_refused_delivery_choice_keeps_the_form_as_it_was(client, restaurant):
    # One request, one outcome: a bad address refuses the form saved beside it too, and the
    # page shows what was typed again.
    from lianban.audit.models import Event

    app = draft()
    client.force_login(app.applicant.user)
    events = Event.objects.count()
    response = client.post(
        f"/applications/{app.pk}/save/",
        {
            "then": "save",
            "f-applicant_name": "卫滨区新名字小吃店",
            "delivery_method": "post",
            "delivery_address": "",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "邮寄送达请填写完整的收件地址。" in html
    assert "卫滨区新名字小吃店" in html
    app.refresh_from_db()
    assert app.form_data["applicant_name"] == FORM["applicant_name"]
    assert app.delivery_method == "together"
    assert Event.objects.count() == events


# Progress.


def test_the_received_page_shows_each_case_with_its_clock_and_the_planned_date(client, restaurant):
    app = received()
    client.force_login(app.applicant.user)
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert 'id="planned-completion"' in html
    assert f"{app.planned_completion:%Y年%-m月%-d日}" in html
    assert html.count("待受理") >= 3
    assert "受理期限" in html

    base = case_of(app, "SCJGJ-001")
    who = officer(base)
    base = cases.case_accept(case=base, actor=who)
    cases.case_extend(case=base, actor=who, days=3, approver="王局长", reason="需现场核查")
    shop = case_of(app, "SCJGJ-003")
    shop = cases.case_accept(case=shop, actor=who)
    cases.case_suspend(case=shop, actor=who, kind="inspection", reason="委托检验")
    sign = case_of(app, "CGJ-001")
    cases.case_refuse(case=sign, actor=officer(sign), reason="门头位置不符合户外广告设置规划")

    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert "办理中" in html and "已延期" in html
    assert "中止计时" in html
    assert "不予受理理由：门头位置不符合户外广告设置规划" in html
    due = base.clocks.get(kind="decision").due
    assert f'办理期限 <span class="due">{due:%Y年%-m月%-d日}</span>' in html


# Self-print.


def test_self_print_the_first_download_is_the_delivery(client, restaurant):
    app = received("self_print")
    client.force_login(app.applicant.user)
    first = finish(case_of(app, "SCJGJ-001"))
    doc = ResultDocument.objects.get(case=first)
    url = f"/applications/{app.pk}/results/{doc.pk}/"

    # An electronic result can be printed as soon as it is back, like "each".
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert f'action="{url}"' in html  # a button: downloading records the delivery
    assert client.get(url).status_code == 302  # a stray link does not deliver
    assert not Delivery.objects.exists()

    # Someone else's application, or a clerk through the applicant's address: not found.
    client.force_login(ApplicantFactory().user)
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    client.force_login(clerk())
    assert client.post(url).status_code == 404
    assert not Delivery.objects.exists()

    client.force_login(app.applicant.user)
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    delivery = Delivery.objects.get()
    assert delivery.method == "self_print"
    assert delivery.recorded_by == app.applicant.user
    assert delivery.cases.count() == 1
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED
    finish_all(app)
    for other in ResultDocument.objects.exclude(case=first):
        client.post(f"/applications/{app.pk}/results/{other.pk}/")
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED

    # Later downloads are plain links and record nothing more.
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert f'href="{url}"' in html
    again = client.get(url)
    assert again.status_code == 200 and again["Content-Disposition"].startswith("attachment")
    assert Delivery.objects.count() == 2  # the first result, then the other two together
    client.force_login(ApplicantFactory().user)
    assert client.get(url).status_code == 404


def test_results_are_not_downloadable_by_the_applicant_for_other_methods(client, restaurant):
    app = received("each")
    doc_case = finish(case_of(app, "SCJGJ-001"))
    doc = ResultDocument.objects.get(case=doc_case)
    client.force_login(app.applicant.user)
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert "结果已送回综合窗口" in html
    assert f"/results/{doc.pk}/" not in html
    assert client.post(f"/applications/{app.pk}/results/{doc.pk}/").status_code == 404


# Archived.


def test_the_archived_application_is_read_only(client, restaurant):
    app = received("together")
    finish_all(app)
    cases.application_deliver(application=app, actor=clerk(), recipient="张三")
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED

    client.force_login(app.applicant.user)
    html = client.get(f"/applications/{app.pk}/").content.decode()
    assert "已办结归档" in html
    assert 'id="change-delivery"' not in html
    assert "submit-application" not in html and "撤回申请" not in html
    assert f"/applications/{app.pk}/save/" not in html
    assert f"/applications/{app.pk}/upload/" not in html
    assert "领取人 张三" in html

    response = client.post(
        f"/applications/{app.pk}/delivery/", {"delivery_method": "each", "delivery_address": ""}
    )
    assert response.status_code == 409
    assert "不能再更改送达方式。" in response.content.decode()
    app.refresh_from_db()
    assert app.delivery_method == "together"

    mine = client.get("/applications/").content.decode()
    assert "已办结" in mine and "已归档" in mine
