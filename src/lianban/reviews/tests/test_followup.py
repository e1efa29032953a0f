"""差评整改: the four steps in order through one transition function, the unit's own staff
only, the deadline in working days, the applicant's answer, appeals and the overdue sweep."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from lianban.applications.tests.factories import published_restaurant
from lianban.audit.models import Event
from lianban.catalog.models import Department
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.notifications.models import Notification
from lianban.reviews import selectors, services
from lianban.reviews.models import Rectification, Review
from lianban.reviews.tests.factories import (
    bad_review,
    completed,
    completion_of,
    reviewer_of,
    supervisor,
    token_in_sms,
    window_clerk,
)

pytestmark = pytest.mark.django_db
S = Rectification.Status


def at(y: int, m: int, d: int, hour: int = 10):  # Beijing time
    return time_machine.travel(dt.datetime(y, m, d, hour - 8, tzinfo=dt.UTC), tick=False)


@pytest.fixture(autouse=True)
def restaurant():
    return published_restaurant()


@pytest.fixture
def market():
    return Department.objects.get(code="scjgj")


@pytest.fixture
def review():
    return bad_review()


def rect(review: Review, code: str = "scjgj") -> Rectification:
    return review.rectifications.get(department__code=code)


def act(r: Rectification, action: str, actor, **inputs) -> Rectification:
    return services.rectification_act(rectification=r, action=action, actor=actor, inputs=inputs)


def work_through(r: Rectification, who, finding: str = "true") -> Rectification:
    r = act(r, "call_back", who, callback_outcome="已电话回访，申请人反映等候时间长。")
    r = act(r, "verify", who, finding=finding, finding_note="调取记录，确有延误。")
    r = act(r, "rectify", who, measures="增设午间窗口。" if finding != "false" else "")
    return act(r, "report", who, report="已增设午间窗口，感谢监督。")


def test_each_step_in_order_and_the_applicant_closes_it(review, market):
    who = reviewer_of(market)
    r = work_through(rect(review), who)
    assert (r.status, r.finding, r.measures) == (S.REPORTED, "true", "增设午间窗口。")
    # The report reaches the applicant by SMS with a single-use feedback link.
    app = review.occasion.application
    token = token_in_sms(app, "/reviews/f/")
    found = services.rectification_by_feedback_token(token)
    r = services.rectification_act(
        rectification=found, action="applicant_answer", actor=None, inputs={"satisfied": "yes"}
    )
    assert (r.status, r.applicant_satisfied) == (S.CLOSED, True)
    with pytest.raises(NotAllowed):
        services.rectification_by_feedback_token(token)
    verbs = list(
        Event.objects.filter(target_type="reviews.rectification", target_id=str(r.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "review.rectification_opened",
        "review.rectification_call_back",
        "review.rectification_verify",
        "review.rectification_rectify",
        "review.rectification_report",
        "review.rectification_applicant_answer",
    ]
    # The other department's follow-up is untouched.
    assert rect(review, "cgj").status == S.OPEN


def test_a_step_out_of_order_is_refused(review, market):
    who = reviewer_of(market)
    r = rect(review)
    for action in ("verify", "rectify", "report"):
        with pytest.raises(TransitionError, match="不能"):
            act(r, action, who, finding="true", finding_note="x", measures="x", report="x")
    with pytest.raises(TransitionError, match="不能确认整改结果"):
        act(r, "applicant_answer", None, satisfied="yes")
    r = act(r, "call_back", who, callback_outcome="已回访")
    with pytest.raises(TransitionError, match="已回访，待核实"):
        act(r, "call_back", who, callback_outcome="再次回访")
    assert rect(review).status == S.CALLED_BACK


def test_another_unit_or_role_is_refused(review, market):
    cgj = Department.objects.get(code="cgj")
    for outsider in (reviewer_of(cgj), window_clerk(), supervisor(), None):
        with pytest.raises(NotAllowed):
            act(rect(review), "call_back", outsider, callback_outcome="x")
    assert rect(review).status == S.OPEN


def test_each_step_needs_its_inputs(review, market):
    who = reviewer_of(market)
    with pytest.raises(DomainError, match="请填写回访情况"):
        act(rect(review), "call_back", who, callback_outcome="  ")
    act(rect(review), "call_back", who, callback_outcome="已回访")
    with pytest.raises(DomainError, match="请选择核实结论"):
        act(rect(review), "verify", who, finding="maybe", finding_note="x")
    act(rect(review), "verify", who, finding="partly", finding_note="部分属实")
    with pytest.raises(DomainError, match="请填写整改措施"):
        act(rect(review), "rectify", who, measures="")


def test_a_review_found_untrue_needs_no_measures(review, market):
    r = work_through(rect(review), reviewer_of(market), finding="false")
    assert (r.status, r.measures) == (S.REPORTED, "")


def test_the_deadline_counts_working_days_across_national_day():
    # Reviewed on Wednesday 30 September 2026: 1–7 October are holidays and Saturday
    # 10 October a make-up working day, so five working days end on Tuesday 13 October.
    with at(2026, 9, 30):
        review = bad_review()
    assert {r.due for r in review.rectifications.all()} == {dt.date(2026, 10, 13)}
    assert not any(r.due_provisional for r in review.rectifications.all())


def test_the_number_of_days_is_a_setting(settings):
    settings.LIANBAN_REVIEW_FOLLOWUP_DAYS = 2
    with at(2026, 9, 30):
        review = bad_review()
    assert rect(review).due == dt.date(2026, 10, 9)


def test_the_sweep_escalates_an_overdue_follow_up_once(market):
    with at(2026, 9, 30):
        review = bad_review()
    head = reviewer_of(market)
    boss = supervisor()
    with at(2026, 10, 13, 23):  # the last day is still in time
        assert services.sweep_overdue() == 0
    with at(2026, 10, 14):
        call_command("sweep_reviews")
        call_command("sweep_reviews")  # safe twice
        assert services.sweep_overdue() == 0
        overdue = list(
            selectors.followups_for(boss).filter(selectors.overdue_query(dt.date.today()))
        )
    assert {r.unit_name for r in overdue} == {"区市场监管局", "城管局"}
    assert Event.objects.filter(verb="review.rectification_overdue").count() == 2
    assert rect(review).overdue_at is not None
    subjects = Notification.objects.filter(subject__startswith="差评整改超期")
    assert subjects.filter(recipient=head).count() == 1
    assert subjects.filter(recipient=boss).count() == 2


def test_a_reported_follow_up_is_not_escalated(market):
    with at(2026, 9, 30):
        review = bad_review()
        work_through(rect(review), reviewer_of(market))
    with at(2026, 10, 20):
        assert services.sweep_overdue() == 1  # only 城管局's
    assert rect(review).overdue_at is None


def test_an_appeal_needs_a_reason_and_halts_the_follow_up(review, market):
    who = reviewer_of(market)
    boss = supervisor()
    with pytest.raises(DomainError, match="请填写申诉理由"):
        act(rect(review), "appeal", who, appeal_reason="")
    act(rect(review), "appeal", who, appeal_reason="当天系统故障，非窗口原因。")
    with pytest.raises(TransitionError):
        act(rect(review), "call_back", who, callback_outcome="x")
    with pytest.raises(NotAllowed, match="政务大数据局"):
        act(rect(review), "uphold_appeal", who, appeal_decision="x")
    assert Notification.objects.filter(recipient=boss, subject__contains="申诉").count() == 1


def test_an_upheld_appeal_takes_the_review_out_of_that_units_statistics(review, market):
    good = completion_of(completed())
    services.review_submit(occasion=good, channel="sms", level=5)

    def figures(name):
        return next(s for s in selectors.unit_statistics() if s.name == name)

    before = figures("区市场监管局")
    assert (before.count, before.satisfaction, before.rectifications) == (2, 50.0, 1)
    act(rect(review), "appeal", reviewer_of(market), appeal_reason="系统故障")
    r = act(rect(review), "uphold_appeal", supervisor(), appeal_decision="经核查属实，不计入")
    assert r.status == S.APPEAL_UPHELD
    after = figures("区市场监管局")
    assert (after.count, after.satisfaction, after.excluded, after.rectifications) == (
        1,
        100.0,
        1,
        0,
    )
    # Kept and marked, and still counted against the other department.
    assert Review.objects.filter(pk=review.pk).exists()
    assert figures("城管局").count == 2
    with pytest.raises(TransitionError):
        act(r, "call_back", reviewer_of(market), callback_outcome="x")


def test_a_rejected_appeal_continues_where_it_stopped_with_the_days_it_waited(market):
    with at(2026, 11, 2):  # Monday
        review = bad_review()
        r = act(rect(review), "call_back", reviewer_of(market), callback_outcome="已回访")
        r = act(r, "appeal", reviewer_of(market), appeal_reason="评价与事实不符")
    assert r.due == dt.date(2026, 11, 9)
    with at(2026, 11, 4):  # two working days later
        r = act(r, "reject_appeal", supervisor(), appeal_decision="证据不足")
    assert (r.status, r.due) == (S.CALLED_BACK, dt.date(2026, 11, 11))
    r = act(r, "verify", reviewer_of(market), finding="true", finding_note="属实")
    assert r.status == S.VERIFIED
    # A second appeal is not offered on the page; the figures count the review again.
    assert next(s for s in selectors.unit_statistics() if s.name == "区市场监管局").count == 1


def test_statistics_rates(market):
    with at(2026, 9, 30):
        review = bad_review()  # 2 follow-ups, due 13 October
        work_through(rect(review), reviewer_of(market))  # reported in time
        services.review_submit(occasion=completion_of(completed()), channel="sms", level=3)
    with at(2026, 10, 20):
        stats = {s.name: s for s in selectors.unit_statistics()}
    m, c = stats["区市场监管局"], stats["城管局"]
    assert (m.count, m.satisfaction, m.rectification_rate, m.on_time_rate) == (
        2,
        50.0,
        100.0,
        100.0,
    )
    assert (c.count, c.rectification_rate, c.on_time_rate) == (2, 0.0, 0.0)
    shares = dict((label, (n, share)) for label, n, share in m.level_shares)
    assert shares["非常不满意"] == (1, 50.0) and shares["基本满意"] == (1, 50.0)
    assert "3号综合窗口" not in stats  # the delivery visits are unrated: no row yet
