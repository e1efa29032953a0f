"""Every kind of document the platform issues, read by poppler's pdfsig with the platform's
root certificate trusted in NSS, as any PDF reader would: valid, trusted, the seal over the
whole file; and, once a byte changes or something is appended, not valid — for pdfsig, for
:func:`verify_pdf` and for the public verification page alike."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from lianban.applications.models import Notice
from lianban.applications.tests.factories import published_restaurant
from lianban.signing.models import IssuedDocument
from lianban.signing.tests import factories as f
from lianban.signing.verify import verify_pdf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils is not installed"),
]
K = IssuedDocument.Kind


def _corrections() -> None:
    published_restaurant()
    f.correction_notice()


def _commitments() -> None:
    f.restaurant_with_rules()
    f.conditional_receipt()


def _decisions() -> None:
    published_restaurant()
    f.decided_cases()


def _results() -> None:
    published_restaurant()
    f.returned_results()


# Each scenario runs the real services and issues these kinds, with so many results.
SCENARIOS: dict[str, tuple[Callable[[], None], dict[str, int]]] = {
    "correction": (_corrections, {K.CORRECTION: 1}),
    "commitment": (_commitments, {K.COMMITMENT: 1, K.RECEIPT: 1}),
    "acceptance_and_refusal": (_decisions, {K.RECEIPT: 1, K.ACCEPTANCE: 1, K.REFUSAL: 1}),
    "results_pdf_png_jpeg": (_results, {K.RECEIPT: 1, K.ACCEPTANCE: 1, K.RESULT: 3}),
}


def _assert_genuine(blocks: list[str], *, signatures: int, label: str) -> None:
    assert len(blocks) == signatures, f"{label}: {blocks}"
    for block in blocks:
        assert "Signature Validation: Signature is Valid." in block, f"{label}: {block}"
        assert "Certificate Validation: Certificate is Trusted." in block, f"{label}: {block}"
    assert "  - Total document signed" in blocks[-1], f"{label}: {blocks[-1]}"
    assert "Signature Field Name: Seal" in blocks[-1]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_issued_document_is_valid_and_trusted_in_pdfsig_until_changed(
    scenario, tmp_path, client
):
    build, expected = SCENARIOS[scenario]
    build()
    documents = list(IssuedDocument.objects.select_related("seal__department", "signer"))
    kinds: dict[str, int] = {}
    for d in documents:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    assert kinds == expected
    nss = f.nss_database(tmp_path / "nss")

    for doc in documents:
        data = f.file_bytes(doc)
        label = f"{doc.kind} {doc.number}"
        # What a department decides (acceptance, refusal, result) its reviewer also signs.
        personal = doc.kind in {K.ACCEPTANCE, K.REFUSAL, K.RESULT}
        assert personal == (doc.case_id is not None)
        blocks = f.pdfsig(nss, data, tmp_path / f"{doc.number}.pdf")
        _assert_genuine(blocks, signatures=2 if personal else 1, label=label)
        if personal:
            # The reviewer's own signature first, over the file as it was; the seal last.
            assert "Signature Field Name: Signature-Personal" in blocks[0]
            assert "OU=个人签名" in blocks[0] and "Not total document signed" in blocks[0]
            assert doc.signer is not None and doc.signer.user.role == "reviewer"
            assert doc.signer.user.department_id == doc.seal.department_id
        # Who sealed it: the window, or the department that decided.
        if doc.kind in {K.ACCEPTANCE, K.REFUSAL, K.RESULT}:
            assert doc.seal.department is not None
            assert f"O={doc.seal.department.name}" in blocks[-1]
        else:
            assert doc.seal.department is None
            assert "O=政务服务中心" in blocks[-1]
        report = verify_pdf(data)
        assert report.authentic, (label, report.problems)
        assert report.document == doc and report.matches_register
        assert [s.field for s in report.signatures] == (
            ["Signature-Personal", "Seal"] if personal else ["Seal"]
        )
        assert all(s.timestamped for s in report.signatures)

        # One byte changed inside what the seal signed.
        tampered = f.flip_one_byte(data)
        blocks = f.pdfsig(nss, tampered, tmp_path / f"{doc.number}-tampered.pdf")
        assert "Signature Validation: Digest Mismatch." in blocks[-1], f"{label}: {blocks}"
        assert "Signature is Valid" not in blocks[-1]
        report = verify_pdf(tampered)
        assert not report.authentic
        assert "签名无效：文件在签章后被改动过，或签名已损坏。" in report.problems
        assert report.document is None  # no longer the registered file

        # Something appended after the seal, by hand and as a proper incremental update.
        for how, changed in (
            ("appended", data + b"\n% added after sealing\n"),
            ("incremental", f.appended_update(data)),
        ):
            blocks = f.pdfsig(nss, changed, tmp_path / f"{doc.number}-{how}.pdf")
            assert "Not total document signed" in blocks[-1], f"{label} {how}: {blocks}"
            report = verify_pdf(changed)
            assert not report.authentic, f"{label} {how}"
            assert "签章后文件又被追加或修改了内容，与签发时不一致。" in report.problems
            assert report.document == doc and not report.matches_register

    # The public page says the same about a changed file as verify_pdf does.
    doc = documents[-1]
    response = client.post("/verify/", {"file": _upload(f.flip_one_byte(f.file_bytes(doc)))})
    html = response.content.decode()
    assert response.status_code == 200
    assert "核验未通过" in html and "签名无效" in html and "文书真实有效" not in html
    response = client.post("/verify/", {"file": _upload(f.appended_update(f.file_bytes(doc)))})
    html = response.content.decode()
    assert "核验未通过" in html and "签章后文件又被追加或修改了内容" in html
    assert "文书真实有效" not in html


def test_notices_keep_the_sealed_file_that_the_register_holds(tmp_path):
    published_restaurant()
    f.decided_cases()
    for notice in Notice.objects.all():
        doc = IssuedDocument.objects.get(number=notice.number)
        with notice.pdf.open("rb") as stored:
            assert stored.read() == f.file_bytes(doc)
        assert doc.application_id == notice.application_id
        assert doc.case_id == notice.case_id


def _upload(data: bytes, name: str = "document.pdf"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")
