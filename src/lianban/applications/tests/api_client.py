"""A person using the applicant's or the window's API as a program would: signed in through
the sign-in page (the session cookie and the CSRF token it sets), every POST with the token
in ``X-CSRFToken`` and an ``Idempotency-Key``. CSRF checks are enforced, as in production."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lianban.applications.tests.factories import PDF

PASSWORD = "Lianban-api-2026"


class SessionApi:
    def __init__(self, user: Any = None):
        self.http = Client(enforce_csrf_checks=True)
        if user is not None:
            self.sign_in(user)

    def sign_in(self, user: Any) -> None:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        self.http.get("/accounts/login/")
        response = self.http.post(
            "/accounts/login/",
            {
                "username": user.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf,
            },
        )
        assert response.status_code == 302, response.content

    @property
    def csrf(self) -> str:
        return self.http.cookies["csrftoken"].value

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get(f"/api/v1{path}", params or {})

    def post(
        self, path: str, body: dict[str, Any], *, key: str | None = None, csrf: bool = True
    ) -> Any:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        return self.http.post(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
        )

    def submit_at_once(
        self,
        application: dict[str, Any],
        files: dict[str, bytes],
        *,
        key: str | None = None,
    ) -> Any:
        """The whole application in one multipart request: ``files`` by material code."""
        return self.http.post(
            "/api/v1/applications/submit",
            {
                "application": json.dumps(application, ensure_ascii=False),
                **{
                    f"materials.{code}": SimpleUploadedFile(f"{code}.pdf", data, "application/pdf")
                    for code, data in files.items()
                },
            },
            headers={"Idempotency-Key": key or str(uuid.uuid4()), "X-CSRFToken": self.csrf},
        )

    def upload(
        self,
        path: str,
        material: str,
        expected_status: str,
        data: bytes = PDF,
        *,
        key: str | None = None,
    ) -> Any:
        return self.http.post(
            f"/api/v1{path}",
            {
                "material": material,
                "expected_status": expected_status,
                "file": SimpleUploadedFile(f"{material}.pdf", data, "application/pdf"),
            },
            headers={"Idempotency-Key": key or str(uuid.uuid4()), "X-CSRFToken": self.csrf},
        )
