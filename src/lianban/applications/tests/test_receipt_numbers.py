"""Receipt numbers: readable, checkable, and unique under concurrent submissions."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from lianban.applications import numbers, services
from lianban.applications.models import Application
from lianban.applications.tests.factories import ApplicantFactory, pdf, published_restaurant


def test_format_and_check_digit():
    number = numbers.format_number(dt.date(2026, 11, 27), 42)
    assert number.startswith("20261127-0042-")
    assert numbers.is_valid(number)
    # A mistyped digit or two swapped digits are caught.
    assert not numbers.is_valid("20261127-0043-" + number[-1])
    assert not numbers.is_valid("20261172-0042-" + number[-1])


@pytest.mark.django_db
def test_numbers_count_up_per_day_and_restart_the_next_day():
    first = numbers.next_receipt_number(dt.date(2026, 11, 27))
    second = numbers.next_receipt_number(dt.date(2026, 11, 27))
    other = numbers.next_receipt_number(dt.date(2026, 11, 30))
    assert (first[9:13], second[9:13], other[9:13]) == ("0001", "0002", "0001")


def _ready_drafts(n):
    published_restaurant()
    drafts = []
    for _ in range(n):
        applicant = ApplicantFactory()
        app = services.application_start(
            bundle_code="restaurant",
            answers={"area": "lt50", "sign": "no"},
            applicant=applicant,
            channel="online",
            actor=applicant.user,
        )
        services.application_save_form(
            application=app, data={"business_area": "30"}, actor=applicant.user
        )
        for code in ("id_card", "lease"):
            services.material_upload(
                application=app,
                material_code=code,
                stream=pdf(),
                name="a.pdf",
                actor=applicant.user,
            )
        drafts.append(app)
    return drafts


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_get_fifty_distinct_numbers():
    drafts = _ready_drafts(50)
    errors: list[BaseException] = []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(50)

        def submit(app):
            try:
                barrier.wait()
                services.application_submit(application=app, actor=app.applicant.user)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit, args=(a,)) for a in drafts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        # SQLite has one writer at a time; the same code path, one after another.
        for app in drafts:
            services.application_submit(application=app, actor=app.applicant.user)
    assert errors == []
    issued = list(Application.objects.values_list("receipt_number", flat=True))
    assert len(issued) == 50
    assert len(set(issued)) == 50
    assert all(numbers.is_valid(n) for n in issued)
    assert sorted(int(n.split("-")[1]) for n in issued) == list(range(1, 51))
