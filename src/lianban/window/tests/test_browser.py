"""People in real browsers (Debian's Chromium via Playwright): an applicant applying online
for 我要开饭店 and correcting once, the window clerk reviewing it; and a walk-in 出生一件事
taken at the window with one 容缺 material."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from lianban.accounts.models import User
from lianban.applications.models import Application, Notice
from lianban.applications.selectors import plan_of, supplement_limit
from lianban.applications.tests.factories import PDF, ApplicantFactory
from lianban.catalog import loader
from lianban.catalog.tests.factories import UserFactory
from lianban.common.identity import resident_id_check_char

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Yi-jian-shi-2026"


def valid_id(seed: str) -> str:
    first17 = f"41070219{seed}"[:17].ljust(17, "1")
    return first17 + resident_id_check_char(first17)


SAMPLES = {
    "decimal": "40",
    "integer": "2",
    "date": "2026-11-20",
    "text": "测试内容",
    "address": "新乡市卫滨区健康路1号",
    "textarea": "测试说明",
    "phone": "13912345678",
    "email": "test@example.cn",
    "id_number": valid_id("900101001"),
    "credit_code": "91410702MA9ABCDE1F",
}


@pytest.fixture
def catalog():
    loader.load(loader.read())


def person(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def fill_form(page, application, overrides=None):
    """Fill every empty, editable field of the merged form with a value of its type."""
    overrides = overrides or {}
    for f in plan_of(application).fields:
        selector = f"#field-{f['key']}"
        row = page.locator(f"#row-{f['key']}")
        if f["key"] in overrides:
            page.fill(selector, overrides[f["key"]])
        elif f["type"] == "choice":
            page.select_option(selector, index=1)
        elif f["type"] in ("multichoice", "boolean"):
            row.locator("input[type=checkbox], input[type=radio]").first.check()
        elif page.locator(selector).count() and not page.input_value(selector):
            page.fill(selector, SAMPLES[f["type"]])


def upload(page, code, name="scan.pdf"):
    panel = page.locator(f"#material-{code}")
    panel.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF}
    )
    panel.get_by_role("button", name="上传").click()
    page.wait_for_load_state()


def verdict(page, code, key, reason=""):
    page.check(f"#verdict-{code}-{key}")
    if reason:
        page.fill(f"#reason-{code}", reason)
    page.click(f"#verdict-save-{code}")
    page.locator(f"#review-{code} .saved").wait_for()


def test_online_restaurant_with_one_correction(browser, live_server, catalog):
    applicant = ApplicantFactory(name="卫滨区好味道餐饮店")
    applicant.user.set_password(PASSWORD)
    applicant.user.save()
    clerk = UserFactory(username="chuangkou", role=User.Role.CLERK)
    clerk.set_password(PASSWORD)
    clerk.save()

    # The applicant answers the guide and applies online.
    me = person(browser, live_server, applicant.user.username)
    me.goto(live_server.url + "/guide/restaurant/?q-area=lt50&q-sign=no")
    me.click("#start-application")
    me.wait_for_url(re.compile(r"/applications/\d+/$"))
    application = Application.objects.get()
    fill_form(me, application)
    me.get_by_role("button", name="保存草稿").click()
    me.wait_for_load_state()
    for m in plan_of(application).materials:
        upload(me, m["code"])
    me.click("#submit-application")
    me.locator("#receipt-number").wait_for()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    number = application.receipt_number

    # The clerk finds it in the queue, finds the premises proof irregular, asks once.
    window = person(browser, live_server, "chuangkou")
    window.goto(live_server.url + "/window/")
    queue = window.content()
    assert applicant.credit_code not in queue and applicant.masked_identifier in queue
    window.get_by_role("link", name=number).click()
    codes = [m["code"] for m in plan_of(application).materials]
    for code in codes:
        if code == "premises_proof":
            verdict(window, code, "irregular", "租赁合同未盖出租方公章")
        else:
            verdict(window, code, "accepted")
    window.locator("#correction-panel summary").click()
    window.click("#request-correction")
    window.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.CORRECTION

    # The applicant sees the one notice and can change only what it lists.
    me.reload()
    assert "租赁合同未盖出租方公章" in me.locator("#correction").inner_text()
    assert me.locator("#material-premises_proof input[type=file]").count() == 1
    assert me.locator("#material-id_card input[type=file]").count() == 0
    upload(me, "premises_proof", "lease-stamped.pdf")
    me.click("#submit-application")
    me.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED

    # The clerk reviews the corrected application and issues the receipt.
    window.goto(live_server.url + f"/window/applications/{application.pk}/")
    for code in codes:
        verdict(window, code, "accepted")
    window.click("#receive")
    window.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.RECEIVED

    me.reload()
    assert me.locator("#application-status").inner_text() == "已收件，办理中"
    receipt = application.notices.get(kind=Notice.Kind.RECEIPT)
    response = me.request.get(
        live_server.url + f"/applications/{application.pk}/notices/{receipt.pk}/"
    )
    assert response.body().startswith(b"%PDF")


def test_walk_in_birth_with_one_conditional_material(browser, live_server, catalog):
    clerk = UserFactory(username="chuangkou", role=User.Role.CLERK)
    clerk.set_password(PASSWORD)
    clerk.save()
    window = person(browser, live_server, "chuangkou")
    window.goto(live_server.url + "/window/new/")
    window.fill("#q", "出生")
    window.get_by_role("link", name=re.compile("出生一件事")).first.click()
    window.wait_for_url(re.compile(r"/window/new/birth/"))
    window.get_by_label("否", exact=True).check()
    window.fill("#id_applicant-name", "赵六")
    window.fill("#id_applicant-id_number", valid_id("880615002"))
    window.fill("#id_applicant-phone", "13700000006")
    window.click("#create-application")
    window.wait_for_url(re.compile(r"/window/applications/\d+/$"))
    application = Application.objects.get()
    assert application.channel == Application.Channel.WINDOW

    fill_form(
        window,
        application,
        {"father_id_number": valid_id("850312001"), "mother_id_number": valid_id("880615002")},
    )
    window.click("#save-form")
    window.wait_for_load_state()
    plan = plan_of(application)
    for m in plan.materials:
        if m["code"] != "id_photo":
            upload(window, m["code"])
            verdict(window, m["code"], "accepted")

    _, latest = supplement_limit(plan, "id_photo", timezone.localdate())
    window.locator("#conditional-panel summary").click()
    window.check("#defer-check-id_photo")
    window.fill("#defer-due-id_photo", latest.isoformat())
    window.fill("#defer-statement-id_photo", "本人承诺按期补交近期免冠证件照片。")
    window.click("#receive-conditional")
    window.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == Application.Status.RECEIVED
    assert application.conditional
    assert application.commitments.get().due == latest
    assert {f.evidence for f in application.material_files.all()} == {"B"}
    assert sorted(application.notices.values_list("kind", flat=True)) == ["commitment", "receipt"]
    assert latest >= timezone.localdate() + dt.timedelta(days=1)
