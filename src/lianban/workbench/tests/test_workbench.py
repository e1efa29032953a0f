"""The department workbench, through Django's test client: who may use it, a department sees
and acts on its own cases only, the queue (lights, masked identities, filters, paging, a
fixed number of queries), the case page (only the item's fields and materials), every action
through the pages, errors next to their inputs, and two reviewers acting at once."""

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lianban.accounts.models import User
from lianban.applications import services
from lianban.applications.models import Application, MaterialFile
from lianban.applications.tests.factories import (
    ELF,
    PDF,
    PNG,
    ApplicantFactory,
    clerk,
    pdf,
    publish,
    published_restaurant,
)
from lianban.audit.models import Event
from lianban.cases import services as case_services
from lianban.cases.models import Clock, Extension, ItemCase, ResultDocument, Suspension
from lianban.catalog.models import Department, Field, ItemField, ServiceItem
from lianban.catalog.tests.factories import FieldFactory, UserFactory, restaurant_bundle
from lianban.common.identity import credit_code_check_char
from lianban.workbench import selectors

pytestmark = pytest.mark.django_db

BIG = {"area": "ge100", "sign": "yes"}
MATERIALS = ("id_card", "lease", "floor_plan", "sign_design")
FORM = {
    "applicant_name": "卫滨区好味道餐饮店",
    "business_area": "120.5",
    "applicant_phone": "13912345678",
}
FIRE = "XFZD-001"  # 消防安全检查: fields 申请人姓名, 经营面积; materials 身份证, 平面图
MARKET = "SCJGJ-001"  # 营业执照登记: fields 申请人姓名, 联系电话; materials 身份证, 租赁合同
# Tuesday 10 March 2026, 10:00 in the service hall: an ordinary working week.
TUESDAY = dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC)


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 2, tzinfo=dt.UTC)


def credit_code(serial: str) -> str:
    first17 = "92410702" + serial
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def restaurant():
    return published_restaurant()


def reviewer(code: str, **kwargs) -> User:
    return UserFactory(
        role=User.Role.REVIEWER, department=Department.objects.get(code=code), **kwargs
    )


def received(applicant=None, *, second_version: tuple[str, ...] = ()) -> Application:
    """An online application received by the window: its cases are dispatched."""
    applicant = applicant or ApplicantFactory()
    app = services.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    services.application_save_form(application=app, data=FORM, actor=applicant.user)
    for code in MATERIALS + second_version:
        services.material_upload(
            application=app,
            material_code=code,
            stream=pdf(PDF + code.encode()),
            name=f"{code}.pdf",
            actor=applicant.user,
        )
    app = services.application_submit(application=app, actor=applicant.user)
    window = clerk()
    for code in MATERIALS:
        services.material_review(
            application=app, material_code=code, verdict="accepted", actor=window
        )
    services.application_receive(application=app, actor=window)
    app.refresh_from_db()
    return app


def case_of(app: Application, code: str) -> ItemCase:
    return ItemCase.objects.get(application=app, item_code=code)


def url(case: ItemCase, action: str = "") -> str:
    return f"/workbench/cases/{case.pk}/" + (f"{action}/" if action else "")


def upload(name: str = "result.pdf", data: bytes = PDF) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def events_of(case: ItemCase) -> list[str]:
    return list(
        Event.objects.filter(target_type="cases.itemcase", target_id=str(case.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def section(html: str, start: str, end: str) -> str:
    """The part of the page from ``start`` up to the next ``end``."""
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


# Who may use the workbench.


def test_only_reviewers_and_superusers_may_use_the_workbench(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    pages = ["/workbench/", url(case)]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    for user in (
        app.applicant.user,
        clerk(),
        UserFactory(editor=True),
        UserFactory(supervisor=True),
    ):
        client.force_login(user)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 403
            assert "仅供联办部门审批人员使用" in response.content.decode()
        response = client.post(url(case, "accept"), {"expected_status": "dispatched"})
        assert response.status_code == 403
    # A reviewer bound to no department has nothing to work on.
    client.force_login(UserFactory(role=User.Role.REVIEWER))
    response = client.get("/workbench/")
    assert response.status_code == 403
    assert "尚未绑定所属部门" in response.content.decode()
    case.refresh_from_db()
    assert case.status == ItemCase.Status.DISPATCHED
    for user in (reviewer("xfzd"), UserFactory(is_superuser=True)):
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 200


def test_another_departments_case_is_out_of_reach_and_nothing_changes(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
        fire = case_of(app, FIRE)
        # A decided and returned fire case, so that its result exists to be guessed at too.
        fire_reviewer = reviewer("xfzd")
        case_services.case_accept(case=fire, actor=fire_reviewer)
        case_services.case_decide(case=fire, actor=fire_reviewer, outcome="approved")
        case_services.case_return_result(
            case=fire,
            actor=fire_reviewer,
            documents=[{"kind": "licence", "title": "合格证", "stream": upload(), "name": "r.pdf"}],
        )
    result = ResultDocument.objects.get(case=fire)
    other = case_of(app, "CGJ-001")  # 城管局's case, dispatched
    plan_file = MaterialFile.objects.get(application=app, material_code="floor_plan")
    sign_file = MaterialFile.objects.get(application=app, material_code="sign_design")
    before = (
        Event.objects.count(),
        list(ItemCase.objects.order_by("pk").values_list("status", flat=True)),
        list(Clock.objects.order_by("pk").values_list("due", "stopped_at")),
    )

    client.force_login(reviewer("scjgj"))  # 市场监管局: neither case is its own
    assert client.get(url(fire)).status_code == 404
    assert client.get(url(other)).status_code == 404
    assert client.get(f"{url(fire)}materials/{plan_file.pk}/").status_code == 404
    assert client.get(f"{url(other)}materials/{sign_file.pk}/").status_code == 404
    assert client.get(f"{url(fire)}results/{result.pk}/").status_code == 404
    posts = {
        "accept": {},
        "refuse": {"reason": "不符合条件"},
        "supplement": {"material_codes": ["id_card"], "reason": "看不清"},
        "suspend": {"kind": "inspection", "reason": "现场检验"},
        "resume": {},
        "extend": {"days": "3", "approver": "李局长", "reason": "情况复杂"},
        "decide": {"outcome": "denied", "reason": "不符合"},
    }
    for target in (fire, other):
        for action, data in posts.items():
            response = client.post(url(target, action), {"expected_status": target.status, **data})
            assert response.status_code == 404, action
        response = client.post(
            url(target, "return"),
            {
                "expected_status": target.status,
                "rows": "1",
                "doc-0-kind": "licence",
                "doc-0-title": "伪造",
                "doc-0-file": upload(),
            },
        )
        assert response.status_code == 404
    html = client.get("/workbench/?status=all").content.decode()
    assert url(fire) not in html and url(other) not in html
    after = (
        Event.objects.count(),
        list(ItemCase.objects.order_by("pk").values_list("status", flat=True)),
        list(Clock.objects.order_by("pk").values_list("due", "stopped_at")),
    )
    assert after == before
    assert ResultDocument.objects.count() == 1


# The queue.


def test_the_queue_shows_only_the_departments_cases_with_lights_and_masked_identity(
    client, restaurant
):
    applicant = ApplicantFactory(credit_code=credit_code("MA4567890"))
    with time_machine.travel(TUESDAY):
        app = received(applicant)
        theirs = received()
        client.force_login(reviewer("xfzd"))
        html = client.get("/workbench/").content.decode()
    fire = case_of(app, FIRE)
    table = section(html, 'id="case-queue"', "</table>")
    assert table.count('class="queue-row') == 2
    row = section(table, f'id="case-row-{fire.pk}"', "</tr>")
    assert app.receipt_number in row and f'href="{url(fire)}"' in row
    assert "我要开饭店" in row and "公众聚集场所投入使用、营业前消防安全检查" in row
    assert "light-yellow" in row and "即将到期" in row  # accept by Wednesday
    assert "2026-03-11" in row
    assert applicant.name in row
    assert applicant.masked_identifier in row and "*" in applicant.masked_identifier
    assert applicant.credit_code not in html
    for code in (MARKET, "SCJGJ-002", "CGJ-001"):
        assert url(case_of(app, code)) not in html
        assert url(case_of(theirs, code)) not in html
    assert 'id="tab-dispatched"' in html

    with time_machine.travel(at(12)):
        html = client.get("/workbench/").content.decode()
    assert "light-red" in html and "已超期" in html

    # 市场监管局 sees its dispatched licence case; the one waiting for it only under 全部办件.
    client.force_login(reviewer("scjgj"))
    with time_machine.travel(TUESDAY):
        html = client.get("/workbench/").content.decode()
        everything = client.get("/workbench/", {"status": "all"}).content.decode()
    assert url(case_of(app, MARKET)) in html
    assert url(case_of(app, "SCJGJ-002")) not in html
    assert url(case_of(app, "SCJGJ-002")) in everything and "等待前置事项" in everything
    assert url(fire) not in everything


def test_the_tabs_count_the_open_cases_from_the_index_alone(restaurant):
    market = reviewer("scjgj")
    with time_machine.travel(TUESDAY):
        apps = [received() for _ in range(3)]
        case_services.case_accept(case=case_of(apps[0], MARKET), actor=market)
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.group_counts(selectors.cases_of(market))
    assert counts["dispatched"] == 2 and counts["accepted"] == 1
    # COUNT(*), which the (department, status) index answers without reading the cases.
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "COUNT(*)" in sql and '"cases_itemcase"."id"' not in sql.split("FROM")[0]


def test_the_queue_filters_by_status_and_item_searches_and_pages(client, restaurant, monkeypatch):
    market = reviewer("scjgj")
    with time_machine.travel(TUESDAY):
        apps = [received() for _ in range(3)]
        first = case_of(apps[0], MARKET)
        case_services.case_accept(case=first, actor=market)
        refused = case_of(apps[1], MARKET)
        case_services.case_refuse(case=refused, actor=market, reason="经营范围不符")
        client.force_login(market)

        html = client.get("/workbench/", {"status": "accepted"}).content.decode()
        assert url(first) in html and url(case_of(apps[2], MARKET)) not in html
        assert "light-green" in html and "办理中" in html

        html = client.get("/workbench/", {"status": "dispatched"}).content.decode()
        assert url(case_of(apps[2], MARKET)) in html and url(first) not in html

        html = client.get("/workbench/", {"status": "finished"}).content.decode()
        assert url(refused) in html and url(first) not in html and "不予受理" in html
        refused_row = section(html, f'id="case-row-{refused.pk}"', "</tr>")
        assert "<td>2026-03-10 10:00</td>" in refused_row  # refused at 10:00 in the hall

        html = client.get("/workbench/", {"status": "all", "item": "SCJGJ-002"}).content.decode()
        table = section(html, 'id="case-queue"', "</table>")
        assert table.count('class="queue-row') == 3
        assert "食品经营许可核发" in table and "营业执照登记" not in table

        html = client.get(
            "/workbench/", {"status": "all", "q": apps[2].receipt_number}
        ).content.decode()
        table = section(html, 'id="case-queue"', "</table>")
        assert apps[2].receipt_number in table
        assert apps[0].receipt_number not in table and apps[1].receipt_number not in table

        html = client.get("/workbench/", {"q": "99999999"}).content.decode()
        assert "没有符合条件的办件" in html

        # Paging keeps the filters; the most urgent come first.
        monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
        html = client.get("/workbench/", {"status": "all"}).content.decode()
        assert "第 1 / 3 页" in html
        assert 'href="?status=all&amp;page=2"' in html
        html = client.get("/workbench/", {"status": "all", "page": "3"}).content.decode()
        assert "第 3 / 3 页" in html
        assert section(html, 'id="case-queue"', "</table>").count('class="queue-row') == 2


def test_the_queue_costs_the_same_number_of_queries_however_long_it_is(client, restaurant):
    fire = reviewer("xfzd")
    client.force_login(fire)

    def fill(n: int) -> None:
        with time_machine.travel(TUESDAY):
            for k in range(n):
                app = received()
                if k % 2:
                    case_services.case_accept(case=case_of(app, FIRE), actor=fire)

    def queries_of_one_request(params: dict[str, str]) -> tuple[int, str]:
        with time_machine.travel(TUESDAY):
            client.get("/workbench/", params)  # warm the per-process caches
            count = 0

            def counting(execute, sql, params_, many, context):  # type: ignore[no-untyped-def]
                nonlocal count
                count += 1
                return execute(sql, params_, many, context)

            with connection.execute_wrapper(counting):
                response = client.get("/workbench/", params)
        assert response.status_code == 200
        return count, response.content.decode()

    fill(2)
    few, _ = queries_of_one_request({})
    few_all, _ = queries_of_one_request({"status": "all"})
    fill(6)
    many, html = queries_of_one_request({})
    many_all, _ = queries_of_one_request({"status": "all"})
    assert few > 0
    assert many == few
    assert many_all == few_all
    assert html.count('class="queue-row') == 8
    assert html.count("light-yellow") + html.count("light-green") >= 8


def test_a_queue_row_escapes_what_records_say_and_prints_times_in_the_halls_zone():
    from lianban.workbench.templatetags.workbench import queue_body

    open_row = {
        "finished_at": None,
        "clock": object(),
        "light": "red",
        "light_label": "已超期",
        "pk": 7,
        "href": "/workbench/cases/7/",
        "receipt_number": "20260310-0001-3",
        "bundle_name": "我要开饭店",
        "item_name": "食品经营许可<核发>",
        "extended": True,
        "status": "accepted",
        "status_label": "办理中",
        "outcome": "",
        "outcome_label": "",
        "due": "2026-03-11",
        "clock_kind": "办理时限",
        "provisional": True,
        "applicant_name": '<script>alert("x")</script>',
        "identifier": "9241****0001",
    }
    html = queue_body([open_row], False)
    assert '<tr class="queue-row light-row-red" id="case-row-7">' in html
    assert '<span class="light light-red" aria-hidden="true"></span>已超期' in html
    assert "2026-03-11" in html and "办理时限" in html and "暂按周末推算" in html
    assert "食品经营许可&lt;核发&gt;" in html and '<span class="tag">已延期</span>' in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "<script>" not in html
    assert '<a href="/workbench/cases/7/">20260310-0001-3</a>' in html

    finished = {
        **open_row,
        "finished_at": dt.datetime(2026, 3, 10, 2, 30, tzinfo=dt.UTC),
        "clock": None,
        "light": None,
        "extended": False,
        "provisional": False,
        "status": "refused",
        "status_label": "不予受理",
        "outcome": "refused",
        "outcome_label": "不予许可",
    }
    html = queue_body([finished], True)
    assert 'class="queue-row light-row-none"' in html and "<td>—</td>" in html
    assert "<td>2026-03-10 10:30</td>" in html  # 10:30 in the hall, 02:30 UTC
    assert '<span class="small">　不予许可</span>' in html and "已延期" not in html
    # An open case without a running clock (waiting for an earlier item) has no due date.
    assert queue_body([{**finished, "finished_at": None}], False).count("<td>—</td>") == 2


# The case page.


def test_the_case_page_shows_only_the_items_fields_and_materials(client, restaurant):
    applicant = ApplicantFactory(credit_code=credit_code("MA4567891"))
    with time_machine.travel(TUESDAY):
        app = received(applicant, second_version=("floor_plan",))
    fire = case_of(app, FIRE)
    client.force_login(reviewer("xfzd"))
    html = client.get(url(fire)).content.decode()

    form = section(html, 'id="form"', 'id="materials"')
    assert "申请人姓名" in form and "卫滨区好味道餐饮店" in form
    assert "经营面积" in form and "120.5㎡" in form
    assert "联系电话" not in html and "13912345678" not in html  # not this item's field

    materials = section(html, 'id="materials"', 'id="actions"')
    assert "申请人居民身份证" in materials and "经营场所平面图" in materials
    assert "经营场所租赁合同" not in html and "门头设计效果图" not in html
    plan_v2, plan_v1 = MaterialFile.objects.filter(
        application=app, material_code="floor_plan"
    ).order_by("-version")
    lease = MaterialFile.objects.get(application=app, material_code="lease")
    assert f"{url(fire)}materials/{plan_v2.pk}/" in materials
    assert "第2版（最新）" in materials
    assert f"{url(fire)}materials/{plan_v1.pk}/" in materials and "此前版本（1）" in materials
    assert f"materials/{lease.pk}/" not in html

    # The identity is masked: this item does not ask for the credit code.
    assert applicant.masked_identifier in html and applicant.credit_code not in html

    # The other items: their status, not their data.
    others = section(html, 'id="siblings"', 'id="history"')
    assert "营业执照登记" in others and "待受理" in others
    assert "食品经营许可核发" in others and "等待前置事项" in others
    assert "设置大型户外广告审批" in others and "城管局" in others

    history = section(html, 'id="history"', "</section>")
    assert "建立办件" in history and "分送本部门" in history and "受理期限2026-03-11" in history

    clocks = section(html, 'id="clocks"', 'id="form"')
    assert "受理" in clocks and "2026-03-10" in clocks and "2026-03-11" in clocks

    # Downloads: only this item's materials, as attachments with the stored type.
    response = client.get(f"{url(fire)}materials/{plan_v1.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF + b"floor_plan"
    assert client.get(f"{url(fire)}materials/{lease.pk}/").status_code == 404
    other_app = received()
    other_id_card = MaterialFile.objects.get(application=other_app, material_code="id_card")
    assert client.get(f"{url(fire)}materials/{other_id_card.pk}/").status_code == 404


def test_the_identity_is_shown_in_full_only_to_an_item_that_asks_for_it(client):
    bundle = restaurant_bundle()
    code_field = FieldFactory(
        key="credit_code", label="统一社会信用代码", type=Field.Type.CREDIT_CODE, required=False
    )
    ItemField.objects.create(
        item=ServiceItem.objects.get(code=FIRE), field=code_field, required=False, position=9
    )
    publish(bundle)
    applicant = ApplicantFactory(credit_code=credit_code("MA4567892"))
    with time_machine.travel(TUESDAY):
        app = received(applicant)
    client.force_login(reviewer("xfzd"))
    html = client.get(url(case_of(app, FIRE))).content.decode()
    header = section(html, 'id="case-header"', "</dl>")
    assert applicant.credit_code in header
    # …but never in the queue, and not to a department whose item does not ask for it.
    assert applicant.credit_code not in client.get("/workbench/").content.decode()
    client.force_login(reviewer("cgj"))
    html = client.get(url(case_of(app, "CGJ-001"))).content.decode()
    assert applicant.credit_code not in html and applicant.masked_identifier in html


def test_only_the_actions_the_status_allows_are_shown(client, restaurant):
    fire = reviewer("xfzd")
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    client.force_login(fire)
    html = client.get(url(case)).content.decode()
    for shown in ("panel-accept", "panel-refuse", "panel-request_supplement"):
        assert f'id="{shown}"' in html
    for hidden in (
        "panel-suspend",
        "panel-resume",
        "panel-extend",
        "panel-decide",
        "panel-return_result",
    ):
        assert f'id="{hidden}"' not in html
    assert 'name="expected_status" value="dispatched"' in html

    case_services.case_accept(case=case, actor=fire)
    html = client.get(url(case)).content.decode()
    for shown in ("panel-suspend", "panel-extend", "panel-decide"):
        assert f'id="{shown}"' in html
    for hidden in ("panel-accept", "panel-refuse", "panel-resume", "panel-return_result"):
        assert f'id="{hidden}"' not in html

    client.force_login(reviewer("scjgj"))
    html = client.get(url(case_of(app, "SCJGJ-002"))).content.decode()
    assert 'id="no-actions"' in html and "须待前置事项作出决定" in html


# The actions, through the pages.


def test_accept_suspend_resume_extend_decide_and_return_through_the_pages(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    client.force_login(reviewer("xfzd", display_name="王审批"))

    with time_machine.travel(TUESDAY):
        response = client.post(url(case, "accept"), {"expected_status": "dispatched"})
        assert response.status_code == 302 and response["Location"] == url(case)
        html = client.get(url(case)).content.decode()
    assert "已受理，应于2026年3月20日前作出决定" in html
    case.refresh_from_db()
    assert case.status == ItemCase.Status.ACCEPTED
    decision = Clock.objects.get(case=case, kind=Clock.Kind.DECISION)
    assert decision.due == dt.date(2026, 3, 20)  # 8 working days after Tuesday 10 March

    with time_machine.travel(at(12)):
        response = client.post(
            url(case, "suspend"),
            {"expected_status": "accepted", "kind": "inspection", "reason": "委托消防设施检测"},
        )
        assert response.status_code == 302
        html = client.get(url(case)).content.decode()
    assert "light-paused" in html and "已中止计时" in html
    assert 'id="panel-resume"' in html and 'id="panel-decide"' not in html
    assert Suspension.objects.get(case=case).kind == "inspection"

    with time_machine.travel(at(19)):
        response = client.post(url(case, "resume"), {"expected_status": "suspended"})
        assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.paused_days == 5 and decision.due == dt.date(2026, 3, 27)

    with time_machine.travel(at(20)):
        response = client.post(
            url(case, "extend"),
            {"expected_status": "accepted", "days": "3", "approver": "李局长", "reason": "需复核"},
        )
        assert response.status_code == 302
        html = client.get(url(case)).content.decode()
    decision.refresh_from_db()
    assert decision.extended_days == 3 and decision.due == dt.date(2026, 4, 1)
    assert Extension.objects.get(case=case).approver == "李局长"
    assert "延长3个工作日，批准人李局长" in html
    assert 'id="panel-extend"' not in html  # only once

    with time_machine.travel(at(30)):
        response = client.post(
            url(case, "decide"), {"expected_status": "accepted", "outcome": "approved"}
        )
        assert response.status_code == 302
        html = client.get(url(case)).content.decode()
    case.refresh_from_db()
    assert case.status == ItemCase.Status.DECIDED and case.outcome == "approved"
    assert 'id="panel-return_result"' in html and "2026年3月31日前" in html

    with time_machine.travel(at(30)):
        response = client.post(
            url(case, "return"),
            {
                "expected_status": "decided",
                "rows": "3",
                "doc-0-file": upload("licence.pdf"),
                "doc-0-kind": "licence",
                "doc-0-title": "消防安全检查合格证",
                "doc-0-number": "卫消检字〔2026〕第12号",
                "doc-1-file": upload("notice.png", PNG),
                "doc-1-kind": "notice",
                "doc-1-title": "检查意见书",
            },
        )
        assert response.status_code == 302
        html = client.get(url(case)).content.decode()
    case.refresh_from_db()
    assert case.status == ItemCase.Status.RETURNED
    docs = list(ResultDocument.objects.filter(case=case).order_by("pk"))
    assert [d.title for d in docs] == ["消防安全检查合格证", "检查意见书"]
    assert "已上传2份办理结果并送回综合窗口" in html
    assert 'id="no-actions"' in html
    download = client.get(f"{url(case)}results/{docs[1].pk}/")
    # A scan is issued as a sealed PDF: the image on an A4 page, signed and sealed.
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"/ETSI.CAdES.detached" in b"".join(download.streaming_content)
    assert events_of(case) == [
        "case.created",
        "case.dispatched",
        "case.accepted",
        "case.suspended",
        "case.resumed",
        "case.extended",
        "case.decided",
        "case.result_returned",
    ]
    history = section(html, 'id="history"', "</section>")
    assert "王审批" in history and "检验" in history and "准予" in history
    assert "消防安全检查合格证" in history


def test_a_refusal_without_a_reason_is_refused_next_to_the_field(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    client.force_login(reviewer("xfzd"))
    response = client.post(url(case, "refuse"), {"expected_status": "dispatched", "reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    panel = section(html, 'id="panel-refuse"', "</details>")
    assert "<details" in html and 'id="panel-refuse" open' in html
    assert 'id="refuse-reason-error">不予受理必须注明理由。</p>' in panel
    case.refresh_from_db()
    assert case.status == ItemCase.Status.DISPATCHED
    assert events_of(case) == ["case.created", "case.dispatched"]

    response = client.post(
        url(case, "refuse"), {"expected_status": "dispatched", "reason": "不属于本部门职责"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == ItemCase.Status.REFUSED and case.reason == "不属于本部门职责"


def test_every_problem_is_shown_at_once_and_what_was_typed_is_kept(client, restaurant):
    fire = reviewer("xfzd")
    with time_machine.travel(TUESDAY):
        app = received()
        case = case_of(app, FIRE)
        case_services.case_accept(case=case, actor=fire)
    client.force_login(fire)

    response = client.post(
        url(case, "extend"),
        {"expected_status": "accepted", "days": "15", "approver": "李局长", "reason": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    panel = section(html, 'id="panel-extend"', "</details>")
    assert 'id="extend-days-error">延长期限应为1至10个工作日。' in panel
    assert 'id="extend-reason-error">请写明延期理由。' in panel
    assert "extend-approver-error" not in panel
    assert 'value="15"' in panel and 'value="李局长"' in panel
    response = client.post(
        url(case, "extend"),
        {"expected_status": "accepted", "days": "三", "approver": "", "reason": "复杂"},
    )
    panel = section(response.content.decode(), 'id="panel-extend"', "</details>")
    assert "extend-days-error" in panel and "extend-approver-error" in panel
    assert 'value="三"' in panel and 'value="复杂"' in panel

    response = client.post(
        url(case, "decide"), {"expected_status": "accepted", "outcome": "denied", "reason": ""}
    )
    assert response.status_code == 400
    panel = section(response.content.decode(), 'id="panel-decide"', "</details>")
    assert 'id="decide-reason-error">不予许可必须说明理由。' in panel
    assert 'id="decide-outcome-denied" name="outcome" value="denied" checked' in panel

    response = client.post(
        url(case, "suspend"), {"expected_status": "accepted", "kind": "lunch", "reason": "午休"}
    )
    panel = section(response.content.decode(), 'id="panel-suspend"', "</details>")
    assert "suspend-kind-error" in panel and 'value="午休"' in panel

    case.refresh_from_db()
    assert case.status == ItemCase.Status.ACCEPTED and not case.extended
    assert events_of(case)[-1] == "case.accepted"


def test_a_supplement_is_asked_only_for_the_items_own_materials(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    client.force_login(reviewer("xfzd"))
    html = client.get(url(case)).content.decode()
    panel = section(html, 'id="panel-request_supplement"', "</details>")
    assert 'value="floor_plan"' in panel and 'value="lease"' not in panel

    response = client.post(
        url(case, "supplement"),
        {"expected_status": "dispatched", "material_codes": ["lease"], "reason": "补租赁合同"},
    )
    assert response.status_code == 400
    panel = section(response.content.decode(), 'id="panel-request_supplement"', "</details>")
    assert "请从本事项的材料中选择需要补正的材料。" in panel and "补租赁合同" in panel

    with time_machine.travel(at(11)):
        response = client.post(
            url(case, "supplement"),
            {
                "expected_status": "dispatched",
                "material_codes": ["floor_plan"],
                "reason": "平面图未标注疏散通道",
            },
        )
        assert response.status_code == 302
        html = client.get(url(case)).content.decode()
    case.refresh_from_db()
    assert case.status == ItemCase.Status.SUPPLEMENT
    assert "要求补正 经营场所平面图：平面图未标注疏散通道" in html
    assert "light-paused" in html
    client.force_login(reviewer("xfzd"))
    html = client.get("/workbench/", {"status": "supplement"}).content.decode()
    assert url(case) in html


def test_a_bad_result_file_is_refused_next_to_it_and_nothing_is_returned(client, restaurant):
    fire = reviewer("xfzd")
    with time_machine.travel(TUESDAY):
        app = received()
        case = case_of(app, FIRE)
        case_services.case_accept(case=case, actor=fire)
        case_services.case_decide(case=case, actor=fire, outcome="approved")
    client.force_login(fire)

    response = client.post(
        url(case, "return"),
        {
            "expected_status": "decided",
            "rows": "3",
            "doc-0-file": upload("licence.pdf"),
            "doc-0-kind": "licence",
            "doc-0-title": "",
            "doc-1-kind": "notice",
            "doc-1-title": "检查意见书",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="doc-0-title-error">请填写结果名称。' in html
    assert "doc-0-kind-error" not in html and "doc-0-file-error" not in html
    assert 'id="doc-1-file-error">请选择这份办理结果的文件' in html
    assert 'value="检查意见书"' in html

    response = client.post(
        url(case, "return"),
        {
            "expected_status": "decided",
            "rows": "3",
            "doc-1-file": upload("evil.pdf", ELF),
            "doc-1-kind": "licence",
            "doc-1-title": "合格证",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="doc-1-file-error">该文件是可执行程序或压缩包' in html

    response = client.post(url(case, "return"), {"expected_status": "decided", "rows": "3"})
    assert response.status_code == 400
    assert "请上传办理结果（证照、证明或决定书）。" in response.content.decode()

    case.refresh_from_db()
    assert case.status == ItemCase.Status.DECIDED
    assert not ResultDocument.objects.exists()


def test_when_two_reviewers_act_at_once_the_second_is_told_and_nothing_changes(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
    case = case_of(app, FIRE)
    first, second = Client(), client
    first.force_login(reviewer("xfzd"))
    second.force_login(reviewer("xfzd"))
    # Both open the case while it waits for acceptance.
    assert 'name="expected_status" value="dispatched"' in first.get(url(case)).content.decode()
    assert 'name="expected_status" value="dispatched"' in second.get(url(case)).content.decode()

    assert first.post(url(case, "accept"), {"expected_status": "dispatched"}).status_code == 302
    events = events_of(case)
    response = second.post(
        url(case, "refuse"), {"expected_status": "dispatched", "reason": "材料不全"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    conflict = section(html, 'id="conflict"', "</div>")
    assert "已由他人处理" in conflict and "办理中" in conflict
    # The page now shows the case as it is, with the actions that status allows.
    assert 'id="panel-decide"' in html and 'id="panel-refuse"' not in html
    case.refresh_from_db()
    assert case.status == ItemCase.Status.ACCEPTED and case.reason == ""
    assert events_of(case) == events

    # The same with the same action: the second acceptance does not restart the clock.
    due = Clock.objects.get(case=case, kind=Clock.Kind.DECISION).due
    response = second.post(url(case, "accept"), {"expected_status": "dispatched"})
    assert response.status_code == 409 and "已由他人处理" in response.content.decode()
    assert Clock.objects.get(case=case, kind=Clock.Kind.DECISION).due == due
    assert events_of(case) == events

    # A form without the status it was shown with is not acted on either.
    response = second.post(url(case, "decide"), {"outcome": "approved"})
    assert response.status_code == 409 and 'id="conflict"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == ItemCase.Status.ACCEPTED


def test_a_superuser_sees_every_department(client, restaurant):
    with time_machine.travel(TUESDAY):
        app = received()
        client.force_login(UserFactory(is_superuser=True))
        html = client.get("/workbench/").content.decode()
        only_fire = client.get("/workbench/", {"department": "xfzd"}).content.decode()
    for code in (FIRE, MARKET, "CGJ-001"):
        assert url(case_of(app, code)) in html
    assert url(case_of(app, FIRE)) in only_fire
    assert url(case_of(app, MARKET)) not in only_fire
