"""文书核验 for anyone (the page and ``/api/v1/documents``), revocation for those allowed,
the register for staff, and the platform's root certificate."""

from __future__ import annotations

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile

from lianban.accounts.models import User
from lianban.applications.tests.factories import clerk, published_restaurant
from lianban.audit.models import Event
from lianban.cases import services as cases
from lianban.cases.tests.factories import case_of, received_restaurant, reviewer
from lianban.catalog.tests.factories import DepartmentFactory, UserFactory
from lianban.common.errors import DomainError, NotAllowed
from lianban.notifications.models import Notification
from lianban.signing.models import IssuedDocument
from lianban.signing.services import revoke_document
from lianban.signing.tests import factories as f
from lianban.signing.verify import verify_pdf

pytestmark = pytest.mark.django_db
K = IssuedDocument.Kind


def upload(data: bytes, name: str = "文书.pdf", content_type: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def sealed() -> IssuedDocument:
    """A document the window sealed (an 一次性告知单)."""
    return f.sealed_document()


@pytest.fixture
def accepted():
    """A received restaurant whose fire item is accepted: the window's receipt and the fire
    brigade's acceptance notice, both tied to the application."""
    published_restaurant()
    app = received_restaurant()
    cases.case_accept(case=case_of(app, "XFZD-001"), actor=reviewer("xfzd"))
    return (
        app,
        IssuedDocument.objects.get(kind=K.RECEIPT),
        IssuedDocument.objects.get(kind=K.ACCEPTANCE),
    )


# ---- The public page ----------------------------------------------------------------------


def test_a_genuine_file_is_authentic(client, sealed):
    response = client.post("/verify/", {"file": upload(f.file_bytes(sealed))})
    html = response.content.decode()
    assert response.status_code == 200
    assert "文书真实有效" in html and "核验未通过" not in html
    assert sealed.number in html and "政务服务中心一件事一次办专用章" in html
    assert "（平台时间戳）" in html


def test_a_number_leads_to_the_documents_page(client, sealed):
    response = client.post("/verify/", {"number": f"  {sealed.number} "})
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{sealed.number}/"
    html = client.get(response["Location"]).content.decode()
    assert "本平台已登记签发此文书，当前有效。" in html
    assert sealed.sha256 in html and sealed.sm3 in html


def test_an_unknown_number_is_a_chinese_error(client, sealed):
    response = client.post("/verify/", {"number": "SJ19990101-0001-1"})
    assert response.status_code == 400
    assert "未找到编号为“SJ19990101-0001-1”的文书" in response.content.decode()
    response = client.post("/verify/", {"number": ""})
    assert response.status_code == 400
    assert "请输入文书编号，或上传文书的 PDF 文件。" in response.content.decode()
    assert client.get("/verify/SJ19990101-0001-1/").status_code == 404


def test_a_file_that_is_not_a_pdf_is_a_chinese_error(client, sealed):
    png = f.scan_image("PNG")
    response = client.post("/verify/", {"file": upload(png, "回执.png", "image/png")})
    assert response.status_code == 400
    html = response.content.decode()
    assert "该文件不是 PDF 文件。请上传本平台签发的 PDF 文书。" in html
    assert "文书真实有效" not in html
    with pytest.raises(DomainError):
        verify_pdf(png)


def test_an_unsigned_pdf_is_not_authentic(client, sealed):
    from lianban.applications.tests.factories import PDF

    report = verify_pdf(PDF)
    assert not report.authentic and report.signatures == []
    assert report.problems == ["该文件不含电子签名，不是本平台签发的有效文书。"]
    html = client.post("/verify/", {"file": upload(PDF)}).content.decode()
    assert "核验未通过" in html and "不含电子签名" in html


def test_a_damaged_pdf_is_a_chinese_error(client, sealed):
    data = f.file_bytes(sealed)
    broken = data[:200] + b"\x00garbage\x00" * 50 + data[-100:]
    response = client.post("/verify/", {"file": upload(broken)})
    html = response.content.decode()
    assert "文书真实有效" not in html
    assert response.status_code == 400
    assert "无法读取该 PDF 文件：文件已损坏。" in html


def test_the_documents_page_compares_an_upload_with_its_entry(client, sealed):
    other = f.sealed_document()
    url = f"/verify/{sealed.number}/"
    html = client.post(url, {"file": upload(f.file_bytes(sealed))}).content.decode()
    assert "✔ 上传的文件与登记簿中的这份文书一致。" in html
    html = client.post(url, {"file": upload(f.file_bytes(other))}).content.decode()
    assert f"上传的文件是本平台签发的另一份文书（{other.number}）" in html
    assert "与登记簿中的这份文书一致" not in html
    html = client.post(url, {"file": upload(f.flip_one_byte(f.file_bytes(sealed)))}).content
    assert "核验未通过" in html.decode() and "与登记簿中的这份文书一致" not in html.decode()
    response = client.post(url, {})
    assert response.status_code == 400
    assert "请选择要核验的 PDF 文件。" in response.content.decode()


def test_the_platform_root_certificate_is_a_self_signed_ca(client, sealed):
    from lianban.signing import keys

    response = client.get("/verify/ca.crt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    certificate = x509.load_pem_x509_certificate(response.content)
    assert certificate.subject == certificate.issuer
    certificate.verify_directly_issued_by(certificate)  # its own key signed it
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and not usage.digital_signature
    assert keys.fingerprint(certificate) == keys.platform_ca().fingerprint
    # The seal's certificate chains to it.
    seal = x509.load_pem_x509_certificate(sealed.seal.credential.certificate_pem.encode())
    seal.verify_directly_issued_by(certificate)


def test_a_file_cut_back_to_the_reviewers_signature_is_not_the_document(client, accepted):
    """The acceptance notice as it stood before the department sealed it: a valid signature,
    but not the document the register holds."""
    _, _, acceptance = accepted
    data = f.file_bytes(acceptance)
    personal, sealed = f.signed_ranges(data)
    assert sealed[2] + sealed[3] == len(data)
    before_seal = data[: personal[2] + personal[3]]
    report = verify_pdf(before_seal)
    assert [s.field for s in report.signatures] == ["Signature-Personal"]
    assert report.signatures[0].intact and report.signatures[0].trusted
    assert report.document is None and not report.authentic
    assert report.problems == ["本平台的文书登记簿中没有这份文件。"]
    html = client.post("/verify/", {"file": upload(before_seal)}).content.decode()
    assert "核验未通过" in html and "登记簿中没有这份文件" in html


def test_an_upload_over_the_limit_is_refused(client, sealed, monkeypatch):
    monkeypatch.setenv("LIANBAN_MAX_UPLOAD_MB", "0")
    response = client.post("/verify/", {"file": upload(f.file_bytes(sealed))})
    assert response.status_code == 400
    assert "文件超过 0 MB，无法核验。" in response.content.decode()


# ---- Revocation -----------------------------------------------------------------------------


def test_who_may_revoke(client, accepted):
    app, receipt, acceptance = accepted
    refused = [
        (app.applicant.user, acceptance),
        (clerk(), acceptance),
        (reviewer("scjgj"), acceptance),  # another department's reviewer
        (UserFactory(editor=True, department=acceptance.seal.department), acceptance),
        # The issuing department's reviewer may not revoke what the window sealed.
        (reviewer("xfzd"), receipt),
    ]
    for user, doc in refused:
        client.force_login(user)
        page = client.get(f"/verify/{doc.number}/").content.decode()
        assert "撤销此文书" not in page, user.role
        response = client.post(f"/verify/{doc.number}/revoke/", {"reason": "误发"})
        assert response.status_code == 403, user.role
        with pytest.raises(NotAllowed):
            revoke_document(document=doc, actor=user, reason="误发")
    client.logout()
    response = client.post(f"/verify/{acceptance.number}/revoke/", {"reason": "误发"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(f"/verify/{acceptance.number}/revoke/").status_code == 405
    assert not IssuedDocument.objects.filter(revoked_at__isnull=False).exists()
    assert not Event.objects.filter(verb="signing.document_revoked").exists()

    # The issuing department's reviewer may revoke its acceptance notice.
    officer = reviewer("xfzd")
    client.force_login(officer)
    assert "撤销此文书" in client.get(f"/verify/{acceptance.number}/").content.decode()
    response = client.post(f"/verify/{acceptance.number}/revoke/", {"reason": "受理主体有误"})
    assert response.status_code == 302
    acceptance.refresh_from_db()
    assert acceptance.revoked_at is not None and acceptance.revoked_by == officer
    # The supervisor may revoke anything, the window's receipt too.
    client.force_login(UserFactory(supervisor=True))
    assert "撤销此文书" in client.get(f"/verify/{receipt.number}/").content.decode()
    client.post(f"/verify/{receipt.number}/revoke/", {"reason": "申请人撤回申请"})
    receipt.refresh_from_db()
    assert receipt.revoked_reason == "申请人撤回申请"


def test_revocation_is_recorded_told_to_the_applicant_and_shown_everywhere(client, accepted):
    app, _, acceptance = accepted
    data = f.file_bytes(acceptance)
    before = Notification.objects.count()
    officer = reviewer("xfzd")
    client.force_login(officer)
    response = client.post(
        f"/verify/{acceptance.number}/revoke/", {"reason": "受理主体有误，已重新出具"}, follow=True
    )
    html = response.content.decode()
    assert f"文书 {acceptance.number} 已撤销，核验时将显示撤销状态。" in html
    assert "理由：受理主体有误，已重新出具" in html and "撤销此文书" not in html

    event = Event.objects.filter(verb="signing.document_revoked").get()
    assert event.actor == officer
    assert event.target_id == str(acceptance.pk)
    assert event.data == {"number": acceptance.number, "reason": "受理主体有误，已重新出具"}
    sms = Notification.objects.filter(channel=Notification.Channel.SMS).order_by("-id").first()
    assert Notification.objects.count() > before
    assert sms is not None and sms.status == Notification.Status.QUEUED
    assert sms.phone == app.applicant.phone
    assert acceptance.number in sms.body and "受理主体有误，已重新出具" in sms.body
    assert sms.link == f"/verify/{acceptance.number}/"

    # Twice is refused, with a message.
    response = client.post(f"/verify/{acceptance.number}/revoke/", {"reason": "再撤"}, follow=True)
    assert "该文书已撤销。" in response.content.decode()
    assert Event.objects.filter(verb="signing.document_revoked").count() == 1

    client.logout()
    page = client.get(f"/verify/{acceptance.number}/").content.decode()
    assert "撤销。理由：受理主体有误，已重新出具" in page
    html = client.post("/verify/", {"file": upload(data)}).content.decode()
    assert "核验未通过" in html and "该文书已被撤销：受理主体有误，已重新出具" in html
    assert "已撤销" in html
    report = verify_pdf(data)
    assert report.revoked and not report.authentic

    body = client.get(f"/api/v1/documents/{acceptance.number}").json()
    assert body["revoked"] is True and body["revoked_reason"] == "受理主体有误，已重新出具"
    assert body["revoked_at"]


def test_revocation_needs_a_reason(client, accepted):
    _, _, acceptance = accepted
    client.force_login(reviewer("xfzd"))
    response = client.post(f"/verify/{acceptance.number}/revoke/", {"reason": "  "}, follow=True)
    assert "撤销理由" in response.content.decode()
    acceptance.refresh_from_db()
    assert acceptance.revoked_at is None


# ---- The register -------------------------------------------------------------------------


def test_the_register_shows_each_person_what_they_may_see(client):
    market = DepartmentFactory(code="scjgj", name="区市场监管局")
    fire = DepartmentFactory(code="xfzd", name="消防救援支队")
    window_doc = f.sealed_document()
    market_doc = f.sealed_document(department=market, kind=K.ACCEPTANCE)
    fire_doc = f.sealed_document(department=fire, kind=K.REFUSAL)
    everything = {window_doc.number, market_doc.number, fire_doc.number}

    def seen(user: User) -> set[str]:
        client.force_login(user)
        response = client.get("/verify/register/")
        assert response.status_code == 200
        html = response.content.decode()
        return {n for n in everything if n in html}

    assert seen(UserFactory(supervisor=True)) == everything
    assert seen(UserFactory(role=User.Role.REVIEWER, department=market)) == {market_doc.number}
    assert seen(UserFactory(editor=True, department=fire)) == {fire_doc.number}
    for user in (clerk(), UserFactory(), UserFactory(role=User.Role.REVIEWER)):
        client.force_login(user)
        assert client.get("/verify/register/").status_code == 403, user.role
    client.logout()
    response = client.get("/verify/register/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_register_searches_and_filters_revoked(client):
    first, second = f.sealed_document(), f.sealed_document()
    supervisor = UserFactory(supervisor=True)
    revoke_document(document=second, actor=supervisor, reason="重复出具")
    client.force_login(supervisor)
    html = client.get("/verify/register/", {"q": first.number}).content.decode()
    assert first.number in html and second.number not in html
    html = client.get("/verify/register/", {"revoked": "1"}).content.decode()
    assert second.number in html and first.number not in html and "已撤销" in html


# ---- The API ------------------------------------------------------------------------------


def test_api_document_entry(client, sealed):
    body = client.get(f"/api/v1/documents/{sealed.number}").json()
    assert body["number"] == sealed.number
    assert body["kind"] == "guide" and body["title"] == "一次性告知单"
    assert body["seal"] == "政务服务中心（一件事一次办专用章）"
    assert body["sha256"] == sealed.sha256 and body["sm3"] == sealed.sm3
    assert body["size"] == sealed.size and body["personal_signature"] is False
    assert body["revoked"] is False and body["revoked_at"] is None


def test_api_unknown_document_is_a_structured_404(client, sealed):
    response = client.get("/api/v1/documents/SJ19990101-0001-1")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert "SJ19990101-0001-1" in body["message"] and "未找到" in body["message"]


def test_api_verifies_a_genuine_and_a_changed_file(client, sealed):
    data = f.file_bytes(sealed)
    response = client.post("/api/v1/documents/verify", {"file": upload(data)})
    assert response.status_code == 200
    body = response.json()
    assert body["authentic"] is True and body["problems"] == []
    assert body["matches_register"] is True
    assert body["document"]["number"] == sealed.number
    [seal] = body["signatures"]
    assert seal["kind"] == "seal" and seal["intact"] and seal["trusted"] and seal["whole_file"]
    assert seal["timestamped"] is True and seal["signer"].startswith(
        "政务服务中心一件事一次办专用章"
    )

    body = client.post("/api/v1/documents/verify", {"file": upload(f.flip_one_byte(data))}).json()
    assert body["authentic"] is False and body["document"] is None
    assert "签名无效：文件在签章后被改动过，或签名已损坏。" in body["problems"]
    assert body["signatures"][0]["intact"] is False

    body = client.post("/api/v1/documents/verify", {"file": upload(data + b"\n%x\n")}).json()
    assert body["authentic"] is False and body["matches_register"] is False
    assert body["signatures"][0]["whole_file"] is False
    assert body["document"]["number"] == sealed.number


def test_api_verdict_on_a_revoked_document(client, sealed):
    revoke_document(document=sealed, actor=UserFactory(supervisor=True), reason="重复出具")
    response = client.post("/api/v1/documents/verify", {"file": upload(f.file_bytes(sealed))})
    assert response.status_code == 200
    body = response.json()
    assert body["authentic"] is False and body["matches_register"] is True
    assert body["problems"] == ["该文书已被撤销：重复出具"]
    assert body["document"]["revoked"] is True
    assert body["document"]["revoked_reason"] == "重复出具"


def test_api_refuses_what_is_not_a_pdf_in_the_error_shape(client, sealed):
    response = client.post(
        "/api/v1/documents/verify", {"file": upload(b"hello", "a.txt", "text/plain")}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == [
        {"path": "file", "message": "该文件不是 PDF 文件。请上传本平台签发的 PDF 文书。"}
    ]
    response = client.post("/api/v1/documents/verify", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "file"
