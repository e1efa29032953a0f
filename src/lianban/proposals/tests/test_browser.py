"""民意征求 in a real browser (Debian's Chromium via Playwright): someone without an account
proposes a new 一件事, the supervisor takes it up on the triage page, and the proposer, on
another device, looks the outcome up with the number and the phone's last four digits."""

import re

import pytest

from lianban.catalog.tests.factories import ServiceItemFactory, UserFactory
from lianban.notifications.models import Notification
from lianban.proposals.models import Proposal
from lianban.proposals.tests.factories import department, editor_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Min-yi-zheng-qiu-2026"


@pytest.fixture
def new_page(browser, live_server):
    """Pages in contexts of their own (three people), closed before the live server stops,
    so no request thread outlives it."""
    contexts = []

    def make():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def test_proposing_and_seeing_the_outcome(new_page, live_server):
    lead = department()
    editor = editor_of(lead)
    item = ServiceItemFactory(name="动物诊疗许可", department=lead)
    supervisor = UserFactory(username="dsj", supervisor=True)
    supervisor.set_password(PASSWORD)
    supervisor.save()

    me = new_page()
    me.goto(live_server.url + "/")
    me.get_by_role("link", name="民意征求").click()
    me.get_by_role("link", name="我要提建议").first.click()
    me.get_by_label("新增一件事").check()
    me.fill("#id_title", "我要开宠物店")
    me.select_option("#id_subject", "legal")
    me.select_option("#id_category", "establish")
    me.select_option("#id_items", str(item.pk))
    me.fill("#id_items_text", "门头招牌")
    me.fill("#id_reason", "开宠物店要跑好几个部门。")
    me.fill("#id_proposer_name", "王五")
    me.fill("#id_phone", "1391234567")  # one digit short
    me.get_by_role("button", name="提交建议").click()
    assert "手机号码应为11位数字" in me.inner_text("main")
    me.fill("#id_phone", "13912345678")
    me.get_by_role("button", name="提交建议").click()
    me.wait_for_url(re.compile(r"/proposals/ZQ\d+/$"))
    number = me.inner_text("#proposal-number")
    assert me.inner_text("#proposal-status") == "待研究"
    assert Notification.objects.filter(phone="13912345678", body__contains=number).exists()

    desk = new_page()
    desk.goto(live_server.url + "/accounts/login/?next=/proposals/manage/")
    desk.fill("#id_username", "dsj")
    desk.fill("#id_password", PASSWORD)
    desk.get_by_role("button", name="登录").click()
    desk.get_by_role("link", name=number).click()
    desk.get_by_label("采纳", exact=True).check()
    desk.select_option("#id_department", str(lead.pk))
    desk.fill("#id_note", "请牵头编制办事指南")
    desk.get_by_role("button", name="确认").click()
    assert desk.inner_text("#proposal-status") == "已采纳"
    assert desk.inner_text("#draft-bundle") == "我要开宠物店"

    proposal = Proposal.objects.get(number=number)
    assert proposal.draft_bundle is not None
    assert proposal.draft_bundle.bundle_items.get().item == item
    assert editor.notifications.filter(subject__contains="我要开宠物店").exists()

    # On another device, without the session that made it: number and last four digits.
    phone = new_page()
    phone.goto(live_server.url + f"/proposals/{number}/")
    phone.fill("#phone_tail", "1234")
    phone.get_by_role("button", name="查询").click()
    assert "不正确" in phone.inner_text("main")
    phone.fill("#phone_tail", "5678")
    phone.get_by_role("button", name="查询").click()
    assert phone.inner_text("#proposal-status") == "已采纳"
    outcome = phone.inner_text("#proposal-outcome")
    assert lead.name in outcome and "请牵头编制办事指南" in outcome
    # And the public list shows it was taken up.
    phone.goto(live_server.url + "/proposals/")
    assert "我要开宠物店" in phone.inner_text("#proposal-list")
