"""The prepared fonts embedded as they are: every page as fpdf2's own output draws it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fpdf.output import OutputProducer

from lianban.documents.fontembed import DocumentOutput, PreparedFont
from lianban.documents.render import Document, _DocumentPdf, render_pdf

from .test_render import poppler, sample_correction_notice, sample_receipt


def both_outputs(document: Document) -> tuple[bytes, bytes]:
    """The document output by fpdf2 (subsetting each font again) and by DocumentOutput."""
    outputs = []
    for producer in (OutputProducer, DocumentOutput):
        pdf = _DocumentPdf(document)
        pdf.compose()
        for font in pdf.fonts.values():
            # fpdf2's subset keeps each glyph's metrics as the font has them, as embedding
            # the font whole does (by default it would recompute the side bearings).
            font.ttfont.recalcBBoxes = False
        outputs.append(bytes(pdf.output(output_producer_class=producer)))
    return outputs[0], outputs[1]


def pages(pdf: bytes, directory: Path, name: str) -> list[bytes]:
    """Each page rasterised at 150 dpi (PNG), as poppler draws it."""
    path = directory / f"{name}.pdf"
    path.write_bytes(pdf)
    poppler("pdftoppm", "-r", "150", "-png", str(path), str(directory / name))
    return [page.read_bytes() for page in sorted(directory.glob(f"{name}-*.png"))]


@pytest.mark.parametrize(
    "document", [sample_receipt(), sample_correction_notice()], ids=["receipt", "notice"]
)
def test_every_page_is_drawn_as_fpdf2_draws_it(document: Document, tmp_path: Path):
    fpdf2, ours = both_outputs(document)
    expected = pages(fpdf2, tmp_path, "fpdf2")
    drawn = pages(ours, tmp_path, "ours")
    assert len(expected) >= 1
    assert len(drawn) == len(expected)
    for number, (page, expected_page) in enumerate(zip(drawn, expected, strict=True), start=1):
        assert page == expected_page, f"page {number} differs"
    # The text read back (the ToUnicode maps) is the same, character for character (from
    # the files pages() wrote).
    assert poppler("pdftotext", str(tmp_path / "ours.pdf"), "-") == poppler(
        "pdftotext", str(tmp_path / "fpdf2.pdf"), "-"
    )


def test_the_fonts_are_the_prepared_ones_embedded_as_made():
    pdf = _DocumentPdf(sample_receipt())
    pdf.compose()
    fonts = list(pdf.fonts.values())
    assert fonts and all(isinstance(font, PreparedFont) for font in fonts)
    output = bytes(pdf.output(output_producer_class=DocumentOutput))
    # A font stream's /Length1 is its uncompressed size: each prepared font's own bytes.
    for font in fonts:
        assert f"/Length1 {len(font.data)}".encode() in output, font.fontkey


def test_a_document_set_in_the_full_faces_is_output_by_fpdf2():
    # A character beyond the prepared faces (𠮷, outside GBK) sets the document in the full
    # faces, which fpdf2 subsets and embeds itself.
    document = dataclasses.replace(sample_correction_notice(), recipient="𠮷野家餐饮店")
    pdf = _DocumentPdf(document)
    assert not any(isinstance(font, PreparedFont) for font in pdf.fonts.values())
    pdf.compose()
    expected = bytes(pdf.output())
    assert render_pdf(document) == expected
