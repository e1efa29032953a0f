"""Two workers refreshing at once (PostgreSQL: row locks are real there)."""

import threading

import pytest
from django.db import connections

from lianban.supervision import services
from lianban.supervision.models import CaseFigure, FigureState

pytestmark = pytest.mark.django_db(transaction=True)


def rows():
    return sorted(
        CaseFigure.objects.values_list(
            "month", "bundle_id", "department_id", "window", "clerk_id", "dispatched",
            "concluded", "refused", "decided", "decided_on_time",
        )
    )  # fmt: skip


# SQLite serialises writers by locking the whole file; row locks are PostgreSQL's.
@pytest.mark.postgresql
def test_two_refreshes_at_once_run_one_after_the_other(october):
    results, errors = [], []

    def work():
        try:
            results.append(services.refresh_figures())
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # The first builds the rollup whole; the second waited for its lock and found nothing.
    assert sorted(r.full for r in results) == [False, True]
    assert [r.months for r in results if not r.full] == [0]
    assert FigureState.objects.count() == 1
    once = rows()
    services.refresh_figures(full=True)
    assert rows() == once and once
