"""联办 on the restaurant: dispatch in parallel and in order, the department's actions, the
stored clocks across holidays, suspensions and the extension, and who may do what."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from lianban.applications.models import Application
from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.cases import clocks, services
from lianban.cases.models import Clock, ItemCase
from lianban.cases.tests.factories import case_of, received_restaurant, result, reviewer
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.notifications.models import Notification

S = ItemCase.Status


def at(y, m, d, hour=10):
    """A moment in the service hall's day (UTC+8)."""
    return time_machine.travel(dt.datetime(y, m, d, hour - 8, tzinfo=dt.UTC), tick=False)


def due(case, kind):
    return Clock.objects.get(case=case, kind=kind).due


@pytest.fixture
def restaurant(db):
    return published_restaurant()


@pytest.mark.django_db
def test_receipt_dispatches_free_items_at_once_and_holds_the_rest(restaurant):
    app = received_restaurant()
    statuses = dict(ItemCase.objects.filter(application=app).values_list("item_code", "status"))
    assert statuses == {
        "SCJGJ-001": S.DISPATCHED,
        "SCJGJ-002": S.WAITING,
        "XFZD-001": S.DISPATCHED,
        "CGJ-001": S.DISPATCHED,
    }
    assert not Clock.objects.filter(case__item_code="SCJGJ-002").exists()


@pytest.mark.django_db
def test_receipt_writes_the_cases_and_their_clocks_in_one_insert_each(restaurant):
    with at(2026, 9, 29), CaptureQueriesContext(connection) as queries:
        app = received_restaurant()
    inserts = [
        q["sql"].split('"')[1] for q in queries.captured_queries if q["sql"].startswith("INSERT")
    ]
    assert inserts.count("cases_itemcase") == inserts.count("cases_clock") == 1
    cases = {c.item_code: c for c in ItemCase.objects.filter(application=app)}
    # Each dispatched case shows its acceptance clock's due date (the day after, 09-30).
    assert {code: c.running_due for code, c in cases.items()} == {
        "SCJGJ-001": dt.date(2026, 9, 30),
        "SCJGJ-002": None,
        "XFZD-001": dt.date(2026, 9, 30),
        "CGJ-001": dt.date(2026, 9, 30),
    }
    assert all(
        due(cases[code], "acceptance") == dt.date(2026, 9, 30)
        for code in ("SCJGJ-001", "XFZD-001", "CGJ-001")
    )
    # The events of a case made and then dispatched, case by case in the items' order.
    code_of = {c.pk: code for code, c in cases.items()}
    events = [
        (e.verb, code_of[int(e.target_id)], e.data["old"], e.data["new"])
        for e in Event.objects.filter(target_type="cases.itemcase").order_by("id")
    ]
    assert events == [
        ("case.created", "SCJGJ-001", "", "waiting"),
        ("case.dispatched", "SCJGJ-001", "waiting", "dispatched"),
        ("case.created", "SCJGJ-002", "", "waiting"),
        ("case.created", "XFZD-001", "", "waiting"),
        ("case.dispatched", "XFZD-001", "waiting", "dispatched"),
        ("case.created", "CGJ-001", "", "waiting"),
        ("case.dispatched", "CGJ-001", "waiting", "dispatched"),
    ]
    assert (
        Event.objects.get(verb="case.dispatched", target_id=str(cases["XFZD-001"].pk)).data[
            "acceptance_due"
        ]
        == "2026-09-30"
    )
    assert verify_chain()[1] is None


@pytest.mark.django_db
def test_decision_clock_skips_national_day_with_a_suspension_and_an_extension(restaurant):
    with at(2026, 9, 29):
        app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    officer = reviewer("xfzd")
    assert due(fire, "acceptance") == dt.date(2026, 9, 30)
    with at(2026, 9, 30):
        services.case_accept(case=fire, actor=officer)
    # 8 working days from 09-30: 10-08, 09, 10 (make-up Saturday), 12, 13, 14, 15, 16.
    assert due(fire, "decision") == dt.date(2026, 10, 16)
    with at(2026, 10, 9):
        services.case_suspend(
            case=fire, actor=officer, kind="inspection", reason="委托第三方检测消防设施"
        )
    with at(2026, 10, 14):
        services.case_resume(case=fire, actor=officer)
    # 10-10, 12, 13, 14 did not count: the due date moves four working days.
    assert due(fire, "decision") == dt.date(2026, 10, 22)
    assert fire.suspensions.get().workdays == 4
    # The queue sorts by the running clock's due date, kept on the case.
    assert case_of(app, "XFZD-001").running_due == dt.date(2026, 10, 22)
    with at(2026, 10, 20):
        services.case_extend(
            case=fire, actor=officer, days=5, approver="王局长", reason="现场整改后需复查"
        )
    assert due(fire, "decision") == dt.date(2026, 10, 29)
    clock = Clock.objects.get(case=fire, kind="decision")
    assert (clock.paused_days, clock.extended_days) == (4, 5)
    with at(2026, 10, 29):
        services.case_decide(case=fire, actor=officer, outcome="approved")
    clock.refresh_from_db()
    assert clock.met is True
    assert due(fire, "return") == dt.date(2026, 10, 30)
    assert case_of(app, "XFZD-001").running_due == dt.date(2026, 10, 30)


@pytest.mark.django_db
def test_clocks_across_spring_festival_2026(restaurant):
    with at(2026, 2, 13):
        app = received_restaurant()
    sign = case_of(app, "CGJ-001")
    # Saturday 02-14 is a make-up working day.
    assert due(sign, "acceptance") == dt.date(2026, 2, 14)
    with at(2026, 2, 14):
        services.case_accept(case=sign, actor=reviewer("cgj"))
    # 02-15..02-23 off; 5 working days: 02-24, 25, 26, 27 and make-up Saturday 02-28.
    assert due(sign, "decision") == dt.date(2026, 2, 28)


@pytest.mark.django_db
def test_lights_turn_yellow_with_a_day_left_and_red_when_overdue(restaurant):
    with at(2026, 11, 23):
        app = received_restaurant()
    base = case_of(app, "SCJGJ-001")
    with at(2026, 11, 23):
        services.case_accept(case=base, actor=reviewer("scjgj"))
    clock = Clock.objects.get(case=base, kind="decision")
    assert clock.due == dt.date(2026, 11, 26)
    assert clocks.light(clock, dt.date(2026, 11, 24)) == "green"
    assert clocks.light(clock, dt.date(2026, 11, 25)) == "yellow"
    assert clocks.light(clock, dt.date(2026, 11, 26)) == "yellow"
    assert clocks.light(clock, dt.date(2026, 11, 27)) == "red"


@pytest.mark.django_db
def test_approval_dispatches_the_item_that_waited_for_it(restaurant):
    app = received_restaurant()
    market = reviewer("scjgj")
    base = case_of(app, "SCJGJ-001")
    services.case_accept(case=base, actor=market)
    assert case_of(app, "SCJGJ-002").status == S.WAITING
    services.case_decide(case=base, actor=market, outcome="approved")
    licence = case_of(app, "SCJGJ-002")
    assert licence.status == S.DISPATCHED
    assert Clock.objects.filter(case=licence, kind="acceptance").exists()


@pytest.mark.django_db
def test_denial_cancels_the_waiting_item_and_tells_the_applicant(restaurant):
    app = received_restaurant()
    market = reviewer("scjgj")
    base = case_of(app, "SCJGJ-001")
    services.case_accept(case=base, actor=market)
    with pytest.raises(DomainError) as exc:
        services.case_decide(case=base, actor=market, outcome="denied")
    assert exc.value.errors[0]["path"] == "reason"
    services.case_decide(case=base, actor=market, outcome="denied", reason="经营场所不符合要求")
    licence = case_of(app, "SCJGJ-002")
    assert licence.status == S.CANCELLED
    assert "营业执照登记" in licence.reason
    assert Notification.objects.filter(channel="sms", body__contains="本事项无法办理").exists()


@pytest.mark.django_db
def test_refusal_needs_a_reason_and_cancels_what_waits(restaurant):
    app = received_restaurant()
    market = reviewer("scjgj")
    base = case_of(app, "SCJGJ-001")
    with pytest.raises(DomainError):
        services.case_refuse(case=base, actor=market, reason=" ")
    services.case_refuse(case=base, actor=market, reason="不属于本部门职权范围")
    assert case_of(app, "SCJGJ-001").status == S.REFUSED
    assert case_of(app, "SCJGJ-002").status == S.CANCELLED


@pytest.mark.django_db
def test_extension_is_once_with_an_approver_and_at_most_ten_days(restaurant):
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    officer = reviewer("xfzd")
    services.case_accept(case=fire, actor=officer)
    with pytest.raises(DomainError) as exc:
        services.case_extend(case=fire, actor=officer, days=11, approver="", reason="")
    assert {e["path"] for e in exc.value.errors} == {"days", "approver", "reason"}
    services.case_extend(
        case=fire, actor=officer, days=10, approver="王局长", reason="专家意见分歧"
    )
    with pytest.raises(TransitionError):
        services.case_extend(case=fire, actor=officer, days=1, approver="王局长", reason="再延")


@pytest.mark.django_db
def test_suspension_only_for_the_statutory_reasons(restaurant):
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    officer = reviewer("xfzd")
    services.case_accept(case=fire, actor=officer)
    with pytest.raises(DomainError):
        services.case_suspend(case=fire, actor=officer, kind="vacation", reason="休假")
    assert case_of(app, "XFZD-001").status == S.ACCEPTED


@pytest.mark.django_db
def test_a_reviewer_cannot_act_on_another_departments_case(restaurant):
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    with pytest.raises(NotAllowed):
        services.case_accept(case=fire, actor=reviewer("scjgj"))
    assert case_of(app, "XFZD-001").status == S.DISPATCHED


@pytest.mark.django_db
def test_a_stale_page_is_told_someone_else_acted(restaurant):
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    a, b = reviewer("xfzd"), reviewer("xfzd")
    services.case_accept(case=fire, actor=a, expected_status=S.DISPATCHED)
    with pytest.raises(TransitionError) as exc:
        services.case_refuse(case=fire, actor=b, reason="材料不全", expected_status=S.DISPATCHED)
    assert "已由他人处理" in exc.value.message
    assert case_of(app, "XFZD-001").status == S.ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_one_wins(restaurant):
    app = received_restaurant()
    fire = case_of(app, "XFZD-001")
    a, b = reviewer("xfzd"), reviewer("xfzd")
    outcomes: list[str] = []

    def act(fn, **kwargs):
        try:
            fn(case=fire, expected_status=S.DISPATCHED, **kwargs)
            outcomes.append("ok")
        except TransitionError:
            outcomes.append("told")
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        threads = [
            threading.Thread(target=act, args=(services.case_accept,), kwargs={"actor": a}),
            threading.Thread(
                target=act,
                args=(services.case_refuse,),
                kwargs={"actor": b, "reason": "不符合条件"},
            ),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite serialises writers: the same two calls, one after the other
        act(services.case_accept, actor=a)
        act(services.case_refuse, actor=b, reason="不符合条件")
    assert sorted(outcomes) == ["ok", "told"]
    assert Event.objects.filter(verb__in=["case.accepted", "case.refused"]).count() == 1


@pytest.mark.django_db
def test_restaurant_from_receipt_to_archive_leaves_the_whole_audit_sequence(restaurant):
    with at(2026, 11, 2):
        app = received_restaurant()
        market, fire, city = reviewer("scjgj"), reviewer("xfzd"), reviewer("cgj")
        for code, who in (("SCJGJ-001", market), ("XFZD-001", fire), ("CGJ-001", city)):
            services.case_accept(case=case_of(app, code), actor=who)
        services.case_suspend(
            case=case_of(app, "XFZD-001"), actor=fire, kind="inspection", reason="现场检测"
        )
    with at(2026, 11, 4):
        services.case_resume(case=case_of(app, "XFZD-001"), actor=fire)
        for code, who in (("SCJGJ-001", market), ("XFZD-001", fire), ("CGJ-001", city)):
            services.case_decide(case=case_of(app, code), actor=who, outcome="approved")
            services.case_return_result(case=case_of(app, code), actor=who, documents=result())
        services.case_accept(case=case_of(app, "SCJGJ-002"), actor=market)
        services.case_decide(case=case_of(app, "SCJGJ-002"), actor=market, outcome="approved")
        services.case_return_result(
            case=case_of(app, "SCJGJ-002"), actor=market, documents=result()
        )
        from lianban.applications.tests.factories import clerk

        services.application_deliver(application=app, actor=clerk(), recipient="李四")
    app.refresh_from_db()
    assert app.status == Application.Status.ARCHIVED

    def verbs(code):
        case = case_of(app, code)
        return list(
            Event.objects.filter(target_type="cases.itemcase", target_id=str(case.pk)).values_list(
                "verb", flat=True
            )
        )

    parallel = [
        "case.created",
        "case.dispatched",
        "case.accepted",
        "case.decided",
        "case.result_returned",
        "case.delivered",
    ]
    assert verbs("SCJGJ-001") == parallel
    assert verbs("CGJ-001") == parallel
    assert verbs("XFZD-001") == [
        "case.created",
        "case.dispatched",
        "case.accepted",
        "case.suspended",
        "case.resumed",
        "case.decided",
        "case.result_returned",
        "case.delivered",
    ]
    assert verbs("SCJGJ-002") == [
        "case.created",
        "case.dispatched",
        "case.accepted",
        "case.decided",
        "case.result_returned",
        "case.delivered",
    ]
    app_verbs = list(
        Event.objects.filter(
            target_type="applications.application", target_id=str(app.pk)
        ).values_list("verb", flat=True)
    )
    assert app_verbs[-4:] == [
        "application.received",
        "application.delivered",
        "application.completed",
        "application.archived",
    ]
    # Every event, in the order written, links into one unbroken chain.
    count, broken = verify_chain()
    assert broken is None and count == Event.objects.count()


@pytest.mark.django_db
def test_planned_completion_follows_the_critical_path(restaurant):
    with at(2026, 11, 2):
        app = received_restaurant()
    # Not yet accepted: 001 finishes 11-03 + 3 = 11-06; 002 then 11-09 + 10 = 11-23;
    # plus one day to return the result: 11-24.
    assert app.planned_completion == dt.date(2026, 11, 24)


def deliverable_codes(app: Application) -> set[str]:
    app.refresh_from_db()
    return {c.item_code for c in services.deliverable(app)}


def listed_codes(app: Application) -> set[str]:
    return set(
        services.deliverable_returns().filter(application=app).values_list("item_code", flat=True)
    )


@pytest.mark.django_db
def test_together_delivery_waits_for_every_item(restaurant):
    from lianban.applications.tests.factories import clerk

    app = received_restaurant({"area": "lt50", "sign": "yes"})
    window = clerk()
    market, city = reviewer("scjgj"), reviewer("cgj")
    for code, who in (("SCJGJ-001", market), ("CGJ-001", city)):
        services.case_accept(case=case_of(app, code), actor=who)
    services.case_decide(case=case_of(app, "CGJ-001"), actor=city, outcome="approved")
    services.case_return_result(
        case=case_of(app, "CGJ-001"), actor=city, documents=result("审批决定")
    )
    # The rule asked of the database (the window's queue) agrees with the one on the cases.
    assert deliverable_codes(app) == set() == listed_codes(app)
    with pytest.raises(TransitionError):
        services.application_deliver(application=app, actor=window, recipient="李四")
    services.application_choose_delivery(application=app, method="each", actor=app.applicant.user)
    assert deliverable_codes(app) == {"CGJ-001"} == listed_codes(app)
    delivery = services.application_deliver(application=app, actor=window, recipient="李四")
    assert [c.item_code for c in delivery.cases.all()] == ["CGJ-001"]
    app.refresh_from_db()
    assert app.status == Application.Status.RECEIVED
    with pytest.raises(TransitionError):
        services.application_choose_delivery(
            application=app,
            method="post",
            address="新乡市卫滨区健康路1号",
            actor=app.applicant.user,
        )


@pytest.mark.django_db
def test_acceptance_and_refusal_notices_are_issued_with_the_reason(restaurant):
    import subprocess

    from lianban.applications.models import Notice

    app = received_restaurant()
    services.case_accept(case=case_of(app, "XFZD-001"), actor=reviewer("xfzd"))
    services.case_refuse(
        case=case_of(app, "CGJ-001"), actor=reviewer("cgj"), reason="设置位置位于禁设区域"
    )
    accepted = Notice.objects.get(kind=Notice.Kind.ACCEPTANCE)
    refused = Notice.objects.get(kind=Notice.Kind.REFUSAL)
    assert accepted.case.item_code == "XFZD-001" and refused.case.item_code == "CGJ-001"
    text = (
        subprocess.run(
            ["pdftotext", refused.pdf.path, "-"], capture_output=True, text=True, check=True
        )
        .stdout.replace(" ", "")
        .replace("\n", "")
    )
    assert "不予受理通知书" in text and "设置位置位于禁设区域" in text and "行政复议" in text


@pytest.mark.django_db
def test_a_notice_number_taken_meanwhile_gives_the_next_one(restaurant):
    """Two departments accepting cases of one application at once both count the same
    acceptance notices; the one whose number was taken first gets the next number."""
    from lianban.applications.models import Notice

    app = received_restaurant()
    receipt = Notice.objects.get(application=app, kind=Notice.Kind.RECEIPT)
    # The other department's notice, as it would be once its change committed first.
    taken = f"SL{app.receipt_number}-1"
    Notice.objects.create(
        application=app,
        kind=Notice.Kind.REFUSAL,  # counted under another kind: this count still says 0
        content={},
        issued_by=receipt.issued_by,
        issued_at=receipt.issued_at,
        number=taken,
    )
    services.case_accept(case=case_of(app, "XFZD-001"), actor=reviewer("xfzd"))
    accepted = Notice.objects.get(kind=Notice.Kind.ACCEPTANCE)
    assert accepted.number == f"SL{app.receipt_number}-2"
    assert accepted.pdf.name
