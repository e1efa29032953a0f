"""The live yellow and red lists follow the workbench's own light rule."""

import datetime as dt

import pytest

from lianban.cases import clocks
from lianban.cases.models import Clock, ItemCase
from lianban.supervision import selectors
from lianban.supervision.selectors import Scope
from lianban.supervision.tests import data as d

pytestmark = pytest.mark.django_db
S = ItemCase.Status
TODAY = dt.date(2026, 11, 27)  # a Friday; the next working day is Monday 30 November


@pytest.fixture
def open_cases():
    from lianban.catalog.tests.factories import DepartmentFactory

    v = d.version("我要开饭店")
    d1, d2 = DepartmentFactory(name="市场监管局"), DepartmentFactory(name="消防救援大队")
    app = d.application(v, received=d.at(11, 20), by=d.clerk("1号窗口"))
    made = {}
    for name, dept, status, due in (
        ("overdue", d1, S.ACCEPTED, dt.date(2026, 11, 26)),
        ("today", d1, S.DISPATCHED, TODAY),
        ("saturday", d2, S.ACCEPTED, dt.date(2026, 11, 28)),
        ("monday", d2, S.DECIDED, dt.date(2026, 11, 30)),
        ("tuesday", d1, S.ACCEPTED, dt.date(2026, 12, 1)),
        ("suspended", d1, S.SUSPENDED, dt.date(2026, 11, 20)),
    ):
        c = d.case(app, dept, status=status, dispatched=d.at(11, 20), running_due=due)
        Clock.objects.create(
            case=c, kind=Clock.Kind.DECISION, started_on=dt.date(2026, 11, 20), limit_days=5,
            due=due, paused_on=dt.date(2026, 11, 19) if status == S.SUSPENDED else None,
        )  # fmt: skip
        made[name] = c
    return made, d1


def names(made, cases):
    pk = {c.pk: n for n, c in made.items()}
    return [pk[c.pk] for c in cases]


def test_red_is_past_due_and_yellow_one_working_day_or_less(open_cases):
    made, _ = open_cases
    everything = Scope(None)
    assert names(made, selectors.warning_cases(everything, "red", TODAY)) == ["overdue"]
    assert names(made, selectors.warning_cases(everything, "yellow", TODAY)) == [
        "today",
        "saturday",
        "monday",
    ]
    assert selectors.warning_counts(everything, TODAY) == {"yellow": 3, "red": 1}


def test_the_lists_agree_with_the_workbench_light_of_every_case(open_cases):
    made, _ = open_cases
    listed = {
        light: {c.pk for c in selectors.warning_cases(Scope(None), light, TODAY)}
        for light in ("yellow", "red")
    }
    for case in made.values():
        clock = Clock.objects.get(case=case, kind=Clock.Kind.DECISION)
        light = clocks.light(clock, TODAY)
        assert (case.pk in listed.get(light, set())) == (light in listed), case.item_name


def test_a_department_sees_only_its_own_warnings(open_cases):
    made, d1 = open_cases
    mine = Scope(d1.pk)
    assert names(made, selectors.warning_cases(mine, "yellow", TODAY)) == ["today"]
    assert names(made, selectors.warning_cases(mine, "red", TODAY)) == ["overdue"]


def test_the_index_of_lighted_cases_holds_exactly_the_lighted_states():
    # The partial index is what keeps the platform-wide lights cheap at a province's size; a
    # state added to LIGHTED but not to the index's condition would silently bypass it.
    index = next(i for i in ItemCase._meta.indexes if i.name == "itemcase_lighted_due")
    assert dict(index.condition.children)["status__in"] == list(selectors.LIGHTED)
    assert index.fields == ["running_due", "id"]


@pytest.mark.postgresql
def test_the_platform_wide_red_list_is_read_in_order_from_the_index(open_cases):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a few rows here: plan as at scale
        plan = selectors.warning_cases(Scope(None), "red", TODAY)[:50].explain()
    assert "itemcase_lighted_due" in plan and "Sort" not in plan, plan
