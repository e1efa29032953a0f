"""The platform's keys: a CA made once, keys stored encrypted, revoked certificates that no
longer sign, SM3 per GB/T 32905, a register whose digests are those of its files, and
certificates imported from an outside CA as PKCS #12."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.utils import timezone

from lianban.applications.tests.factories import published_restaurant
from lianban.catalog.tests.factories import DepartmentFactory, UserFactory
from lianban.common.errors import DomainError
from lianban.signing import keys
from lianban.signing.models import Credential, IssuedDocument, Seal
from lianban.signing.sealimage import draw_seal
from lianban.signing.services import seal_for
from lianban.signing.tests import factories as f
from lianban.signing.verify import verify_pdf

pytestmark = pytest.mark.django_db


def test_the_platform_ca_is_made_once():
    first = keys.platform_ca()
    again = keys.platform_ca()
    assert again.pk == first.pk and again.fingerprint == first.fingerprint
    assert Credential.objects.filter(purpose=Credential.Purpose.CA).count() == 1
    assert keys.timestamp_authority().pk == keys.timestamp_authority().pk
    assert Credential.objects.filter(purpose=Credential.Purpose.TSA).count() == 1
    assert seal_for(None).pk == seal_for(None).pk
    reviewer = UserFactory(role="reviewer", department=DepartmentFactory())
    assert keys.personal_credential(reviewer).pk == keys.personal_credential(reviewer).pk
    assert Credential.objects.filter(purpose=Credential.Purpose.PERSONAL).count() == 1
    assert first.subject.startswith("联办平台根证书")


def test_every_key_is_stored_encrypted_with_the_passphrase():
    f.sealed_document(actor=None)
    keys.personal_credential(UserFactory(role="reviewer", department=DepartmentFactory()))
    stored = list(Credential.objects.all())
    assert {c.purpose for c in stored} == {"ca", "tsa", "seal", "personal"}
    for credential in stored:
        assert credential.key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # encrypted: no key without a passphrase
            serialization.load_pem_private_key(credential.key_pem.encode(), None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(credential.key_pem.encode(), b"not the one")
        key = serialization.load_pem_private_key(credential.key_pem.encode(), keys.passphrase())
        certificate = x509.load_pem_x509_certificate(credential.certificate_pem.encode())
        assert key.public_key().public_numbers() == certificate.public_key().public_numbers()  # type: ignore[union-attr]
        assert credential.fingerprint == keys.fingerprint(certificate)


def test_the_passphrase_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LIANBAN_SIGNING_PASSPHRASE", "正式环境口令-2026")
    assert not keys.uses_development_passphrase()
    ca = keys.platform_ca()
    serialization.load_pem_private_key(ca.key_pem.encode(), "正式环境口令-2026".encode())
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(
            ca.key_pem.encode(), keys.DEVELOPMENT_PASSPHRASE.encode()
        )


def test_a_revoked_seal_certificate_refuses_to_sign():
    document = f.sealed_document()  # the seal's key is now loaded (and cached) in this process
    credential = document.seal.credential
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    with pytest.raises(DomainError) as exc:
        keys.load(credential)
    assert "已停用，不能用于签章" in exc.value.message
    # The next document is not sealed with it: the platform makes the window a new seal.
    assert f.sealed_document().seal.credential_id != credential.pk


def test_a_revoked_personal_certificate_is_replaced_not_used():
    person = UserFactory(role="reviewer", department=DepartmentFactory(), display_name="王审批")
    old = keys.personal_credential(person)
    old.revoked_at = timezone.now()
    old.save(update_fields=["revoked_at"])
    with pytest.raises(DomainError):
        keys.load(old)
    new = keys.personal_credential(person)
    assert new.pk != old.pk and new.revoked_at is None
    assert new.subject.startswith("王审批")


def test_sm3_matches_the_gbt_32905_test_vectors():
    assert keys.sm3_hex(b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert keys.sm3_hex(b"abcd" * 16) == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_the_register_holds_the_digests_of_the_stored_files():
    published_restaurant()
    f.returned_results()
    documents = list(IssuedDocument.objects.all())
    assert {d.kind for d in documents} == {"receipt", "acceptance", "result"}
    for document in documents:
        data = f.file_bytes(document)
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.sm3 == hashlib.new("sm3", data).hexdigest()  # OpenSSL's, independently
        assert document.size == len(data)
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


# ---- Certificates from an outside CA ------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "河南省数字证书认证中心（测试）"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def external_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("测试根证书"))
        .issuer_name(_name("测试根证书"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def seal_pkcs12(
    password: bytes, common: str = "卫滨区市场监督管理局行政审批专用章"
) -> tuple[bytes, bytes]:
    """A seal certificate the outside CA issued, as PKCS #12 with its CA; and the CA as PEM."""
    ca, ca_key = external_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        b"seal", key, certificate, [ca], serialization.BestAvailableEncryption(password)
    )
    return bundle, ca.public_bytes(serialization.Encoding.PEM)


def test_an_imported_pkcs12_is_stored_re_encrypted():
    bundle, _ = seal_pkcs12(b"p12-password")
    credential = keys.import_credential(
        purpose=Credential.Purpose.SEAL, pkcs12=bundle, password=b"p12-password"
    )
    assert credential.source == Credential.Source.IMPORTED
    assert credential.purpose == Credential.Purpose.SEAL
    assert credential.subject.startswith("卫滨区市场监督管理局行政审批专用章")
    assert credential.issuer.startswith("测试根证书")
    assert credential.chain_pem == ""  # the self-signed root is a trust root, not a chain link
    assert credential.key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(credential.key_pem.encode(), b"p12-password")
    serialization.load_pem_private_key(credential.key_pem.encode(), keys.passphrase())
    loaded = keys.load(credential)
    assert loaded.credential_id == credential.pk
    with pytest.raises(DomainError) as exc:
        keys.import_credential(
            purpose=Credential.Purpose.SEAL, pkcs12=bundle, password=b"p12-password"
        )
    assert exc.value.message == "该证书已导入。"


def test_importing_with_a_wrong_password_is_a_chinese_error():
    bundle, _ = seal_pkcs12(b"p12-password")
    for password in (b"wrong", None):
        with pytest.raises(DomainError) as exc:
            keys.import_credential(
                purpose=Credential.Purpose.SEAL, pkcs12=bundle, password=password
            )
        assert exc.value.message == "无法读取 PKCS#12 文件：口令错误或文件损坏。"
        assert exc.value.errors[0]["path"] == "pkcs12"
    with pytest.raises(DomainError):
        keys.import_credential(
            purpose=Credential.Purpose.SEAL, pkcs12=b"not a pkcs12", password=b"x"
        )
    assert not Credential.objects.filter(source=Credential.Source.IMPORTED).exists()


def test_a_document_sealed_with_an_imported_certificate_is_trusted_once_its_root_is():
    department = DepartmentFactory(name="卫滨区市场监督管理局")
    bundle, root_pem = seal_pkcs12(b"pw")
    credential = keys.import_credential(
        purpose=Credential.Purpose.SEAL, pkcs12=bundle, password=b"pw"
    )
    Seal.objects.create(
        department=department,
        name=department.name,
        purpose_text="行政审批专用章",
        credential=credential,
        image=draw_seal(department.name, "行政审批专用章"),
    )
    document = f.sealed_document(department=department, kind=IssuedDocument.Kind.ACCEPTANCE)
    assert document.seal.credential == credential
    data = f.file_bytes(document)
    report = verify_pdf(data)
    assert not report.authentic
    assert report.problems == ["签名证书不是本平台或其信任的机构签发的。"]

    root = keys.import_trust_root(root_pem)
    assert root.purpose == Credential.Purpose.CA and root.key_pem == ""
    assert keys.import_trust_root(root_pem).pk == root.pk
    report = verify_pdf(data)
    assert report.authentic, report.problems
    assert report.signatures[0].signer.startswith("卫滨区市场监督管理局行政审批专用章")


def test_a_changed_passphrase_is_not_blamed_on_the_document(monkeypatch):
    """Keys made under one passphrase cannot be opened under another: that is the server's
    configuration, and must not be reported to the clerk as a damaged PDF."""
    seal_for(None)
    keys.timestamp_authority()
    monkeypatch.setenv("LIANBAN_SIGNING_PASSPHRASE", "a different passphrase")
    monkeypatch.setattr(keys, "_loaded", {})  # a fresh process: nothing decrypted yet
    with pytest.raises(Exception) as exc:
        f.sealed_document()
    message = getattr(exc.value, "message", str(exc.value))
    assert "PDF 文件已加密或已损坏" not in message
    assert IssuedDocument.objects.count() == 0


def test_a_seal_whose_certificate_was_stopped_is_replaced_and_old_documents_still_verify():
    department = DepartmentFactory()
    before = f.sealed_document(department=department)
    old_seal = before.seal
    old_seal.credential.revoked_at = timezone.now()
    old_seal.credential.save(update_fields=["revoked_at"])

    after = f.sealed_document(department=department)
    old_seal.refresh_from_db()
    assert not old_seal.active
    assert after.seal.pk != old_seal.pk and after.seal.active
    assert after.seal.credential.revoked_at is None
    assert verify_pdf(after.file.read()).authentic
    # What the old seal signed is still what it was: signed by a certificate the trusted CA
    # issued, at a time it was in force.
    assert verify_pdf(before.file.read()).authentic


def test_an_imported_seal_that_was_stopped_is_not_silently_replaced():
    department = DepartmentFactory()
    seal = seal_for(department)
    seal.credential.source = Credential.Source.IMPORTED
    seal.credential.revoked_at = timezone.now()
    seal.credential.save(update_fields=["source", "revoked_at"])
    with pytest.raises(keys.SigningUnavailable, match="请导入新的印章证书"):
        f.sealed_document(department=department)
    assert Seal.objects.filter(department=department).count() == 1


def test_a_stopped_root_is_no_longer_trusted():
    document = f.sealed_document()
    Credential.objects.filter(purpose=Credential.Purpose.CA).update(revoked_at=timezone.now())
    report = verify_pdf(document.file.read())
    assert not report.authentic
    assert any("不是本平台或其信任的机构签发" in p for p in report.problems)
