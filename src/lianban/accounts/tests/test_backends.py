"""The password backend reads a signed-in user with their applicant record in one query, and
refuses an inactive account as Django's does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.accounts import backends
from lianban.accounts.backends import ModelBackend
from lianban.applications.tests.factories import ApplicantFactory
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_applicant_comes_with_their_record_in_one_query(django_assert_num_queries):
    applicant = ApplicantFactory()
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(applicant.user.pk)
        assert user is not None
        assert user.applicant.name == applicant.name


def test_staff_have_no_record_and_asking_costs_no_query(django_assert_num_queries):
    clerk = UserFactory(role="clerk")
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(clerk.pk)
        assert user is not None and not hasattr(user, "applicant")


def test_an_inactive_or_unknown_account_is_nobody():
    inactive = UserFactory(is_active=False)
    assert ModelBackend().get_user(inactive.pk) is None
    assert ModelBackend().get_user(inactive.pk + 1000) is None


def test_a_signed_in_applicants_page_reads_the_record_with_the_user(client):
    applicant = ApplicantFactory()
    client.force_login(applicant.user)
    assert client.session["_auth_user_backend"] == backends.PATH
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/applications/")
    assert response.status_code == 200
    assert applicant.name in response.content.decode()
    alone = [q["sql"] for q in queries if 'FROM "accounts_applicant"' in q["sql"]]
    assert alone == []
