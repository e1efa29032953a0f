"""Uploaded files are never executed and never shown inline as a page.

- Every upload (the applicant's page and API, the window, a department's results) checks the
  content, not the name or the type the browser claims: HTML and SVG with a script are
  refused, in Chinese, and nothing is kept.
- A file whose first bytes are a PDF's or a PNG's passes that check even if HTML follows (a
  polyglot): every view that serves a stored file then sends it as a download, typed as its
  checked content, with ``nosniff`` and the Content Security Policy, so a browser never
  renders it as a page. The same holds for what the platform issues itself (notices, results,
  一次性告知单, bulletins, exports, the CA certificate).
- Stored files have no URL of their own: no route serves MEDIA_ROOT."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.static import serve

from lianban.accounts.models import User
from lianban.applications import services as intake
from lianban.applications.models import Application, MaterialFile
from lianban.applications.selectors import plan_of
from lianban.applications.tests.api_client import SessionApi
from lianban.applications.tests.factories import (
    ApplicantFactory,
    clerk,
    published_restaurant,
)
from lianban.audit.models import Event
from lianban.cases import services as case_services
from lianban.cases.models import ItemCase, ResultDocument
from lianban.cases.tests.factories import case_of, reviewer
from lianban.catalog.tests.factories import DepartmentFactory, UserFactory
from lianban.common.headers import POLICY
from lianban.tests.fuzzing import chinese

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>\n"
)
# What passes a check by the first bytes: a PDF or PNG signature, then a page with a script.
PDF_POLYGLOT = b"%PDF-1.4\n" + HTML + b"%%EOF\n"
PNG_POLYGLOT = b"\x89PNG\r\n\x1a\n" + SVG

# (name, the type the browser claims, content): each a script in disguise.
DISGUISES = [
    ("page.html", "text/html", HTML),
    ("drawing.svg", "image/svg+xml", SVG),
    ("scan.pdf", "application/pdf", HTML),
    ("scan.pdf", "image/svg+xml", SVG),
    ("photo.png", "image/png", SVG),
    ("photo.jpg", "image/jpeg", b"\xef\xbb\xbf" + HTML),
    ("page.html", "text/html", PDF_POLYGLOT),  # a PDF's bytes, a page's name
    ("drawing.svg", "image/svg+xml", PNG_POLYGLOT),
]

SAFE_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/x-pem-file",
}


def upload(name: str, claimed: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=claimed)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def real_pdf(text: str) -> bytes:
    """A valid one-page PDF whose text is markup: the platform seals it as any result."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def real_png_with_script() -> bytes:
    """A valid PNG carrying a page with a script in a text chunk."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HTML.decode())
    out = io.BytesIO()
    Image.new("RGB", (40, 56), (250, 250, 250)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def assert_download(response: Any, *, content_type: str | None = None) -> bytes:
    """A stored or issued file as a download that no browser renders or sniffs."""
    assert response.status_code == 200, (response.status_code, response.content[:300])
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment"), disposition
    served = response["Content-Type"].split(";")[0].strip().lower()
    assert served in SAFE_TYPES, served
    if content_type is not None:
        assert served == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == POLICY
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_refused(response: Any) -> None:
    from lianban.tests.fuzzing import alerts

    assert response.status_code == 400, response.status_code
    messages = alerts(response.content.decode())
    assert messages and all(chinese(m) for m in messages), messages


@pytest.fixture
def restaurant() -> Any:
    return published_restaurant()


def _draft(applicant: Any, *, channel: str = Application.Channel.ONLINE, actor: Any = None) -> Any:
    return intake.application_start(
        bundle_code="restaurant",
        answers={"area": "lt50", "sign": "no"},  # 营业执照登记 and 小经营店登记
        applicant=applicant,
        channel=channel,
        actor=actor or applicant.user,
    )


def _decided_case() -> tuple[ItemCase, User]:
    from lianban.cases.tests.factories import received_restaurant

    app = received_restaurant({"area": "lt50", "sign": "no"})
    case = case_of(app, "SCJGJ-001")
    market = reviewer("scjgj")
    case_services.case_accept(case=case, actor=market)
    case_services.case_decide(case=case, actor=market, outcome="approved")
    case.refresh_from_db()
    return case, market


def test_a_script_in_disguise_is_refused_by_every_upload(restaurant: Any) -> None:
    applicant = ApplicantFactory()
    online = _draft(applicant)
    api = SessionApi(applicant.user)  # sets a password: sign the page in after it
    page = Client()
    page.force_login(applicant.user)
    window = clerk()
    counter = Client()
    counter.force_login(window)
    walk_in = _draft(
        ApplicantFactory(walk_in=True), channel=Application.Channel.WINDOW, actor=window
    )
    case, market = _decided_case()
    department = Client()
    department.force_login(market)
    files_before = stored_files()

    for name, claimed, data in DISGUISES:
        events = Event.objects.count()
        response = page.post(
            f"/applications/{online.pk}/upload/",
            {"material": "id_card", "file": upload(name, claimed, data)},
        )
        assert_refused(response)
        response = api.http.post(
            f"/api/v1/applications/{online.pk}/materials",
            {
                "material": "id_card",
                "expected_status": "draft",
                "file": upload(name, claimed, data),
            },
            headers={"Idempotency-Key": f"upload-{name}-{len(data)}", "X-CSRFToken": api.csrf},
        )
        assert response.status_code == 400, response.content
        assert chinese(response.json()["message"])
        response = counter.post(
            f"/window/applications/{walk_in.pk}/upload/",
            {"material": "id_card", "file": upload(name, claimed, data), "original_seen": "1"},
        )
        assert_refused(response)
        response = department.post(
            f"/workbench/cases/{case.pk}/return/",
            {
                "expected_status": case.status,
                "rows": "1",
                "doc-0-kind": "licence",
                "doc-0-title": "营业执照",
                "doc-0-file": upload(name, claimed, data),
            },
        )
        assert_refused(response)
        # Anyone may have a document verified: that upload is read, never kept.
        response = Client().post("/verify/", {"file": upload(name, claimed, data)})
        assert_refused(response)
        assert not MaterialFile.objects.filter(application__in=[online, walk_in]).exists()
        assert not ResultDocument.objects.filter(case=case).exists()
        assert Event.objects.count() == events
    assert stored_files() == files_before


@pytest.fixture
def served(restaurant: Any) -> dict[str, Any]:
    """One application through the real flow, its materials polyglots that passed the check
    by their first bytes: received at the window, the business-licence case decided and its
    results returned — one sealed by the platform, one kept as a department issued it."""
    applicant = ApplicantFactory()
    app = _draft(applicant)
    page = Client()
    page.force_login(applicant.user)
    polyglots = {
        "id_card": ("scan.pdf", "text/html", PDF_POLYGLOT),
        "lease": ("photo.png", "image/svg+xml", PNG_POLYGLOT),
    }
    for code, (name, claimed, data) in polyglots.items():
        response = page.post(
            f"/applications/{app.pk}/upload/",
            {"material": code, "file": upload(name, claimed, data)},
        )
        assert response.status_code == 302, response.content
    intake.application_save_form(
        application=app,
        data={
            "applicant_name": "卫滨区好味道餐饮店",
            "business_area": "30",
            "applicant_phone": "13912345678",
        },
        actor=applicant.user,
    )
    app.delivery_method = "self_print"
    app.save(update_fields=["delivery_method"])
    intake.application_submit(application=app, actor=applicant.user)
    window = clerk()
    for m in plan_of(app).materials:
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=window
        )
    intake.application_receive(application=app, actor=window)
    market = reviewer("scjgj")
    case = case_of(app, "SCJGJ-001")
    case_services.case_accept(case=case, actor=market)
    case_services.case_decide(case=case, actor=market, outcome="approved")
    case_services.case_return_result(
        case=case,
        actor=market,
        documents=[
            {
                "kind": "licence",
                "title": "营业执照",
                "number": "<script>alert(1)</script>",
                "stream": io.BytesIO(real_pdf("<html><script>alert(1)</script></html>")),
                "name": "licence.pdf",
            }
        ],
    )
    small = case_of(app, "SCJGJ-003")
    case_services.case_accept(case=small, actor=market)
    case_services.case_decide(case=small, actor=market, outcome="approved")
    case_services.case_return_result(
        case=small,
        actor=market,
        documents=[
            {
                "kind": "certificate",
                "title": "小经营店登记证",
                "number": "",
                "stream": io.BytesIO(real_png_with_script()),
                "name": "certificate.png",
            },
            {
                "kind": "notice",
                "title": "告知书",
                "number": "",
                "stream": io.BytesIO(PDF_POLYGLOT),
                "name": "notice.pdf",
            },
        ],
        issued_by="市级节点",
    )
    app.refresh_from_db()
    return {
        "app": app,
        "applicant": applicant.user,
        "window": window,
        "market": market,
        "case": case,
        "small": small,
        "files": {f.material_code: f for f in app.material_files.all()},
        "uploaded": {code: data for code, (_, _, data) in polyglots.items()},
        "results": list(ResultDocument.objects.filter(case__application=app).order_by("pk")),
        "notices": list(app.notices.all()),
    }


def test_a_polyglot_material_is_kept_as_its_checked_type(served: dict[str, Any]) -> None:
    files = served["files"]
    assert files["id_card"].content_type == "application/pdf"
    assert files["lease"].content_type == "image/png"
    assert files["id_card"].file.name.endswith(".pdf") and files["lease"].file.name.endswith(".png")
    raw = [d for d in served["results"] if d.file.name.endswith((".png", ".pdf"))]
    assert {Path(d.file.name).suffix for d in raw} <= {".pdf", ".png"}


def test_every_view_that_serves_a_stored_file_sends_a_download(served: dict[str, Any]) -> None:
    app = served["app"]
    files = served["files"]
    applicant = Client()
    applicant.force_login(served["applicant"])
    window = Client()
    window.force_login(served["window"])
    market = Client()
    market.force_login(served["market"])
    checked = {"id_card": "application/pdf", "lease": "image/png"}

    for code, f in files.items():
        for client, url in [
            (applicant, f"/applications/{app.pk}/materials/{f.pk}/"),
            (applicant, f"/api/v1/applications/{app.pk}/materials/{f.pk}"),
            (window, f"/applications/{app.pk}/materials/{f.pk}/"),
            (window, f"/api/v1/window/applications/{app.pk}/materials/{f.pk}"),
            (market, f"/workbench/cases/{served['case'].pk}/materials/{f.pk}/"),
        ]:
            body = assert_download(client.get(url), content_type=checked[code])
            assert body == served["uploaded"][code], url

    for notice in served["notices"]:
        for client, url in [
            (applicant, f"/applications/{app.pk}/notices/{notice.pk}/"),
            (applicant, f"/api/v1/applications/{app.pk}/notices/{notice.pk}"),
            (window, f"/applications/{app.pk}/notices/{notice.pk}/"),
            (window, f"/api/v1/window/applications/{app.pk}/notices/{notice.pk}"),
        ]:
            assert assert_download(client.get(url), content_type="application/pdf").startswith(
                b"%PDF-"
            )

    assert len(served["results"]) == 3
    for doc in served["results"]:
        case = doc.case
        # 网上自助打印: the applicant's first download (a POST) is the delivery.
        first = applicant.post(f"/applications/{app.pk}/results/{doc.pk}/")
        body = assert_download(first)
        for client, url in [
            (applicant, f"/applications/{app.pk}/results/{doc.pk}/"),
            (applicant, f"/api/v1/applications/{app.pk}/results/{doc.pk}"),
            (window, f"/window/applications/{app.pk}/results/{doc.pk}/"),
            (window, f"/api/v1/window/applications/{app.pk}/results/{doc.pk}"),
            (market, f"/workbench/cases/{case.pk}/results/{doc.pk}/"),
        ]:
            assert assert_download(client.get(url)) == body, url


def test_the_department_systems_api_serves_materials_as_downloads(served: dict[str, Any]) -> None:
    from lianban.catalog.models import Department
    from lianban.integration import services
    from lianban.integration.models import Scope

    issued = services.client_register(
        name="市场监管审批系统",
        department=Department.objects.get(code="scjgj"),
        scopes=[Scope.CASES_READ, Scope.MATERIALS_READ],
        actor=UserFactory(supervisor=True),
    )
    token = services.token_issue(
        client_id=issued.client.client_id,
        client_secret=issued.secret,
        scope=None,
        grant_type="client_credentials",
    ).token
    system = Client(headers={"Authorization": f"Bearer {token}"})
    for code, f in served["files"].items():
        response = system.get(f"/api/v1/cases/{served['case'].pk}/materials/{f.pk}")
        expected = "application/pdf" if code == "id_card" else "image/png"
        assert assert_download(response, content_type=expected) == served["uploaded"][code]


def test_what_the_platform_issues_is_sent_as_a_download(restaurant: Any, client: Client) -> None:
    from django.utils import timezone

    from lianban.supervision import services as supervision

    # 一次性告知单, for anyone.
    response = client.get("/guide/restaurant/notice.pdf", {"q-area": "lt50", "q-sign": "no"})
    assert assert_download(response, content_type="application/pdf").startswith(b"%PDF-")
    # The platform CA's certificate, to trust in a PDF reader.
    assert_download(client.get("/verify/ca.crt"), content_type="application/x-pem-file")
    # 电子监察: the supervisor's bulletin and the workbook.
    DepartmentFactory(code="dsj", name="政务大数据局", is_supervisor=True)
    supervisor = UserFactory(supervisor=True)
    client.force_login(supervisor)
    month = timezone.localdate().replace(day=1)
    bulletin = supervision.bulletin_issue(month=month, actor=supervisor)
    response = client.get(f"/supervision/bulletins/{bulletin.pk}.pdf")
    assert assert_download(response, content_type="application/pdf").startswith(b"%PDF-")
    response = client.get("/supervision/export.xlsx")
    assert assert_download(response).startswith(b"PK")


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            out += _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append((prefix + str(p.pattern), p.callback))
    return out


def test_stored_files_have_no_url_of_their_own(served: dict[str, Any], client: Client) -> None:
    # No route serves a folder (django.conf.urls.static.static would add django.views.static.serve).
    routes = _patterns(get_resolver())
    assert routes
    assert not [route for route, view in routes if view is serve]
    # Static files (WhiteNoise) come from STATIC_ROOT, which is apart from MEDIA_ROOT.
    media = Path(settings.MEDIA_ROOT).resolve()
    static = Path(settings.STATIC_ROOT).resolve()
    assert media not in static.parents and static not in media.parents and media != static
    assert not getattr(settings, "WHITENOISE_ROOT", None)
    assert not settings.DEBUG
    client.force_login(served["applicant"])
    for f in served["files"].values():
        for url in (f"/media/{f.file.name}", f"/static/{f.file.name}", f"/{f.file.name}"):
            assert client.get(url).status_code == 404, url
