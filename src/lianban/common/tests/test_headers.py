"""Every page carries the Content Security Policy and the Permissions Policy; the API's
Swagger page, which loads its code from a CDN, is the one page without the CSP."""

import pytest

from lianban.common.headers import POLICY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/admin/login/", "/api/v1/bundles", "/verify/"]
)
def test_pages_and_api_answers_carry_the_policies(client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == POLICY
    assert (
        "script-src 'self'" in POLICY
        and "unsafe-inline" not in POLICY.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in POLICY
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_page_is_exempt(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
