import pytest

from lianban.supervision.tests import data as d

S = "lianban.cases.models.ItemCase.Status"


@pytest.fixture
def october(db):
    """The data set of test_figures, worked out by hand in its docstring."""
    from lianban.cases.models import ItemCase
    from lianban.catalog.tests.factories import DepartmentFactory

    st = ItemCase.Status
    b1, b2 = d.version("我要开饭店"), d.version("新生儿出生一件事")
    d1 = DepartmentFactory(code="scjg", name="市场监管局")
    d2 = DepartmentFactory(code="xf", name="消防救援大队")
    d3 = DepartmentFactory(code="wj", name="卫生健康委")
    k1, k2 = d.clerk("1号窗口"), d.clerk("2号窗口")
    a1 = d.application(
        b1, submitted=d.at(10, 8, 9), intake_due=d.at(10, 9).date(), received=d.at(10, 9), by=k1
    )
    a2 = d.application(
        b1, submitted=d.at(10, 9, 9), intake_due=d.at(10, 10).date(), received=d.at(10, 13), by=k2
    )
    a3 = d.application(
        b1,
        submitted=d.at(10, 14, 9),
        intake_due=d.at(10, 15).date(),
        corrected=d.at(10, 15, 16),
        received=d.at(10, 20),
        by=k1,
    )
    a4 = d.application(b2, channel="window", received=d.at(10, 21), by=k2)
    # On the edges of the month, in local time: 23:30 on 30 September is 15:30 UTC.
    a5 = d.application(
        b2,
        submitted=d.at(9, 29),
        intake_due=d.at(9, 30).date(),
        received=d.at(9, 30, 23, 30),
        by=k1,
    )
    a6 = d.application(
        b2,
        submitted=d.at(10, 31, 20),
        intake_due=d.at(11, 3).date(),
        received=d.at(10, 31, 23, 50),
        by=k2,
    )
    d.application(b1, submitted=d.at(10, 30), intake_due=d.at(10, 31).date())  # unanswered
    c = {}
    c[1] = d.case(
        a1,
        d1,
        status=st.RETURNED,
        dispatched=d.at(10, 9),
        acceptance_stopped=d.at(10, 10),
        decision_stopped=d.at(10, 20),
        met=True,
    )
    c[2] = d.case(
        a1, d2, status=st.REFUSED, dispatched=d.at(10, 9), acceptance_stopped=d.at(10, 9, 15)
    )
    c[3] = d.case(
        a2,
        d1,
        status=st.DECIDED,
        dispatched=d.at(10, 13),
        acceptance_stopped=d.at(10, 14),
        decision_stopped=d.at(10, 28),
        met=False,
    )
    c[4] = d.case(
        a2, d3, status=st.ACCEPTED, dispatched=d.at(10, 13), acceptance_stopped=d.at(10, 14)
    )
    c[5] = d.case(a3, d1, status=st.DISPATCHED, dispatched=d.at(10, 20))
    c[6] = d.case(a3, d2, status=st.CANCELLED, dispatched=d.at(10, 20))
    c[7] = d.case(
        a4,
        d3,
        status=st.DELIVERED,
        dispatched=d.at(10, 21),
        acceptance_stopped=d.at(10, 21, 15),
        decision_stopped=d.at(11, 2),
        met=True,
    )
    c[8] = d.case(
        a5,
        d1,
        status=st.DELIVERED,
        dispatched=d.at(9, 30, 23, 30),
        acceptance_stopped=d.at(10, 1, 9),
        decision_stopped=d.at(10, 9),
        met=True,
    )
    c[9] = d.case(a6, d2, status=st.DISPATCHED, dispatched=d.at(10, 31, 23, 50))
    return {
        "b1": b1.bundle,
        "b2": b2.bundle,
        "d1": d1,
        "d2": d2,
        "d3": d3,
        "k1": k1,
        "k2": k2,
        "cases": c,
    }
