"""The figures against a data set whose answers were worked out by hand (conftest.october).

October 2026, local time (Asia/Shanghai):

applications (received / online answered / answered on time):
  A1 开饭店 online, due 10-09, received 10-09 by 1号窗口 ............ on time
  A2 开饭店 online, due 10-10, received 10-13 by 2号窗口 ............ late
  A3 开饭店 online, due 10-15, correction 10-15, received 10-20 (1号) on time (first answer)
  A4 出生 walk-in, received 10-21 (2号) .............................. not an online one
  A5 出生 online, received 09-30 23:30 (1号) ......................... September
  A6 出生 online, due 11-03, received 10-31 23:50 (2号) .............. on time
  A7 开饭店 online, not answered ...................................... not counted
  → received 5, answered 4, on time 3 → 收件及时率 75%

cases (dispatched / acceptance decided / decision):
  C1 A1 市场监管  returned   acc 10-10, decided 10-20 on time
  C2 A1 消防      refused    acc 10-09
  C3 A2 市场监管  decided    acc 10-14, decided 10-28 late
  C4 A2 卫健      accepted   acc 10-14
  C5 A3 市场监管  dispatched
  C6 A3 消防      cancelled
  C7 A4 卫健      delivered  acc 10-21, decided 11-02 (November)
  C8 A5 市场监管  delivered  dispatched 09-30 23:30 (September), acc 10-01, decided 10-09 on time
  C9 A6 消防      dispatched 10-31 23:50
  → dispatched 8 (C1–C7, C9), cancelled 1, concluded 4 (C1 C2 C3 C7) → 办结率 4/7
  → acceptance decided 6 (C1 C2 C3 C4 C7 C8), refused 1 → 不予受理率 1/6
  → decided 3 (C1 C3 C8), on time 2 → 办理及时率 2/3
"""

import datetime as dt

import pytest

from lianban.supervision import selectors, services
from lianban.supervision.selectors import Scope

pytestmark = pytest.mark.django_db
OCT, SEP, NOV = dt.date(2026, 10, 1), dt.date(2026, 9, 1), dt.date(2026, 11, 1)


def counts(f):
    return {
        k: getattr(f, k)
        for k in (
            "received",
            "online_answered",
            "online_on_time",
            "dispatched",
            "cancelled",
            "concluded",
            "acceptance_decided",
            "refused",
            "decided",
            "decided_on_time",
        )
    }


def test_october_totals_equal_the_hand_count(october):
    services.refresh_figures()
    _, total = selectors.month_figures(Scope(None), OCT, "bundle")
    assert counts(total) == {
        "received": 5,
        "online_answered": 4,
        "online_on_time": 3,
        "dispatched": 8,
        "cancelled": 1,
        "concluded": 4,
        "acceptance_decided": 6,
        "refused": 1,
        "decided": 3,
        "decided_on_time": 2,
    }
    assert total.intake_rate == 0.75
    assert total.completion_rate == pytest.approx(4 / 7)
    assert total.refusal_rate == pytest.approx(1 / 6)
    assert total.processing_rate == pytest.approx(2 / 3)


def test_a_case_counts_in_the_local_month_of_its_own_dates(october):
    services.refresh_figures()
    _, sep = selectors.month_figures(Scope(None), SEP, "bundle")
    _, nov = selectors.month_figures(Scope(None), NOV, "bundle")
    assert (sep.received, sep.online_answered, sep.online_on_time) == (1, 1, 1)
    assert (sep.dispatched, sep.concluded, sep.acceptance_decided, sep.decided) == (1, 1, 0, 0)
    assert (nov.dispatched, nov.decided, nov.decided_on_time, nov.received) == (0, 1, 1, 0)


def test_by_department(october):
    services.refresh_figures()
    rows, _ = selectors.month_figures(Scope(None), OCT, "department")
    by = {r.label: counts(r.figures) for r in rows}
    assert by["市场监管局"] == {
        "received": 0, "online_answered": 0, "online_on_time": 0,
        "dispatched": 3, "cancelled": 0, "concluded": 2,
        "acceptance_decided": 3, "refused": 0, "decided": 3, "decided_on_time": 2,
    }  # fmt: skip
    assert by["消防救援大队"] == {
        "received": 0, "online_answered": 0, "online_on_time": 0,
        "dispatched": 3, "cancelled": 1, "concluded": 1,
        "acceptance_decided": 1, "refused": 1, "decided": 0, "decided_on_time": 0,
    }  # fmt: skip
    assert by["卫生健康委"] == {
        "received": 0, "online_answered": 0, "online_on_time": 0,
        "dispatched": 2, "cancelled": 0, "concluded": 1,
        "acceptance_decided": 2, "refused": 0, "decided": 0, "decided_on_time": 0,
    }  # fmt: skip
    # The window's intake is no department's: the rows do not show it, the total does.
    assert all(not r.figures.intake_shown for r in rows)


def test_by_window_and_clerk(october):
    services.refresh_figures()
    rows, _ = selectors.month_figures(Scope(None), OCT, "window")
    by = {r.label: counts(r.figures) for r in rows}
    assert by["1号窗口"] == {
        "received": 2, "online_answered": 2, "online_on_time": 2,
        "dispatched": 4, "cancelled": 1, "concluded": 2,
        "acceptance_decided": 3, "refused": 1, "decided": 2, "decided_on_time": 2,
    }  # fmt: skip
    assert by["2号窗口"] == {
        "received": 3, "online_answered": 2, "online_on_time": 1,
        "dispatched": 4, "cancelled": 0, "concluded": 2,
        "acceptance_decided": 3, "refused": 0, "decided": 1, "decided_on_time": 0,
    }  # fmt: skip
    clerks, _ = selectors.month_figures(Scope(None), OCT, "clerk")
    assert {r.key: r.figures.received for r in clerks} == {
        str(october["k1"].pk): 2,
        str(october["k2"].pk): 3,
    }


def test_by_bundle(october):
    services.refresh_figures()
    rows, _ = selectors.month_figures(Scope(None), OCT, "bundle")
    by = {r.label: counts(r.figures) for r in rows}
    assert by["我要开饭店"] == {
        "received": 3, "online_answered": 3, "online_on_time": 2,
        "dispatched": 6, "cancelled": 1, "concluded": 3,
        "acceptance_decided": 4, "refused": 1, "decided": 2, "decided_on_time": 1,
    }  # fmt: skip
    assert by["新生儿出生一件事"] == {
        "received": 2, "online_answered": 1, "online_on_time": 1,
        "dispatched": 2, "cancelled": 0, "concluded": 1,
        "acceptance_decided": 2, "refused": 0, "decided": 1, "decided_on_time": 1,
    }  # fmt: skip


def test_ranking_puts_timeliness_first_then_completion_then_fewer_refusals(october):
    services.refresh_figures()
    assert [r.label for r in selectors.ranking(OCT)] == ["市场监管局", "卫生健康委", "消防救援大队"]


def test_a_department_sees_only_its_own_figures(october):
    services.refresh_figures()
    scope = Scope(october["d1"].pk)
    rows, total = selectors.month_figures(scope, OCT, "bundle")
    assert (total.dispatched, total.concluded, total.decided, total.decided_on_time) == (3, 2, 3, 2)
    assert total.received == 0 and not total.intake_shown
    assert {r.label for r in rows} == {"我要开饭店", "新生儿出生一件事"}


def test_drill_down_lists_exactly_the_cases_counted(october):
    services.refresh_figures()
    c = october["cases"]
    everything = Scope(None)

    def drill(figure, by="bundle", key=None, scope=everything):
        return set(selectors.drill_cases(scope, figure, OCT, by, key).values_list("pk", flat=True))

    assert drill("dispatched") == {c[n].pk for n in (1, 2, 3, 4, 5, 6, 7, 9)}
    assert drill("concluded") == {c[n].pk for n in (1, 2, 3, 7)}
    assert drill("refused") == {c[2].pk}
    assert drill("decided") == {c[n].pk for n in (1, 3, 8)}
    assert drill("decided_late") == {c[3].pk}
    assert drill("dispatched", "window", "2号窗口") == {c[n].pk for n in (3, 4, 7, 9)}
    assert drill("dispatched", scope=Scope(october["d1"].pk)) == {c[n].pk for n in (1, 3, 5)}
    late = selectors.drill_applications("online_late", OCT, "bundle", None)
    assert [a.received_window for a in late] == ["2号窗口"]


def test_refresh_recomputes_only_the_months_changes_touched(october):
    first = services.refresh_figures()
    assert first.full
    again = services.refresh_figures()
    assert (again.full, again.events, again.months) == (False, 0, 0)
