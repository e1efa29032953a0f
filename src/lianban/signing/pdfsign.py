"""PAdES signatures with pyHanko: a person's signature, then the seal over the whole file.

Each signature is an incremental update, so an earlier one stays valid: a result a reviewer
signed and the department sealed carries both, and the seal — the last — covers every byte.
The seal's signature is a visible one whose appearance is the seal's image, stamped in the
seal box; both carry a timestamp from the platform's timestamp authority (PAdES B-T).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

from asn1crypto import cms, core, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import PdfImage, pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import fields, general, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp import QRStamp, QRStampStyle, StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lianban.signing import keys

# Room for the CMS signature: the certificate chain, the signature and the timestamp token
# take about 3 KB with P-256 keys; reserving a fixed size spares pyHanko a trial signature.
SIGNATURE_BYTES = 16_384
T = TypeVar("T")
MM = 72 / 25.4


@dataclass(frozen=True)
class Stamp:
    """Where the seal is pressed: page (from 0) and box in PDF points."""

    page: int
    box: tuple[float, float, float, float]


class PlatformTimeStamper(DummyTimeStamper):
    """The platform's own timestamp authority (RFC 3161 tokens signed in process with the
    TSA certificate the platform CA issued). pyHanko names the class for its test use; here
    it is the service itself, since the platform is the authority its documents rely on."""

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime.datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        # As pyHanko's, but with the key parsed once per process: parsing (and checking) an
        # RSA key each time took a third of the time of sealing a document.
        md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        md.update(tst_info_data)
        signing_certificate = tsp.SigningCertificate.load(
            _signing_certificate(self.tsa_cert.dump(), v2=False)
        )
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", signing_certificate),
                simple_cms_attribute("message_digest", md.finalize()),
            ]
        )
        der = signed_attrs.dump()
        signature = _rsa_key(self.tsa_key.dump()).sign(
            der, PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        # The token carries exactly the bytes signed, read back rather than serialised again.
        return signature, cms.CMSAttributes.load(der)


@lru_cache(maxsize=64)
def _signing_certificate(certificate: bytes, *, v2: bool) -> bytes:
    """The DER of the ESS signing-certificate(-v2) value naming ``certificate`` (DER).

    asn1crypto re-serialises a value built in memory at each level of every dump, a cost
    that doubles with each level of nesting, and this value nests deep (certificate hash,
    issuer name); built per signature, it was a large part of sealing. A value loaded from
    DER is written out as read. The value depends on the certificate alone."""
    cert = x509.Certificate.load(certificate)
    if v2:
        return general.as_signing_certificate_v2(cert).dump()
    return general.as_signing_certificate(cert).dump()


class _SigningCertificateV2(CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, certificate: x509.Certificate) -> None:
        self.certificate = certificate

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(_signing_certificate(self.certificate.dump(), v2=True))


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes pyHanko gives a PAdES signature without CAdES extras — the
    signing-certificate-v2 alone (PAdES forbids signing-time) — with that value made once per
    certificate (see :func:`_signing_certificate`)."""

    def __init__(self, certificate: x509.Certificate) -> None:
        self.certificate = certificate

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Any:
        yield _SigningCertificateV2(self.certificate)


@cache
def _rsa_key(der: bytes) -> RSAPrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


@dataclass(frozen=True)
class Authority:
    """The platform CA and timestamp authority in use, which every signature embeds and
    relies on: looked up once for all the signatures of a document."""

    ca: keys.Loaded
    tsa: keys.Loaded


def current_authority() -> Authority:
    return Authority(ca=keys.load(keys.platform_ca()), tsa=keys.load(keys.timestamp_authority()))


def _timestamper(authority: Authority) -> PlatformTimeStamper:
    return PlatformTimeStamper(
        tsa_cert=authority.tsa.certificate,
        tsa_key=authority.tsa.key,
        certs_to_embed=SimpleCertificateStore.from_certs([authority.ca.certificate]),
    )


@cache
def _seal_image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@dataclass(frozen=True)
class _ImageStream:
    """An image XObject as pyHanko writes it: its dictionary (the soft mask's place in it
    marked) and its compressed pixels."""

    entries: tuple[tuple[generic.NameObject, Any], ...]
    encoded: bytes
    smask: _ImageStream | None


def _captured(stream: generic.StreamObject) -> _ImageStream:
    smask = None
    entries = []
    for key, value in stream.items():
        if key == "/SMask":
            smask = _captured(value.get_object())
            value = None
        if key != "/Length":
            entries.append((key, value))
    return _ImageStream(tuple(entries), stream.encoded_data, smask)


@lru_cache(maxsize=64)
def _seal_xobject(png: bytes) -> _ImageStream:
    """The seal image as pyHanko makes it, made once per image: compressing its pixels for
    every document was a large part of sealing one."""
    writer = PdfFileWriter()
    return _captured(pil_image(_seal_image(png), writer).get_object())


def _write_image(writer: Any, image: _ImageStream) -> generic.IndirectObject:
    entries = {}
    for key, value in image.entries:
        if key == "/SMask":
            assert image.smask is not None
            value = _write_image(writer, image.smask)
        elif isinstance(value, list):
            # (an indexed colour space) each document gets its own array
            value = generic.ArrayObject(value)
        entries[key] = value
    return writer.add_object(generic.StreamObject(entries, encoded_data=image.encoded))


class _SealImage(PdfImage):
    """pyHanko's image, with the XObject of :func:`_seal_xobject`."""

    def __init__(self, png: bytes) -> None:
        super().__init__(_seal_image(png))
        self._xobject = _seal_xobject(png)

    @property
    def image_ref(self) -> generic.IndirectObject:
        assert self.writer is not None
        # As pyHanko's: made once per writer.
        image_ref = self._image_ref
        if image_ref is None or image_ref.get_pdf_handler() is not self.writer:
            self._image_ref = image_ref = _write_image(self.writer, self._xobject)
        return image_ref


def _signer(credential_loaded: keys.Loaded, authority: Authority) -> signers.SimpleSigner:
    signer = signers.SimpleSigner(
        signing_cert=credential_loaded.certificate,
        signing_key=credential_loaded.key,
        cert_registry=SimpleCertificateStore.from_certs(
            [*credential_loaded.chain, authority.ca.certificate]
        ),
    )
    # Every signature here is PAdES (see _sign), whose signed attributes these are.
    signer.signed_attr_prov_spec = _PadesSignedAttributes(credential_loaded.certificate)
    return signer


def _sign(
    pdf: bytes,
    *,
    loaded: keys.Loaded,
    field_name: str,
    reason: str,
    name: str,
    stamp: Stamp | None,
    seal_png: bytes | None,
    authority: Authority | None,
) -> bytes:
    authority = authority or current_authority()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        # (PAdES without CAdES extras is what _PadesSignedAttributes provides for.)
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=name,
        location="联办 lianban",
    )
    field_spec = None
    style = None
    if stamp is not None:
        x1, y1, x2, y2 = (round(v) for v in stamp.box)
        field_spec = fields.SigFieldSpec(field_name, on_page=stamp.page, box=(x1, y1, x2, y2))
        if seal_png is not None:
            style = StaticStampStyle(
                background=_SealImage(seal_png),
                background_opacity=0.92,
                border_width=0,
            )
    else:
        field_spec = fields.SigFieldSpec(field_name)
    signer = signers.PdfSigner(
        meta,
        signer=_signer(loaded, authority),
        timestamper=_timestamper(authority),
        stamp_style=style,
        new_field_spec=field_spec,
    )
    out = io.BytesIO()
    outside_event_loop(lambda: signer.sign_pdf(writer, output=out, bytes_reserved=SIGNATURE_BYTES))
    return out.getvalue()


class _BorderlessQRStamp(QRStamp):
    """pyHanko's QR stamp, whose link annotation gets no border (PDF's default is a 1 pt
    frame, which readers draw around the code)."""

    def apply(self, dest_page: int, x: int, y: int, **kwargs: Any) -> Any:
        page_ref, size = super().apply(dest_page, x, y, **kwargs)
        annotations = page_ref.get_object()["/Annots"]
        link = annotations.get_object()[-1].get_object()
        link["/Border"] = generic.ArrayObject([generic.NumberObject(0)] * 3)
        return page_ref, size


def add_qr(pdf: bytes, *, url: str, beside: Stamp) -> bytes:
    """A QR code leading to the document's verification, left of where the seal goes. Added
    before any signature, so that every signature covers it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    size = 30 * MM
    qr = _BorderlessQRStamp(
        writer,
        url,
        # The caption is the address, in the PDF's built-in font: a CJK caption made pyHanko
        # read and subset a CJK font for each result (0.4 s of the result's 0.5 s).
        QRStampStyle(stamp_text="%(url)s", border_width=0, innsep=0),
        box=BoxConstraints(width=size * 2.2, height=size),
    )
    qr.apply(beside.page, int(beside.box[0] - size * 2.4), int(beside.box[1]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_personal(
    pdf: bytes,
    *,
    loaded: keys.Loaded,
    name: str,
    reason: str,
    authority: Authority | None = None,
) -> bytes:
    """An invisible signature of the person who decided."""
    return _sign(
        pdf,
        loaded=loaded,
        field_name="Signature-Personal",
        reason=reason,
        name=name,
        stamp=None,
        seal_png=None,
        authority=authority,
    )


def seal(
    pdf: bytes,
    *,
    loaded: keys.Loaded,
    name: str,
    reason: str,
    stamp: Stamp,
    seal_png: bytes,
    authority: Authority | None = None,
) -> bytes:
    """The visible seal, signed over the whole file."""
    return _sign(
        pdf,
        loaded=loaded,
        field_name="Seal",
        reason=reason,
        name=name,
        stamp=stamp,
        seal_png=seal_png,
        authority=authority,
    )


def outside_event_loop(run: Callable[[], T]) -> T:
    """Run ``run`` (which uses pyHanko's synchronous API, itself ``asyncio.run``) where no
    event loop is running: in this thread normally, in a short-lived thread when this one
    already runs a loop (an async view, a browser test driving Playwright)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def default_stamp(pdf: bytes) -> Stamp:
    """For a PDF the platform did not lay out (an uploaded result): a 42 mm seal near the
    bottom right of its last page, inside the usual margins."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    pages = int(reader.root["/Pages"]["/Count"])
    node = reader.find_page_for_modification(pages - 1)[0].get_object()
    # The media box may be inherited from the page tree above the page.
    while "/MediaBox" not in node and "/Parent" in node:
        node = node["/Parent"]
    box = [float(v) for v in node.get("/MediaBox", (0, 0, 595.28, 841.89))]
    x2 = box[2] - 26 * MM
    y1 = box[1] + 30 * MM
    size = 42 * MM
    return Stamp(page=pages - 1, box=(x2 - size, y1, x2, y1 + size))
