"""Notices sealed by the sealing worker (``LIANBAN_SEAL_IN_WORKER=true``): numbered and worded
in the change that issues them, sealed once right after, and until then answered as "being
sealed" instead of as missing."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from lianban.applications.models import Notice
from lianban.applications.notices import seal_next, seal_pending
from lianban.applications.tests.api_client import SessionApi
from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.cases import services as cases
from lianban.cases.tests.factories import received_restaurant, reviewer
from lianban.signing.models import IssuedDocument

pytestmark = pytest.mark.usefixtures("restaurant")


def _issued_events(number: str) -> int:
    return Event.objects.filter(verb="signing.document_issued", data__number=number).count()


@override_settings(LIANBAN_SEAL_IN_WORKER=True)
def test_a_receipt_is_issued_at_once_and_sealed_once_by_the_worker(applicant, client):
    app = received_restaurant(applicant=applicant)
    receipt = app.notices.get(kind=Notice.Kind.RECEIPT)
    # Issued: numbered, worded and on the trail with the receipt, but not yet sealed.
    assert receipt.number.startswith(f"SJ{app.receipt_number}-")
    assert receipt.content["items"] and not receipt.pdf
    assert not IssuedDocument.objects.filter(number=receipt.number).exists()
    assert _issued_events(receipt.number) == 0

    # Asked for meanwhile: the page says it is being sealed and asks again by itself ...
    me = SessionApi(applicant.user)  # sets a password: before the page's sign-in
    client.force_login(applicant.user)
    page = client.get(f"/applications/{app.pk}/notices/{receipt.pk}/")
    assert page.status_code == 202 and page["Retry-After"] == "2"
    html = page.content.decode()
    assert "正在加盖电子印章" in html and '<meta http-equiv="refresh" content="2">' in html
    assert "签章中" in client.get(f"/applications/{app.pk}/").content.decode()
    # ... and the API answers a structured, retryable error.
    listed = me.get(f"/applications/{app.pk}").json()["notices"]
    assert [n["has_pdf"] for n in listed if n["id"] == receipt.pk] == [False]
    r = me.http.get(f"/api/v1/applications/{app.pk}/notices/{receipt.pk}")
    assert r.status_code == 409 and r["Retry-After"] == "2"
    assert r.json()["code"] == "notice_sealing"
    assert r.json()["errors"][0]["path"] == "notice_id"

    assert seal_pending() == 1
    assert seal_next() is None  # nothing is sealed twice
    receipt.refresh_from_db()
    document = IssuedDocument.objects.get(number=receipt.number)
    assert receipt.pdf.name == document.file.name
    assert document.seal.department is None  # the window's seal
    assert document.signer is None
    body = receipt.pdf.read()
    assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == document.sha256
    assert _issued_events(receipt.number) == 1
    assert verify_chain() == (Event.objects.count(), None)

    download = client.get(f"/applications/{app.pk}/notices/{receipt.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    r = me.http.get(f"/api/v1/applications/{app.pk}/notices/{receipt.pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == body


@override_settings(LIANBAN_SEAL_IN_WORKER=True)
def test_the_worker_signs_an_acceptance_for_the_reviewer_who_decided_it():
    app = received_restaurant()
    case = app.cases.order_by("pk").first()
    officer = reviewer(case.department.code)
    cases.case_accept(case=case, actor=officer)
    notice = app.notices.get(kind=Notice.Kind.ACCEPTANCE)
    assert not notice.pdf and notice.issued_by == officer

    out = io.StringIO()
    call_command("seal_notices", stdout=out)
    assert "签章 2 份" in out.getvalue()  # the receipt and the acceptance

    notice.refresh_from_db()
    document = IssuedDocument.objects.get(number=notice.number)
    assert document.seal.department == case.department
    assert document.signer is not None and document.signer.user == officer
    assert document.issued_by == officer and document.case == case
    assert notice.pdf.name == document.file.name


def test_without_the_worker_the_notice_is_sealed_in_the_change_itself():
    app = received_restaurant()
    receipt = app.notices.get(kind=Notice.Kind.RECEIPT)
    assert receipt.pdf
    assert IssuedDocument.objects.filter(number=receipt.number).count() == 1
    assert seal_pending() == 0
