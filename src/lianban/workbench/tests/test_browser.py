"""联办 in real browsers (Debian's Chromium via Playwright), from receipt to archive: a
我要开饭店 worked by four departments in parallel, one suspended for an inspection; and a
企业注销一件事 worked in the order the law sets (tax, then the licence, then the seal)."""

import re

import pytest

from lianban.accounts.models import User
from lianban.applications import services as intake
from lianban.applications.models import Application
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import PDF
from lianban.cases.models import ItemCase
from lianban.catalog import loader
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory
from lianban.window.tests.test_browser import PASSWORD, SAMPLES, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ItemCase.Status


@pytest.fixture
def catalog():
    loader.load(loader.read())


def staff(username, role, department=None):
    user = UserFactory(
        username=username,
        role=role,
        department=Department.objects.get(code=department) if department else None,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def received(code, answers, clerk):
    """An application taken at the window and received (intake has browser tests of its own)."""
    from lianban.accounts.services import applicant_for_walk_in
    from lianban.common.identity import credit_code_check_char

    first17 = "92410702MA1234567"
    applicant = applicant_for_walk_in(
        kind="legal",
        name="卫滨区某某餐饮有限公司",
        phone="13912345678",
        credit_code=first17 + credit_code_check_char(first17),
        legal_representative="李四",
        actor=clerk,
    )
    app = intake.application_start(
        bundle_code=code, answers=answers, applicant=applicant, channel="window", actor=clerk
    )
    plan = plan_of(app)
    data = {}
    for f in plan.fields:
        if app.form_data.get(f["key"]):
            continue
        if f["type"] in ("choice", "multichoice"):
            data[f["key"]] = f["choices"][0]["key"]
        elif f["type"] == "boolean":
            data[f["key"]] = "true"
        else:
            data[f["key"]] = SAMPLES[f["type"]]
    intake.application_save_form(application=app, data=data, actor=clerk)
    import io

    for m in plan.materials:
        intake.material_upload(
            application=app,
            material_code=m["code"],
            stream=io.BytesIO(PDF),
            name="scan.pdf",
            actor=clerk,
            original_seen=True,
        )
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=clerk
        )
    intake.application_receive(application=app, actor=clerk)
    app.refresh_from_db()
    return app


def open_case(page, live_server, case):
    page.goto(live_server.url + "/workbench/")
    page.get_by_role("link", name=case.application.receipt_number).first.wait_for()
    page.goto(live_server.url + f"/workbench/cases/{case.pk}/")


def act(page, button_id, panel=None):
    if panel:
        page.locator(f"#panel-{panel} summary").click()
    page.click(f"#{button_id}")
    page.wait_for_load_state()


def work(page, live_server, case, *, suspend=False):
    """Accept, optionally suspend and resume, approve, and return the licence."""
    open_case(page, live_server, case)
    act(page, "accept")
    assert "办理中" in page.locator("#case-status").inner_text()
    if suspend:
        page.locator("#panel-suspend summary").click()
        page.select_option("#suspend-kind", "inspection")
        page.fill("#suspend-reason", "委托第三方检测消防设施")
        act(page, "suspend")
        assert "中止计时" in page.locator("#case-status").inner_text()
        act(page, "resume")
    page.locator("#panel-decide summary").click()
    page.check("#decide-outcome-approved")
    act(page, "decide")
    page.set_input_files(
        "#doc-0-file", {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.select_option("#doc-0-kind", "licence")
    page.fill("#doc-0-title", f"{case.item_name}（准予）")
    page.fill("#doc-0-number", "卫许字〔2026〕1号")
    act(page, "return-result")
    assert "结果已送回窗口" in page.locator("#case-status").inner_text()


def deliver(window, live_server, app):
    window.goto(live_server.url + f"/window/applications/{app.pk}/")
    window.fill("#recipient", "李四")
    window.click("#deliver")
    window.wait_for_load_state()


def test_restaurant_in_parallel_from_receipt_to_archive(browser, live_server, catalog):
    clerk = staff("chuangkou", User.Role.CLERK)
    app = received("restaurant", {"area": "gt100", "sign": "yes"}, clerk)
    cases = {c.department.code: c for c in app.cases.select_related("department")}
    assert set(cases) == {"scjgj", "xfzd", "zjj", "cgj"}
    assert {c.status for c in cases.values()} == {S.DISPATCHED}

    # Four departments, four browsers, at the same time.
    pages = {
        code: person(browser, live_server, staff(f"{code}-r", User.Role.REVIEWER, code).username)
        for code in cases
    }
    # A reviewer of one department cannot open another's case.
    foreign = pages["cgj"].goto(live_server.url + f"/workbench/cases/{cases['xfzd'].pk}/")
    assert foreign.status == 404
    for code, case in cases.items():
        work(pages[code], live_server, case, suspend=code == "xfzd")

    window = person(browser, live_server, "chuangkou")
    deliver(window, live_server, app)
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED
    assert set(app.cases.values_list("status", flat=True)) == {S.DELIVERED}
    fire = cases["xfzd"]
    assert fire.suspensions.count() == 1


def test_enterprise_deregistration_in_order(browser, live_server, catalog):
    clerk = staff("chuangkou", User.Role.CLERK)
    from lianban.applications.demo import _first_answers

    app = received("enterprise-deregistration", _first_answers("enterprise-deregistration"), clerk)
    by_dept = {c.department.code: c for c in app.cases.select_related("department")}
    assert by_dept["swj"].status == S.DISPATCHED
    assert by_dept["scjgj"].status == S.WAITING
    assert by_dept["gaj"].status == S.WAITING

    for code in ("swj", "scjgj", "gaj"):  # each becomes workable when the one before is decided
        case = ItemCase.objects.get(pk=by_dept[code].pk)
        assert case.status == S.DISPATCHED, (code, case.status)
        page = person(browser, live_server, staff(f"{code}-r", User.Role.REVIEWER, code).username)
        work(page, live_server, case)
        page.context.close()

    window = person(browser, live_server, "chuangkou")
    deliver(window, live_server, app)
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED
    assert re.match(r"\d{8}-\d{4}-\d", app.receipt_number)
