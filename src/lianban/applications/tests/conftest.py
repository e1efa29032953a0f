"""What the intake tests share: the published 我要开饭店, an applicant, and that applicant
signed in to the API."""

import pytest

from lianban.applications.tests.api_client import SessionApi
from lianban.applications.tests.factories import ApplicantFactory, published_restaurant


@pytest.fixture
def restaurant(db):
    return published_restaurant()


@pytest.fixture
def applicant(db):
    return ApplicantFactory()


@pytest.fixture
def me(applicant):
    return SessionApi(applicant.user)
