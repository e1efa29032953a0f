"""The window workbench, through Django's test client: who may use it, the queue, a walk-in
application from start to receipt, a correction notice and a 容缺 acceptance."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection

from lianban.accounts.models import Applicant, User
from lianban.applications import services
from lianban.applications.models import (
    Application,
    Commitment,
    MaterialFile,
    MaterialReview,
    Notice,
)
from lianban.applications.tests.factories import (
    PDF,
    ApplicantFactory,
    clerk,
    pdf,
    publish,
    published_restaurant,
)
from lianban.catalog.tests.factories import UserFactory
from lianban.common.identity import credit_code_check_char

pytestmark = pytest.mark.django_db

BIG = {"area": "ge100", "sign": "yes"}
MATERIALS = ("id_card", "lease", "floor_plan", "sign_design")
FORM = {
    "applicant_name": "卫滨区好味道餐饮店",
    "business_area": "120.5",
    "applicant_phone": "13912345678",
}
# A Tuesday in an ordinary week: the next working day is Wednesday.
TUESDAY = dt.datetime(2026, 9, 29, 2, tzinfo=dt.UTC)


def credit_code(serial: str = "MA4567890") -> str:
    first17 = "92410702" + serial
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def restaurant():
    return published_restaurant()


@pytest.fixture
def window(client):
    user = clerk()
    client.force_login(user)
    return user


def upload_file(name: str = "scan.pdf", data: bytes = PDF) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def online_submission(applicant=None) -> Application:
    applicant = applicant or ApplicantFactory()
    app = services.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    services.application_save_form(application=app, data=FORM, actor=applicant.user)
    for code in MATERIALS:
        services.material_upload(
            application=app,
            material_code=code,
            stream=pdf(),
            name=f"{code}.pdf",
            actor=applicant.user,
        )
    return services.application_submit(application=app, actor=applicant.user)


def walk_in_draft(user: User, *, skip: tuple[str, ...] = ()) -> Application:
    person = ApplicantFactory(walk_in=True)
    app = services.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=person,
        channel=Application.Channel.WINDOW,
        actor=user,
    )
    services.application_save_form(application=app, data=FORM, actor=user)
    for code in MATERIALS:
        if code in skip:
            continue
        services.material_upload(
            application=app,
            material_code=code,
            stream=pdf(),
            name=f"{code}.pdf",
            actor=user,
            original_seen=True,
        )
    return app


# Who may use the workbench.


def test_only_clerks_and_superusers_may_use_the_window(client, restaurant):
    app = online_submission()
    pages = [
        "/window/",
        "/window/new/",
        "/window/new/restaurant/",
        f"/window/applications/{app.pk}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    for user in (app.applicant.user, UserFactory(role=User.Role.REVIEWER)):
        client.force_login(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 403
            assert "仅供窗口人员使用" in response.content.decode()
        response = client.post(f"/window/applications/{app.pk}/receive/")
        assert response.status_code == 403
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED
    for user in (clerk(), UserFactory(is_superuser=True)):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 200


# The queue.


def test_the_queue_shows_an_online_submission_with_its_light_and_masked_identity(
    client, restaurant, window
):
    applicant = ApplicantFactory(credit_code=credit_code(), phone="13812345678")
    with time_machine.travel(TUESDAY):
        app = online_submission(applicant)
        html = client.get("/window/").content.decode()
    assert app.intake_due == dt.date(2026, 9, 30)
    row = html[html.index('id="intake-queue"') : html.index('id="drafts-title"')]
    assert app.receipt_number in row
    assert "我要开饭店" in row
    assert "light-yellow" in row and "即将到期" in row
    assert applicant.masked_identifier in row and "******" in applicant.masked_identifier
    assert "138****5678" in row
    assert applicant.credit_code not in html
    assert applicant.phone not in html
    assert f'href="/window/applications/{app.pk}/"' in row

    with time_machine.travel(dt.datetime(2026, 10, 12, 2, tzinfo=dt.UTC)):
        html = client.get("/window/").content.decode()
    assert "light-red" in html and "已超期" in html


def test_the_queue_lists_drafts_corrections_and_todays_receipts(client, restaurant, window):
    other_clerk = clerk()
    mine = walk_in_draft(window)
    theirs = walk_in_draft(other_clerk)
    received = walk_in_draft(window)
    for code in MATERIALS:
        services.material_review(
            application=received, material_code=code, verdict="accepted", actor=window
        )
    services.application_receive(application=received, actor=window)
    correcting = online_submission()
    for code in MATERIALS:
        services.material_review(
            application=correcting, material_code=code, verdict="accepted", actor=window
        )
    services.application_request_correction(
        application=correcting,
        actor=window,
        fields=[{"key": "business_area", "reason": "面积与平面图不一致"}],
    )
    html = client.get("/window/").content.decode()
    drafts = html[html.index('id="drafts-title"') : html.index('id="correcting-title"')]
    assert f"/window/applications/{mine.pk}/" in drafts
    assert f"/window/applications/{theirs.pk}/" not in drafts
    section = html[html.index('id="correcting-title"') : html.index('id="received-title"')]
    assert f"/window/applications/{correcting.pk}/" in section
    received.refresh_from_db()
    assert received.receipt_number in html[html.index('id="received-title"') :]


def test_the_queue_costs_the_same_number_of_queries_however_long_it_is(client, restaurant, window):
    def fill(n: int) -> None:
        for _ in range(n):
            online_submission()
            walk_in_draft(window)
        for app in Application.objects.filter(status=Application.Status.SUBMITTED)[: n // 2]:
            for code in MATERIALS:
                services.material_review(
                    application=app, material_code=code, verdict="missing", actor=window
                )
            services.application_request_correction(application=app, actor=window)

    def queries_of_one_request() -> tuple[int, str]:
        client.get("/window/")  # warm the per-process caches (calendar, session)
        count = 0

        def counting(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = client.get("/window/")
        assert response.status_code == 200
        return count, response.content.decode()

    fill(2)
    few, _ = queries_of_one_request()
    fill(6)
    many, html = queries_of_one_request()
    assert few > 0
    assert many == few
    assert html.count("light-yellow") + html.count("light-green") >= 4


# A walk-in application, from the pick list to the receipt.


@time_machine.travel(TUESDAY)
def test_a_walk_in_application_from_start_to_receipt(client, restaurant, window):
    html = client.get("/window/new/").content.decode()
    assert "我要开饭店" in html and 'href="/window/new/restaurant/"' in html
    assert "我要开饭店" not in client.get("/window/new/", {"q": "结婚"}).content.decode()

    html = client.get("/window/new/restaurant/").content.decode()
    assert "经营场所面积是多少？" in html and "统一社会信用代码" in html

    code = credit_code()
    response = client.post(
        "/window/new/restaurant/",
        {
            "q-area": "ge100",
            "q-sign": "yes",
            "applicant-name": "卫滨区好味道餐饮店",
            "applicant-credit_code": code.lower(),
            "applicant-legal_representative": "王五",
            "applicant-phone": "139 1234 5678",
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/window/applications/{app.pk}/"
    assert app.channel == Application.Channel.WINDOW and app.created_by == window
    applicant = Applicant.objects.get()
    assert (applicant.credit_code, applicant.phone, applicant.user) == (code, "13912345678", None)

    page = client.get(f"/window/applications/{app.pk}/").content.decode()
    assert code in page  # the clerk sees the full identity on the review page
    assert "已核验原件（证据等级B）" in page
    assert 'name="f-business_area"' in page

    # The form: a bad value is refused in Chinese and shown back as typed.
    response = client.post(
        f"/window/applications/{app.pk}/save/",
        {**{f"f-{k}": v for k, v in FORM.items()}, "f-business_area": "一百二"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“经营面积”应为数字" in html and 'value="一百二"' in html
    response = client.post(
        f"/window/applications/{app.pk}/save/", {f"f-{k}": v for k, v in FORM.items()}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.form_data["business_area"] == "120.5"

    # Receiving before the materials are in names each missing one.
    response = client.post(f"/window/applications/{app.pk}/receive/")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="material-error-id_card"' in html and "“申请人居民身份证”尚未审查" in html

    for code_ in MATERIALS:
        response = client.post(
            f"/window/applications/{app.pk}/upload/",
            {"material": code_, "file": upload_file(f"{code_}.pdf"), "original_seen": "1"},
        )
        assert response.status_code == 302
    assert set(MaterialFile.objects.values_list("evidence", flat=True)) == {"B"}

    # A verdict saved in place with htmx, the others without JavaScript.
    response = client.post(
        f"/window/applications/{app.pk}/verdict/",
        {"material": "id_card", "verdict": "irregular", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div class="review-material" id="review-id_card">')
    assert "材料不符合要求时必须写明理由" in fragment
    assert not MaterialReview.objects.exists()
    response = client.post(
        f"/window/applications/{app.pk}/verdict/",
        {"material": "id_card", "verdict": "accepted"},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert "已保存" in fragment
    assert 'id="review-progress" class="review-progress" hx-swap-oob="true"' in fragment
    assert "已审查 1 份" in fragment
    for code_ in MATERIALS[1:]:
        response = client.post(
            f"/window/applications/{app.pk}/verdict/", {"material": code_, "verdict": "accepted"}
        )
        assert response.status_code == 302

    response = client.post(f"/window/applications/{app.pk}/receive/", follow=True)
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED
    assert app.received_by == window
    receipt = app.notices.get()
    assert receipt.kind == Notice.Kind.RECEIPT
    html = response.content.decode()
    assert f"已收件，收件编号 {app.receipt_number}" in html
    assert f"/applications/{app.pk}/notices/{receipt.pk}/" in html
    assert app.items.count() == 4
    # Once received, the form and the materials are read-only.
    assert 'name="f-business_area"' not in html and 'name="verdict"' not in html

    html = client.get(f"/window/applications/{app.pk}/notices/{receipt.pk}/").content.decode()
    assert "收件回执" in html and 'data-action="print"' in html and "证据等级B" in html
    assert client.get(f"/applications/{app.pk}/notices/{receipt.pk}/").status_code == 200
    queue = client.get("/window/").content.decode()
    assert app.receipt_number in queue[queue.index('id="received-title"') :]


def test_missing_answers_are_named_and_nothing_is_created(client, restaurant, window):
    response = client.post(
        "/window/new/restaurant/",
        {
            "q-sign": "yes",
            "applicant-name": "卫滨区某餐饮店",
            "applicant-credit_code": credit_code(),
            "applicant-legal_representative": "王五",
            "applicant-phone": "13912345678",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    question = html[html.index('id="question-area"') :]
    assert "请回答问题“经营场所面积是多少？”" in question[: question.index("</fieldset>")]
    assert 'value="卫滨区某餐饮店"' in html  # what was typed is kept
    assert not Applicant.objects.exists() and not Application.objects.exists()


def test_bad_identity_numbers_are_refused_and_everything_typed_is_kept(client, restaurant, window):
    response = client.post(
        "/window/new/restaurant/",
        {
            "q-area": "lt50",
            "applicant-name": "卫滨区某餐饮店",
            "applicant-credit_code": "92410702MA45678OIZ",
            "applicant-legal_representative": "",
            "applicant-phone": "1391234",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "不允许的字符" in html
    assert "请填写法定代表人" in html
    assert "手机号码应为11位数字" in html
    assert "请回答问题“是否设置门头招牌？”" in html
    assert 'value="lt50" checked' in html and 'value="1391234"' in html
    assert not Applicant.objects.exists()


def test_a_credit_code_check_mismatch_is_a_warning_not_a_rejection(client, restaurant, window):
    good = credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(
        "/window/new/restaurant/",
        {
            "q-area": "lt50",
            "q-sign": "no",
            "applicant-name": "卫滨区老字号餐馆",
            "applicant-credit_code": bad,
            "applicant-legal_representative": "赵六",
            "applicant-phone": "13912345678",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "校验位与国家标准不符" in response.content.decode()
    assert Application.objects.get().applicant.credit_code == bad


def test_the_questions_follow_the_answers_without_javascript(client, restaurant, window):
    response = client.post(
        "/window/new/restaurant/",
        {"q-area": "ge100", "refresh": "1", "applicant-name": "半路店"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "食品经营许可核发" in html and 'value="半路店"' in html
    assert "field-error" not in html
    assert not Application.objects.exists()


# Correction and 容缺.


def test_a_one_time_correction_with_a_form_field_and_its_reason(client, restaurant, window):
    app = online_submission()
    url = f"/window/applications/{app.pk}"
    for code in ("id_card", "floor_plan", "sign_design"):
        client.post(f"{url}/verdict/", {"material": code, "verdict": "accepted"})
    response = client.post(
        f"{url}/verdict/",
        {"material": "lease", "verdict": "irregular", "reason": "租赁合同未盖出租方公章"},
        HTTP_HX_REQUEST="true",
    )
    # The list of what the notice will name is redrawn along with the material.
    fragment = response.content.decode()
    flagged = fragment[fragment.index('id="flagged-materials-box" hx-swap-oob="true"') :]
    assert "经营场所租赁合同：不符合要求——租赁合同未盖出租方公章" in flagged

    # A field picked without a reason: refused next to it, nothing issued, the rest kept.
    response = client.post(
        f"{url}/correction/",
        {
            "fix-business_area": "1",
            "fix-reason-business_area": "",
            "fix-applicant_phone": "1",
            "fix-reason-applicant_phone": "号码停机，请更正",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    row = html[html.index('id="fix-business_area"') :]
    assert "请写明“经营面积”需要如何补正" in row[: row.index("</div>")]
    assert 'value="号码停机，请更正"' in html
    assert "<details" in html and 'id="correction-panel" open' in html
    assert not Notice.objects.exists()

    response = client.post(
        f"{url}/correction/",
        {"fix-business_area": "1", "fix-reason-business_area": "面积与平面图不一致"},
        follow=True,
    )
    app.refresh_from_db()
    assert app.status == Application.Status.CORRECTION
    notice = Notice.objects.get()
    assert notice.kind == Notice.Kind.CORRECTION
    assert notice.content["fields"] == [
        {"key": "business_area", "label": "经营面积", "reason": "面积与平面图不一致"}
    ]
    assert [m["code"] for m in notice.content["materials"]] == ["lease"]
    html = response.content.decode()
    assert f"已出具补正告知书 {notice.number}" in html
    assert "租赁合同未盖出租方公章" in html
    # An online application is corrected by the applicant: nothing to type here.
    assert 'name="f-business_area"' not in html and "resubmit" not in html
    html = client.get(f"{url}/notices/{notice.pk}/").content.decode()
    assert "补正告知书" in html and "面积与平面图不一致" in html


def test_nothing_to_correct_is_said_in_the_correction_panel(client, restaurant, window):
    app = online_submission()
    for code in MATERIALS:
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    response = client.post(f"/window/applications/{app.pk}/correction/", {})
    assert response.status_code == 400
    html = response.content.decode()
    panel = html[html.index('id="correction-panel"') :]
    assert "没有需要补正的内容" in panel[: panel.index("</details>")]


def test_a_walk_in_correction_is_entered_at_the_window_and_resubmitted(client, restaurant, window):
    app = walk_in_draft(window)
    url = f"/window/applications/{app.pk}"
    for code in ("id_card", "floor_plan", "sign_design"):
        client.post(f"{url}/verdict/", {"material": code, "verdict": "accepted"})
    client.post(f"{url}/verdict/", {"material": "lease", "verdict": "missing"})
    client.post(f"{url}/correction/", {})
    app.refresh_from_db()
    assert app.status == Application.Status.CORRECTION and app.receipt_number

    html = client.get(url + "/").content.decode()
    assert 'id="file-lease"' in html and 'id="file-id_card"' not in html
    assert client.post(f"{url}/resubmit/").status_code == 400
    client.post(
        f"{url}/upload/",
        {"material": "lease", "file": upload_file("lease.pdf"), "original_seen": "1"},
    )
    response = client.post(f"{url}/resubmit/")
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED and app.review_round == 2


@pytest.fixture
def restaurant_with_rules():
    """The restaurant, where the licence also wants food-safety rules as a secondary
    material: the one thing that may be deferred under 容缺."""
    from lianban.catalog.models import ItemMaterial, ServiceItem
    from lianban.catalog.tests.factories import MaterialFactory, restaurant_bundle

    bundle = restaurant_bundle()
    rules = MaterialFactory(code="food_rules", name="食品安全管理制度")
    ItemMaterial.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-002"), material=rules, secondary=True, position=9
    )
    return publish(bundle)


@time_machine.travel(TUESDAY)
def test_a_conditional_acceptance_with_a_bad_date_then_a_good_one(
    client, restaurant_with_rules, window
):
    app = walk_in_draft(window)
    url = f"/window/applications/{app.pk}"
    for code in MATERIALS:
        client.post(f"{url}/verdict/", {"material": code, "verdict": "accepted"})
    html = client.get(url + "/").content.decode()
    panel = html[html.index('id="conditional-panel"') :]
    assert 'id="defer-food_rules"' in panel and 'id="defer-lease"' not in panel
    assert "不晚于 2026年10月19日" in panel

    statement = "本单位承诺于2026年10月19日前补交食品安全管理制度。"
    response = client.post(
        f"{url}/conditional/",
        {
            "defer-food_rules": "1",
            "defer-due-food_rules": "2026-10-20",
            "defer-statement-food_rules": statement,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    error = html[html.index('id="defer-due-error-food_rules"') :]
    assert "承诺补交日期应在今天至2026年10月19日之间" in error[: error.index("</p>")]
    assert 'value="2026-10-20"' in html and statement in html
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT and app.receipt_number is None
    assert not Commitment.objects.exists() and not Notice.objects.exists()

    # Nothing picked: said in the panel, nothing done.
    response = client.post(f"{url}/conditional/", {})
    assert response.status_code == 400
    assert "请至少选择一份容缺后补的次要材料" in response.content.decode()

    response = client.post(
        f"{url}/conditional/",
        {
            "defer-food_rules": "1",
            "defer-due-food_rules": "2026-10-19",
            "defer-statement-food_rules": statement,
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED and app.conditional
    assert [n.kind for n in app.notices.all()] == ["commitment", "receipt"]
    assert app.commitments.get().due == dt.date(2026, 10, 19)
    html = client.get(url + "/").content.decode()
    assert "容缺受理承诺书" in html and statement in html


def test_the_window_does_not_change_an_online_applicants_materials(client, restaurant, window):
    app = online_submission()
    response = client.post(
        f"/window/applications/{app.pk}/upload/",
        {"material": "lease", "file": upload_file("lease.pdf"), "original_seen": "1"},
    )
    assert response.status_code == 400
    assert "网上申请的材料由申请人提交" in response.content.decode()
    assert MaterialFile.objects.filter(application=app, material_code="lease").count() == 1


def test_a_deferred_material_is_handed_in_at_the_window_after_receipt(client, window):
    """容缺 is tracked: the queue lists what is still owed with its light; the clerk takes
    it in, every department sees the new version, and the commitment closes."""
    from django.utils import timezone

    from lianban.applications.selectors import plan_of, supplement_limit
    from lianban.applications.tests.factories import publish
    from lianban.catalog.models import ItemMaterial as CatalogItemMaterial
    from lianban.catalog.models import ServiceItem
    from lianban.catalog.tests.factories import MaterialFactory, restaurant_bundle

    bundle = restaurant_bundle()
    rules = MaterialFactory(code="food_rules", name="食品安全管理制度")
    CatalogItemMaterial.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-002"), material=rules, secondary=True, position=9
    )
    publish(bundle)
    app = walk_in_draft(window)
    for code in MATERIALS:
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    _, latest = supplement_limit(plan_of(app), "food_rules", timezone.localdate())
    services.application_receive(
        application=app,
        actor=window,
        commitments=[
            {"material": "food_rules", "due": latest.isoformat(), "statement": "承诺按期补交"}
        ],
    )
    html = client.get("/window/").content.decode()
    assert "容缺待补交（1）" in html and "食品安全管理制度" in html

    upload = upload_file("rules.pdf")
    response = client.post(
        f"/window/applications/{app.pk}/fulfil/",
        {"material": "food_rules", "file": upload, "original_seen": "1"},
    )
    assert response.status_code == 302
    commitment = app.commitments.get()
    assert commitment.fulfilled_at is not None
    assert app.material_files.filter(material_code="food_rules", evidence="B").exists()
    assert "容缺待补交（0）" in client.get("/window/").content.decode()
    again = client.post(
        f"/window/applications/{app.pk}/fulfil/",
        {"material": "food_rules", "file": upload_file("rules.pdf")},
    )
    assert "没有待补交的容缺承诺" in again.content.decode()
