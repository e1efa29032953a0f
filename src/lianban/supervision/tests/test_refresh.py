"""The rollup follows the real services through the audit trail, month by month."""

import datetime as dt

import pytest
import time_machine

from lianban.applications.tests.factories import published_restaurant
from lianban.cases import services as cases
from lianban.cases.tests.factories import case_of, received_restaurant, reviewer
from lianban.supervision import selectors, services
from lianban.supervision.models import CaseFigure, FigureState
from lianban.supervision.selectors import Scope

pytestmark = pytest.mark.django_db
NOV = dt.date(2026, 11, 1)


def at(y, m, d, hour=10):
    return time_machine.travel(dt.datetime(y, m, d, hour - 8, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def restaurant():
    return published_restaurant()


def total(month=NOV):
    return selectors.month_figures(Scope(None), month, "department")[1]


def test_changes_through_the_services_reach_the_figures_at_the_next_refresh(restaurant):
    with at(2026, 11, 23):
        app = received_restaurant()
        first = services.refresh_figures()
    assert first.full
    dispatched = app.cases.exclude(dispatched_at=None).count()
    before = total()
    assert (before.received, before.online_answered, before.online_on_time) == (1, 1, 1)
    assert (before.dispatched, before.refused, before.acceptance_decided) == (dispatched, 0, 0)

    with at(2026, 11, 24):
        cases.case_refuse(
            case=case_of(app, "SCJGJ-001"), actor=reviewer("scjgj"), reason="不属于本部门职权"
        )
        fire = case_of(app, "XFZD-001")
        cases.case_accept(case=fire, actor=reviewer("xfzd"))
    # Not yet refreshed: the dashboard still shows what it showed, and says as of when.
    assert total().refused == 0
    with at(2026, 11, 24, 11):
        step = services.refresh_figures()
    assert (step.full, step.months) == (False, 1)
    assert step.events > 0
    after = total()
    assert (after.refused, after.acceptance_decided) == (1, 2)
    # The licence waited for the refused item and was cancelled before it was ever
    # dispatched: it is in no figure of any department.
    assert (after.cancelled, after.dispatched) == (0, dispatched)
    assert FigureState.objects.get().refreshed_at == dt.datetime(2026, 11, 24, 3, tzinfo=dt.UTC)

    with at(2026, 12, 2):
        cases.case_decide(case=fire, actor=reviewer("xfzd"), outcome="approved")
        services.refresh_figures()
    # Decided in December: December's decision counts, November's completion cohort moves.
    dec = total(dt.date(2026, 12, 1))
    assert (dec.decided, dec.decided_on_time, dec.dispatched) == (1, 1, 0)
    assert total().concluded == after.concluded + 1


def test_a_full_refresh_gives_the_same_rows_as_the_incremental_ones(restaurant):
    with at(2026, 11, 23):
        app = received_restaurant()
        services.refresh_figures()
    with at(2026, 11, 24):
        cases.case_accept(case=case_of(app, "SCJGJ-001"), actor=reviewer("scjgj"))
        services.refresh_figures()
    fields = ["month", "bundle_id", "department_id", "window", "clerk_id", "dispatched",
              "concluded", "acceptance_decided", "refused", "decided"]  # fmt: skip
    incremental = sorted(CaseFigure.objects.values_list(*fields))
    services.refresh_figures(full=True)
    assert sorted(CaseFigure.objects.values_list(*fields)) == incremental
