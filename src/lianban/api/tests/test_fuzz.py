"""Property-based testing of the whole API against its committed OpenAPI document
(schemathesis): for generated requests, valid and invalid, no operation answers 5xx, and
every answer — status code, content type, body — is one the document declares."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from lianban.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # schemathesis calls the WSGI application directly, not through Django's test client,
    # so Django would close the database connection after each request, and with it the
    # test's transaction (PostgreSQL). Django's test client disconnects the same handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch):
    # The fuzzer makes thousands of calls with one client in a minute, by design.
    monkeypatch.setenv("LIANBAN_API_RATE_LIMIT", "0")


@pytest.fixture
def token(db) -> str:
    """A published bundle, so that the catalog operations have something to answer with,
    and a department system's token with every scope, so that the secured operations are
    exercised past authentication."""
    from lianban.applications.tests.factories import published_restaurant
    from lianban.catalog.models import Department
    from lianban.catalog.tests.factories import UserFactory
    from lianban.integration import services
    from lianban.integration.models import Scope

    published_restaurant()
    issued = services.client_register(
        name="市场监管审批系统",
        department=Department.objects.get(code="scjgj"),
        scopes=[s.value for s in Scope if s != Scope.NODE_FORWARD],
        actor=UserFactory(supervisor=True),
    )
    return services.token_issue(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        scope=None,
        grant_type="client_credentials",
    ).token


# Two of schemathesis's checks judge inputs, not answers, and the API checks more than OpenAPI
# can state: a command is refused (409) when the case is not in the expected state, a reason is
# required where the schema allows an empty string, the calendar serves 1949-10-01 to
# 2199-12-31, verification reads only PDFs; and pydantic reads "0" as a date (1970-01-01).
# What is checked for every generated request: no 5xx, and a status code, content type,
# headers and body that the document declares.
INPUT_CHECKS = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # The same examples on every run, so that a red build means a change broke something;
    # raise max_examples or drop this locally to hunt for new failures.
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case, token):
    headers = (
        {"Authorization": f"Bearer {token}"}
        if case.operation.definition.raw.get("security")
        else {}
    )
    case.call_and_validate(headers=headers, excluded_checks=INPUT_CHECKS)


# What the fuzzing found, kept as plain tests so that they run every time.


def test_a_body_django_cannot_take_apart_gets_the_api_error_shape(client, db):
    response = client.post("/api/v1/documents/verify", data="x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "validation_error"
    assert "无法解析" in response.json()["message"]


def test_a_case_id_of_unicode_digits_is_refused_not_a_server_error(client, token):
    response = client.post(
        "/api/v1/cases/%C2%B9/refuse",
        data={"expected_status": "dispatched", "reason": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"},
    )
    assert response.status_code in {400, 404}
    assert response["Content-Type"].startswith("application/json")
