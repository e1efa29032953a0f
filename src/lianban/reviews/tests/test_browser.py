"""A bad review in real browsers (Debian's Chromium via Playwright): the applicant gives
非常不满意 through the SMS link, the department's reviewer works the follow-up through all
four steps, the applicant's answer closes it, and the public statistics change."""

import pytest

from lianban.accounts.models import User
from lianban.applications.tests.factories import published_restaurant
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory
from lianban.reviews.models import Rectification, Review
from lianban.reviews.tests.factories import completed, token_in_sms
from lianban.window.tests.test_browser import PASSWORD, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stats_row(page, live_server, unit):
    page.goto(live_server.url + "/reviews/stats/")
    row = page.locator(f'tr[data-unit="{unit}"]')
    if not row.count():
        return None
    return {
        "count": row.locator(".count").inner_text(),
        "satisfaction": row.locator(".satisfaction").inner_text(),
        "rectification": row.locator(".rectification-rate").inner_text(),
        "on_time": row.locator(".on-time-rate").inner_text(),
    }


def test_a_bad_review_through_its_follow_up_to_the_end(browser, live_server):
    published_restaurant()
    app = completed()
    reviewer = UserFactory(
        username="scjg-shenpi",
        role=User.Role.REVIEWER,
        department=Department.objects.get(code="scjgj"),
    )
    reviewer.set_password(PASSWORD)
    reviewer.save()

    public = browser.new_context(locale="zh-CN").new_page()
    public.set_default_timeout(10_000)
    assert stats_row(public, live_server, "区市场监管局") is None

    # The applicant opens the SMS link on a phone, without signing in.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    phone.set_default_timeout(10_000)
    phone.goto(live_server.url + f"/reviews/r/{token_in_sms(app)}/")
    assert "我要开饭店" in phone.inner_text("main")
    phone.check("#level-1")
    phone.click("#submit-review")  # forgot what and why: told, nothing saved
    assert "请选择不满意的方面。" in phone.inner_text(".errors")
    assert phone.is_checked("#level-1")
    phone.check("#aspect-efficiency")
    phone.check("#aspect-attitude")
    phone.fill("#comment", "营业执照等了很久，窗口工作人员态度冷淡。")
    phone.click("#submit-review")
    assert "非常不满意" in phone.inner_text("#thanks")
    review = Review.objects.get()
    assert (review.channel, review.level) == ("sms", 1)
    assert stats_row(public, live_server, "区市场监管局") == {
        "count": "1",
        "satisfaction": "0.0%",
        "rectification": "0.0%",
        "on_time": "—",
    }

    # The department's reviewer works the follow-up through all four steps.
    page = person(browser, live_server, "scjg-shenpi")
    page.get_by_role("link", name="差评整改").click()
    page.get_by_role("link", name="我要开饭店").click()
    assert "营业执照等了很久" in page.inner_text("#review-comment")
    assert "待回访" in page.inner_text("#followup-status")
    page.click("#step-submit")  # empty: refused in Chinese, nothing changes
    assert "请填写回访情况。" in page.inner_text("#followup-errors")
    page.fill("#callback_outcome", "11月27日电话回访，申请人反映等候超过一小时。")
    page.click("#step-submit")
    assert "已回访，待核实" in page.inner_text("#followup-status")
    page.check("#finding-partly")
    page.fill("#finding_note", "调取叫号记录，等候时间属实；态度问题未能核实。")
    page.click("#step-submit")
    assert "已核实，待整改" in page.inner_text("#followup-status")
    page.fill("#measures", "午间增开一个综合窗口，组织服务规范培训。")
    page.click("#step-submit")
    assert "已整改，待反馈" in page.inner_text("#followup-status")
    page.fill("#report", "已午间增开窗口并开展服务规范培训，感谢您的监督。")
    page.click("#step-submit")
    assert "已反馈，待申请人确认" in page.inner_text("#followup-status")
    assert not page.locator("#step-form").count()

    # The applicant answers from the SMS that reported back; that closes it.
    phone.goto(live_server.url + f"/reviews/f/{token_in_sms(app, '/reviews/f/')}/")
    assert "午间增开窗口" in phone.inner_text("#report-text")
    phone.check("#satisfied-yes")
    phone.click("#submit-feedback")
    assert "感谢您的反馈" in phone.inner_text("#thanks")
    r = Rectification.objects.get(department__code="scjgj")
    assert (r.status, r.applicant_satisfied) == ("closed", True)
    page.reload()
    assert "已办结" in page.inner_text("#followup-status")
    assert "满意" in page.inner_text("#applicant-answer")

    assert stats_row(public, live_server, "区市场监管局") == {
        "count": "1",
        "satisfaction": "0.0%",
        "rectification": "100.0%",
        "on_time": "100.0%",
    }
    # 城管局 has not acted: its rate is unchanged.
    assert stats_row(public, live_server, "城管局")["rectification"] == "0.0%"
    for p in (public, phone, page):
        p.context.close()


def test_the_window_screen_follows_the_clerks_visits_and_takes_a_key(browser, live_server):
    from lianban.applications.tests.test_delivery_pages import finish_all, received
    from lianban.cases import services as cases

    published_restaurant()
    clerk = UserFactory(username="chuangkou", role=User.Role.CLERK, window="3号综合窗口")
    clerk.set_password(PASSWORD)
    clerk.save()
    app = received("together")
    finish_all(app)

    screen = person(browser, live_server, "chuangkou")
    screen.goto(live_server.url + "/reviews/window/")
    assert screen.locator("#window-idle").count() == 1
    # The clerk hands the results over at the counter; the screen turns to this visit by itself.
    cases.application_deliver(application=app, actor=clerk, recipient="李四")
    screen.locator("#window-level-5").wait_for(timeout=12_000)
    assert app.receipt_number in screen.inner_text("#window-visit")
    screen.keyboard.press("4")  # the fourth button, 不满意: the screen asks what and why
    screen.locator("#window-detail-form").wait_for()
    screen.check("#aspect-delivery")
    screen.fill("#comment", "领取时找不到材料，等了二十分钟。")
    screen.click("#submit-review")
    assert "感谢您的评价" in screen.inner_text("#window-thanks")
    review = Review.objects.get()
    assert (review.channel, review.level, review.occasion.clerk) == ("window", 2, clerk)
    assert Rectification.objects.get().window == "3号综合窗口"
    screen.goto(live_server.url + "/reviews/window/")
    assert screen.locator("#window-idle").count() == 1
    screen.context.close()  # stop the screen's polling before the server goes away
