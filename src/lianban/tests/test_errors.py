"""People get Chinese pages, never Django's English defaults; the API never answers 500
for odd dates."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_missing_page_is_chinese(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_expired_form_is_chinese(settings):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"start": "9999-12-31", "days": 5},
        {"start": "0001-01-01", "days": 5},
    ],
)
def test_workdays_api_refuses_dates_far_out_of_range(client, params):
    response = client.get("/api/v1/workdays/add", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "start"


@pytest.mark.django_db
def test_workdays_count_refuses_an_enormous_range(client):
    response = client.get("/api/v1/workdays/count", {"start": "1950-01-01", "end": "2190-01-01"})
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/proposals/P%00X/", "/verify/%00/", "/track/?number=S%00", "/api/v1/bundles/a%00b"],
)
def test_a_nul_in_the_address_is_refused_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert "空字符" in body
    if url.startswith("/api/"):
        assert response.json()["errors"][0]["path"] == "url"
    # Security headers still wrap the refusal.
    assert "Content-Security-Policy" in response.headers
