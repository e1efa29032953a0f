"""The dashboard in a real browser (Debian's Chromium via Playwright): the charts draw on
their canvases, and without JavaScript the same numbers stand in tables."""

import pytest

from lianban.accounts.models import User
from lianban.catalog.tests.factories import UserFactory
from lianban.supervision import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Jian-cha-2026"
SCREENSHOT = "/tmp/supervision-dashboard.png"

# Counts the pixels of a chart's canvas that are neither transparent nor white.
INKED = """(id) => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas) { return -1; }
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) { inked++; }
  }
  return inked;
}"""


def sign_in(browser, live_server, username, *, javascript=True):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def supervisor():
    user = UserFactory(username="jiancha", role=User.Role.SUPERVISOR, display_name="监察员")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_the_charts_draw_and_the_figures_match(browser, live_server, october):
    services.refresh_figures()
    supervisor()
    page = sign_in(browser, live_server, "jiancha")
    page.goto(live_server.url + "/supervision/?month=2026-10&by=department")
    page.wait_for_function("() => document.documentElement.dataset.chartsReady === 'yes'")
    assert page.is_visible("#trend-chart") and page.is_visible("#dimension-chart")
    assert page.evaluate(INKED, "trend-chart") > 2000
    assert page.evaluate(INKED, "dimension-chart") > 2000
    assert page.inner_text("#total-dispatched") == "8"
    assert page.inner_text("#total-processing-rate") == "66.7%"
    ranking = page.locator("#ranking tbody th").all_inner_texts()
    assert ranking == ["市场监管局", "卫生健康委", "消防救援大队"]
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Drill down from a department's refusals to the case itself.
    page.click(f"#row-department-{october['d2'].pk} a[href*='figure=refused']")
    page.wait_for_load_state()
    assert page.locator("#drill tbody tr").count() == 1
    assert "消防救援大队" in page.inner_text("#drill")
    page.context.close()


def test_without_javascript_the_tables_carry_the_figures(browser, live_server, october):
    services.refresh_figures()
    supervisor()
    page = sign_in(browser, live_server, "jiancha", javascript=False)
    page.goto(live_server.url + "/supervision/?month=2026-10&by=window")
    assert not page.is_visible("#trend-chart")
    assert page.is_visible("#trend") and page.is_visible("#figures")
    assert "1号窗口" in page.inner_text("#figures")
    assert page.locator("#trend tbody tr").count() == 12
    page.context.close()
