"""A person in a real browser (Debian's Chromium, driven by Playwright) finding 我要开饭店,
answering its questions and watching the plan change in place."""

import os
import re

import pytest

from lianban.catalog import loader

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESTAURANT = "我要开饭店（食品小经营店）"
SMALL_SHOP = "食品小经营店登记"
LICENCE = "食品（含保健食品）经营许可核发"
FIRE = "公众聚集场所投入使用、营业前消防安全检查"
SIGN = "设置大型户外广告及在城区建筑物、设施上悬挂、张贴宣传品审批"


@pytest.fixture
def catalog():
    loader.load(loader.read())


def settled(page):
    # htmx restores focus after a swap settles; act only once it has, or a keystroke may go
    # to the element focus is about to be given back to.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def plan_items(page):
    return page.locator("#plan-items").inner_text()


def test_restaurant_guide_updates_as_questions_are_answered(live_server, page, catalog):
    page.goto(live_server.url + "/")
    page.get_by_label("搜索一件事或事项").fill("饭店")
    page.get_by_role("link", name=re.compile(re.escape(RESTAURANT))).click()
    page.wait_for_url(re.compile(r"/guide/[\w-]+/$"))
    guide_url = page.url
    assert page.get_by_role("heading", level=1).inner_text() == RESTAURANT
    assert "个问题未回答" in page.locator("#plan").inner_text()

    page.get_by_label("50㎡以下").check()
    page.wait_for_function(
        "() => document.querySelector('#plan-items').innerText.includes('食品小经营店登记')"
    )
    assert LICENCE not in plan_items(page)
    assert FIRE not in plan_items(page)
    assert "q-" in page.url  # the answers are in the address, so the page can be shared

    page.get_by_label(re.compile("100㎡以上")).check()
    page.wait_for_function(
        "() => document.querySelector('#plan-items').innerText.includes('消防安全检查')"
    )
    items = plan_items(page)
    assert LICENCE in items and FIRE in items and SMALL_SHOP not in items

    sign_question = page.locator("fieldset", has_text="门头")
    sign_question.get_by_label("是", exact=True).check()
    page.wait_for_function(
        "() => document.querySelector('#plan-items').innerText.includes('户外广告')"
    )
    assert SIGN in plan_items(page)
    total = int(page.locator("#plan-total-days").inner_text())
    assert total > 0

    # The whole page works from the keyboard: arrows move between the area options.
    settled(page)
    page.get_by_label(re.compile("100㎡以上")).focus()
    assert page.evaluate("document.activeElement.value") == "gt100"
    page.keyboard.press("ArrowUp")
    page.wait_for_function(
        "() => !document.querySelector('#plan-items').innerText.includes('消防安全检查')"
    )
    assert FIRE not in plan_items(page)

    if os.environ.get("LIANBAN_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["LIANBAN_SCREENSHOTS"], "guide.png"), full_page=True
        )

    page.get_by_role("link", name="打印一次性告知单").click()
    page.wait_for_url(re.compile(r"/notice/"))
    notice = page.locator("article.notice").inner_text()
    assert "一次性告知单" in notice
    assert SIGN in notice
    assert "申请材料" in notice
    if os.environ.get("LIANBAN_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["LIANBAN_SCREENSHOTS"], "notice.png"), full_page=True
        )

    page.goto(guide_url)
    page.get_by_role("link", name="大字模式").click()
    page.wait_for_load_state()
    assert "large-text" in (page.locator("html").get_attribute("class") or "")
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 20
