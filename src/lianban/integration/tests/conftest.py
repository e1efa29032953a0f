"""A department system as a small API client, and the registered clients tests use."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from typing import Any

import pytest
from django.test import Client

from lianban.applications.tests.factories import published_restaurant
from lianban.catalog.models import Department
from lianban.catalog.tests.factories import UserFactory
from lianban.integration import services
from lianban.integration.models import Scope

# Every scope a department system may hold (forwarding cases is for lower nodes only).
ALL_SCOPES = [s.value for s in Scope if s != Scope.NODE_FORWARD]


def result_pdf(text: str = "licence") -> bytes:
    """A well-formed one-page PDF, as a department's system would upload (the platform
    seals and signs it, so it must be a real PDF)."""
    from fpdf import FPDF

    pdf = FPDF()
    # A fixed date: the same text gives the same bytes, even across a second's boundary.
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


class DepartmentSystem:
    """What a department's approval system does, through the API alone."""

    def __init__(self, client_id: str, secret: str, http: Client | None = None):
        self.client_id = client_id
        self.secret = secret
        self.http = http or Client()
        self.token = ""

    def authenticate(self, scope: str | None = None) -> dict[str, Any]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret,
        }
        if scope:
            form["scope"] = scope
        response = self.http.post("/api/v1/oauth/token", form)
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]
        return response.json()

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.http.get(f"/api/v1{path}", params or {}, headers=self.headers(**headers))

    def post(self, path: str, body: dict[str, Any], key: str | None = None, **headers: str) -> Any:
        extra = dict(headers)
        extra["Idempotency-Key"] = key or str(uuid.uuid4())
        return self.http.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(**extra),
        )

    def command(self, case_id: int, action: str, key: str | None = None, **body: Any) -> Any:
        case = self.get(f"/cases/{case_id}").json()
        return self.post(
            f"/cases/{case_id}/{action}", {"expected_status": case["status"], **body}, key
        )

    def upload_results(
        self, case_id: int, expected_status: str, documents: list[dict[str, str]], key: str
    ) -> Any:
        files = []
        for n, _ in enumerate(documents):
            f = io.BytesIO(result_pdf(f"result {n}"))
            f.name = f"result-{n}.pdf"
            files.append(f)
        return self.http.post(
            f"/api/v1/cases/{case_id}/results",
            {
                "expected_status": expected_status,
                "documents": json.dumps(documents, ensure_ascii=False),
                "files": files,
            },
            headers=self.headers(**{"Idempotency-Key": key}),
        )


@pytest.fixture(autouse=True)
def _receivers_on_loopback(monkeypatch):
    # The tests' webhook receivers listen on loopback, which production refuses unless listed.
    monkeypatch.setenv("LIANBAN_WEBHOOK_NETWORKS", "127.0.0.0/8")


@pytest.fixture
def restaurant(db):
    return published_restaurant()


@pytest.fixture
def supervisor(db):
    return UserFactory(supervisor=True)


def register(
    supervisor: Any, department: str = "scjgj", scopes: list[str] | None = None
) -> services.IssuedSecret:
    return services.client_register(
        name=f"{department} 审批系统",
        department=Department.objects.get(code=department),
        scopes=scopes or ALL_SCOPES,
        actor=supervisor,
    )


def system_for(issued: services.IssuedSecret) -> DepartmentSystem:
    system = DepartmentSystem(issued.client.client_id, issued.secret)
    system.authenticate()
    return system
