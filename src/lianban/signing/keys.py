"""The platform's keys: its CA and timestamp authority, the seals' and people's certificates.

On the embedded default everything is made on first use: a CA (created once, its key encrypted
with ``LIANBAN_SIGNING_PASSPHRASE``), a timestamp authority it certifies, and for each seal
and each signing person a certificate it issues. Production imports certificates from a
recognised CA instead (``lianban import_credential``); the rest of the platform does not see
the difference. Keys are ECDSA P-256: fast to make and to use, and understood by pyHanko,
Adobe Reader and Poppler/NSS alike (the SM2 back end is described in docs/signing.md); the
timestamp authority's is RSA-2048, which pyHanko's in-process timestamping requires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import connection, transaction
from django.utils import timezone

from lianban.common.errors import DomainError
from lianban.conf import env
from lianban.signing.models import Credential

# Development and tests only; `lianban check --deploy` warns while it is in use.
DEVELOPMENT_PASSPHRASE = "lianban-development-passphrase-change-me"
PLATFORM_ORG = "联办 lianban"
_LOCK_ID = 0x4C42_5347  # 'LBSG': the advisory lock that makes the platform's keys once


def passphrase() -> bytes:
    return (env("LIANBAN_SIGNING_PASSPHRASE") or DEVELOPMENT_PASSPHRASE).encode("utf-8")


class SigningUnavailable(DomainError):
    """The server cannot open its signing keys: its configuration, not the request, is at
    fault, so the message says so instead of blaming the document."""

    code = "signing_unavailable"
    status = 503


def _decrypt(credential: Credential) -> Any:
    try:
        return serialization.load_pem_private_key(credential.key_pem.encode(), passphrase())
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(
            f"服务器无法打开“{credential.subject}”的签章密钥：签章口令"
            "（LIANBAN_SIGNING_PASSPHRASE）与生成密钥时不同。文书暂不能签发，请联系系统管理员。"
        ) from exc


@dataclass(frozen=True)
class Loaded:
    """A credential ready to sign with: pyHanko's (asn1crypto) forms of its parts."""

    credential_id: int
    certificate: asn1_x509.Certificate
    key: asn1_keys.PrivateKeyInfo
    chain: tuple[asn1_x509.Certificate, ...]


_loaded: dict[str, Loaded] = {}
_loaded_lock = threading.Lock()


def load(credential: Credential) -> Loaded:
    """The credential's certificate and decrypted key. Decrypting is slow on purpose (the
    key derivation resists guessing), so each process does it once per credential."""
    if credential.revoked_at is not None:
        raise DomainError(f"证书“{credential.subject}”已停用，不能用于签章。")
    with _loaded_lock:
        found = _loaded.get(credential.fingerprint)
    if found is not None:
        return found
    key = _decrypt(credential)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    loaded = Loaded(
        credential_id=credential.pk,
        certificate=_asn1_cert(credential.certificate_pem),
        key=asn1_keys.PrivateKeyInfo.load(der),
        chain=tuple(_asn1_cert(pem) for pem in split_pem(credential.chain_pem)),
    )
    with _loaded_lock:
        _loaded[credential.fingerprint] = loaded
    return loaded


def split_pem(text: str) -> list[str]:
    end = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + end + "\n" for part in text.split(end) if part.strip()]


def _asn1_cert(pem: str) -> asn1_x509.Certificate:
    certificate = x509.load_pem_x509_certificate(pem.encode())
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _name(common_name: str, organisation: str, unit: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]))
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(parts)


def display_name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    organisation = name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    text = _text(common[0].value) if common else name.rfc4514_string()
    if organisation and _text(organisation[0].value) not in text:
        text += f"（{_text(organisation[0].value)}）"
    return text


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _store(
    *,
    certificate: x509.Certificate,
    key: Any,  # the platform's keys are EC; imported ones may be RSA, which pyHanko signs too
    purpose: str,
    source: str = Credential.Source.PLATFORM,
    chain: list[x509.Certificate] | None = None,
    user: Any = None,
) -> Credential:
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    )
    return Credential.objects.create(
        purpose=purpose,
        source=source,
        subject=display_name(certificate.subject),
        issuer=display_name(certificate.issuer),
        serial=format(certificate.serial_number, "x"),
        fingerprint=fingerprint(certificate),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain or ()),
        key_pem=encrypted.decode(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        user=user,
    )


def _issue(
    subject: x509.Name,
    *,
    years: int,
    issuer: Credential | None,
    ca: bool = False,
    timestamping: bool = False,
) -> tuple[x509.Certificate, Any]:
    # pyHanko's in-process timestamp authority signs with RSA only.
    key: Any = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if timestamping
        else ec.generate_private_key(ec.SECP256R1())
    )
    now = timezone.now()
    if issuer is None:
        issuer_name, issuer_key, issuer_public = subject, key, key.public_key()
    else:
        issuer_cert = x509.load_pem_x509_certificate(issuer.certificate_pem.encode())
        loaded_key = _decrypt(issuer)
        assert isinstance(loaded_key, ec.EllipticCurvePrivateKey)
        issuer_name, issuer_key = issuer_cert.subject, loaded_key
        issuer_public = issuer_cert.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public),
            critical=False,
        )
    )
    if ca:
        usage = {"key_cert_sign": True, "crl_sign": True}
    else:
        # Signing documents: a digital signature that its signer cannot deny.
        usage = {"digital_signature": True, "content_commitment": not timestamping}
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=usage.get("digital_signature", False),
            content_commitment=usage.get("content_commitment", False),
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=usage.get("key_cert_sign", False),
            crl_sign=usage.get("crl_sign", False),
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256()), key


def platform_lock() -> None:
    """Serialise the making of the platform's keys between processes. SQLite's write lock
    (taken at the transaction's start) already does; PostgreSQL takes an advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])


def _current(purpose: str, **filters: Any) -> Credential | None:
    return (
        Credential.objects.filter(purpose=purpose, revoked_at__isnull=True, **filters)
        .order_by("-created_at", "-id")
        .first()
    )


def site_label() -> str:
    return env("LIANBAN_SITE_URL").split("//")[-1].rstrip("/")


@transaction.atomic
def platform_ca() -> Credential:
    """The CA that certifies the platform's seals, people and timestamps (made once)."""
    found = _current(Credential.Purpose.CA, source=Credential.Source.PLATFORM)
    if found is not None:
        return found
    platform_lock()
    found = _current(Credential.Purpose.CA, source=Credential.Source.PLATFORM)
    if found is not None:
        return found
    certificate, key = _issue(
        _name(f"联办平台根证书 {site_label()}", PLATFORM_ORG), years=20, issuer=None, ca=True
    )
    return _store(certificate=certificate, key=key, purpose=Credential.Purpose.CA)


@transaction.atomic
def timestamp_authority() -> Credential:
    found = _current(Credential.Purpose.TSA)
    if found is not None:
        return found
    ca = platform_ca()
    platform_lock()
    found = _current(Credential.Purpose.TSA)
    if found is not None:
        return found
    certificate, key = _issue(
        _name(f"联办平台时间戳服务 {site_label()}", PLATFORM_ORG),
        years=10,
        issuer=ca,
        timestamping=True,
    )
    return _store(certificate=certificate, key=key, purpose=Credential.Purpose.TSA, chain=[])


def issue_seal_credential(seal_name: str, organisation: str) -> Credential:
    certificate, key = _issue(
        _name(seal_name, organisation, "电子印章"), years=5, issuer=platform_ca()
    )
    return _store(certificate=certificate, key=key, purpose=Credential.Purpose.SEAL)


@transaction.atomic
def personal_credential(user: Any) -> Credential:
    """The person's signing certificate, issued by the platform CA when they have none."""
    found = _current(Credential.Purpose.PERSONAL, user=user)
    if found is not None:
        return found
    organisation = user.department.name if getattr(user, "department_id", None) else PLATFORM_ORG
    name = getattr(user, "display_name", "") or user.get_username()
    certificate, key = _issue(_name(name, organisation, "个人签名"), years=3, issuer=platform_ca())
    return _store(certificate=certificate, key=key, purpose=Credential.Purpose.PERSONAL, user=user)


def trust_roots() -> list[asn1_x509.Certificate]:
    """The certificates verification trusts: the platform's CAs and imported roots."""
    return [
        _asn1_cert(c.certificate_pem)
        for c in Credential.objects.filter(purpose=Credential.Purpose.CA, revoked_at__isnull=True)
    ]


@transaction.atomic
def import_credential(
    *,
    purpose: str,
    pkcs12: bytes,
    password: bytes | None,
    user: Any = None,
) -> Credential:
    """Store an externally issued certificate and key (a PKCS #12 file), re-encrypted with
    the platform's passphrase. Its CA's root must be imported as a trust root too."""
    from cryptography.hazmat.primitives.serialization import pkcs12 as p12

    try:
        key, certificate, extra = p12.load_key_and_certificates(pkcs12, password)
    except ValueError as exc:
        raise DomainError("无法读取 PKCS#12 文件：口令错误或文件损坏。", path="pkcs12") from exc
    if certificate is None or key is None:
        raise DomainError("PKCS#12 文件中没有证书和私钥。", path="pkcs12")
    if Credential.objects.filter(fingerprint=fingerprint(certificate)).exists():
        raise DomainError("该证书已导入。", path="pkcs12")
    chain = [c for c in extra or () if c.subject != c.issuer]
    credential = _store(
        certificate=certificate,
        key=key,
        purpose=purpose,
        source=Credential.Source.IMPORTED,
        chain=chain,
        user=user,
    )
    _imported(credential)
    return credential


def _imported(credential: Credential) -> None:
    from lianban.audit.services import record_event

    record_event(
        actor=None,
        verb="signing.credential_imported",
        target=credential,
        data={"purpose": credential.purpose, "subject": credential.subject},
    )


@transaction.atomic
def import_trust_root(pem: bytes) -> Credential:
    """Trust an external CA's root certificate for verification (no key)."""
    certificate = x509.load_pem_x509_certificate(pem)
    found = Credential.objects.filter(fingerprint=fingerprint(certificate)).first()
    if found is not None:
        return found
    credential = Credential.objects.create(
        purpose=Credential.Purpose.CA,
        source=Credential.Source.IMPORTED,
        subject=display_name(certificate.subject),
        issuer=display_name(certificate.issuer),
        serial=format(certificate.serial_number, "x"),
        fingerprint=fingerprint(certificate),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key_pem="",
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    _imported(credential)
    return credential


def sm3_hex(data: bytes) -> str:
    """The SM3 digest (GB/T 32905) of ``data``, recorded beside SHA-256 for the 国密 back end.
    OpenSSL computes it through ``cryptography`` (gmssl's pure-Python SM3 took a second for
    a 100 KB document)."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uses_development_passphrase() -> bool:
    return not env("LIANBAN_SIGNING_PASSPHRASE")
