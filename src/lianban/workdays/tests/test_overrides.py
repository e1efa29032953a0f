"""The administrator's override table, through the services and the API."""

import datetime as dt

import pytest

from lianban.audit.models import Event
from lianban.workdays import selectors, services

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    selectors.clear_cache()
    yield
    selectors.clear_cache()


def test_publishing_next_years_schedule_removes_the_provisional_flag(
    django_capture_on_commit_callbacks,
):
    assert selectors.add_workdays(D(2026, 12, 30), 3).provisional is True
    with django_capture_on_commit_callbacks(execute=True):
        services.override_set(date=D(2027, 1, 1), kind="holiday", name="元旦", actor=None)
        services.year_publish(year=2027, source="国务院办公厅通知", actor=None)
    result = selectors.add_workdays(D(2026, 12, 30), 3)
    assert result.date == D(2027, 1, 5)
    assert result.provisional is False


def test_an_override_is_audited_and_can_be_removed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        override = services.override_set(
            date=D(2026, 10, 8), kind="holiday", name="测试", actor=None
        )
    assert selectors.add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 9)
    with django_capture_on_commit_callbacks(execute=True):
        services.override_delete(override=override, actor=None)
    assert selectors.add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert list(Event.objects.values_list("verb", flat=True)) == [
        "workdays.override_set",
        "workdays.override_deleted",
    ]


def test_api_adds_working_days(client):
    response = client.get("/api/v1/workdays/add", {"start": "2026-09-30", "days": 1})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-08", "provisional": False}


def test_api_flags_provisional_dates(client):
    response = client.get("/api/v1/workdays/add", {"start": "2026-12-30", "days": 3})
    assert response.json() == {"date": "2027-01-04", "provisional": True}


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"start": "2026-02-30", "days": 1}, "start"),
        ({"start": "明天", "days": 1}, "start"),
        ({"start": "2026-09-30", "days": -1}, "days"),
        ({"start": "2026-09-30", "days": "三"}, "days"),
        ({"days": 1}, "start"),
    ],
)
def test_api_rejects_bad_input_with_a_field_path(client, params, path):
    response = client.get("/api/v1/workdays/add", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["path"] for e in body["errors"]] == [path]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in body["errors"])


def test_api_counts_working_days(client):
    response = client.get("/api/v1/workdays/count", {"start": "2026-09-30", "end": "2026-10-12"})
    assert response.json() == {"days": 4, "provisional": False}
    response = client.get("/api/v1/workdays/count", {"start": "2026-10-12", "end": "2026-09-30"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "end"
