"""In a real browser (Debian's Chromium via Playwright): the applicant of a 出生一件事 draft
consents, sees the parents' data prefilled with its source and the household register marked
免提交; then revokes and is asked to upload it again."""

import pytest

from lianban.cases.models import ItemCase
from lianban.catalog import loader
from lianban.sharing import services
from lianban.sharing.directory import ensure_directory
from lianban.sharing.models import AccessLog
from lianban.sharing.tests.helpers import (
    MOTHER_ID,
    applicant,
    birth_draft,
    complete_and_receive,
    parents,
    reviewer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Yi-jian-shi-2026"


@pytest.fixture
def draft():
    loader.load(loader.read())
    ensure_directory()
    parents()
    father = applicant()
    father.user.set_password(PASSWORD)
    father.user.save()
    return birth_draft(father)


def signed_in(browser, live_server, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return context, page


def test_applicant_sees_prefill_and_materials_they_need_not_hand_in(browser, live_server, draft):
    context, page = signed_in(browser, live_server, draft.applicant.user.username)
    page.goto(f"{live_server.url}/applications/{draft.pk}/")

    assert page.input_value("#field-mother_name") == ""
    assert page.locator("#material-household_register").get_by_text("尚未提交").is_visible()
    page.check("#consent-agree")
    page.click("#give-consent")

    assert page.get_by_text("已授权：预填申请表").is_visible()
    assert page.input_value("#field-father_name") == "张三"
    assert page.input_value("#field-mother_name") == "李梅"
    assert page.input_value("#field-mother_id_number") == MOTHER_ID
    assert "已按民政局共享数据预填" in page.inner_text("#row-mother_name")
    assert "已按公安局共享数据预填" in page.inner_text("#row-household_address")
    household = page.inner_text("#material-household_register")
    assert "免提交" in household and "由公安局共享" in household and "A 发证机关共享" in household
    assert "免提交" not in page.inner_text("#material-birth_certificate")

    page.click("#revoke-consent")
    assert page.get_by_text("已撤回共享授权").is_visible()
    assert page.locator("#material-household_register").get_by_text("尚未提交").is_visible()
    assert page.input_value("#field-mother_name") == ""

    page.goto(f"{live_server.url}/sharing/my/")
    assert page.locator("table.access-log tbody tr").count() == 3
    assert "户籍信息" in page.inner_text("table.access-log")
    context.close()


def test_the_department_sees_the_shared_data_with_its_source(browser, live_server, draft):
    services.consent_give(application=draft, actor=draft.applicant.user)
    complete_and_receive(draft)
    case = ItemCase.objects.get(application=draft, item_code="GAJ-001")
    officer = reviewer("gaj")
    officer.set_password(PASSWORD)
    officer.save()
    context, page = signed_in(browser, live_server, officer.username)
    page.goto(f"{live_server.url}/workbench/cases/{case.pk}/")

    panel = page.inner_text("#shared-data")
    assert "户籍信息" in panel and "来源：公安局" in panel and "婚姻登记信息" in panel
    assert "出生登记随父（母）落户" in panel and "李梅" in panel
    household = page.inner_text("#material-household_register")
    assert "免提交" in household and "由公安局共享" in household
    assert AccessLog.objects.filter(reader=officer, case=case, outcome="allowed").count() == 3
    context.close()
