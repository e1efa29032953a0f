"""What the signing code makes once and reuses is what pyHanko makes each time: the ESS
signing-certificate attributes and the seal's image XObject."""

from __future__ import annotations

import pytest
from asn1crypto import tsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import general

from lianban.signing import keys, pdfsign
from lianban.signing.sealimage import draw_seal
from lianban.signing.services import seal_for

pytestmark = pytest.mark.django_db


def test_the_signing_certificate_attributes_are_pyhankos():
    for credential in (keys.timestamp_authority(), seal_for(None).credential):
        certificate = keys.load(credential).certificate
        v1 = pdfsign._signing_certificate(certificate.dump(), v2=False)
        v2 = pdfsign._signing_certificate(certificate.dump(), v2=True)
        assert v1 == general.as_signing_certificate(certificate).dump()
        assert v2 == general.as_signing_certificate_v2(certificate).dump()
        assert tsp.SigningCertificateV2.load(v2).dump() == v2


def _image(writer: PdfFileWriter, ref: generic.IndirectObject) -> tuple[dict, bytes, tuple]:
    stream = ref.get_object()
    entries = {k: v for k, v in stream.items() if k not in ("/SMask", "/Length")}
    smask = _image(writer, stream["/SMask"]) if "/SMask" in stream else ()
    return entries, stream.encoded_data, smask


def test_the_seal_image_is_written_as_pyhanko_writes_it():
    png = draw_seal("卫滨区市场监督管理局", "行政审批专用章")
    ours, theirs = PdfFileWriter(), PdfFileWriter()
    for _ in range(2):  # made once, written into each document
        written = pdfsign._write_image(ours, pdfsign._seal_xobject(png))
        expected = pil_image(pdfsign._seal_image(png), theirs)
        assert _image(ours, written) == _image(theirs, expected)
        assert written.get_pdf_handler() is ours
