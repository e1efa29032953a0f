"""A sealed receipt read by poppler: its Chinese text survives sealing, and the red seal is
drawn in the seal box, over the issuer's name and the date."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from lianban.applications.models import Notice
from lianban.applications.notices import document_for
from lianban.applications.tests.factories import published_restaurant
from lianban.cases.tests.factories import received_restaurant
from lianban.documents.render import MM_PER_PT, SEAL_BOX, render_pdf
from lianban.signing.models import IssuedDocument
from lianban.signing.pdfsign import default_stamp
from lianban.signing.tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is not installed"),
]
DPI = 80
CHECK_IMAGE = Path("/tmp/seal-check.png")


def first_page(data: bytes, tmp_path: Path, name: str, page: int = 1) -> Image.Image:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    command = ["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page)]
    subprocess.run(
        [*command, "-singlefile", str(source), str(tmp_path / name)],
        check=True,
        capture_output=True,
    )
    image = Image.open(tmp_path / f"{name}.png").convert("RGB")
    image.load()
    return image


def red_pixels(image: Image.Image, box_mm: tuple[float, float, float, float]) -> int:
    """Strongly red pixels inside ``(x, y, width, height)`` in millimetres from the top left."""
    x, y, w, h = (round(v / 25.4 * DPI) for v in box_mm)
    region = image.crop((x, y, x + w, y + h))
    data = region.tobytes()
    return sum(
        1
        for n in range(0, len(data), 3)
        if data[n] > 170 and data[n + 1] < 110 and data[n + 2] < 110
    )


def seal_box_mm() -> tuple[float, float, float, float]:
    return (SEAL_BOX.x, SEAL_BOX.y, SEAL_BOX.width, SEAL_BOX.height)


def test_sealed_receipt_keeps_its_chinese_text(tmp_path):
    published_restaurant()
    app = received_restaurant()
    receipt = IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECEIPT)
    path = tmp_path / "receipt.pdf"
    path.write_bytes(f.file_bytes(receipt))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = text.replace(" ", "").replace("\n", "")
    assert "收件回执" in flat
    assert app.applicant.name in flat
    assert receipt.number in flat
    assert "政务服务大厅“一件事一次办”综合窗口" in flat
    assert "扫码或访问以下网址核验本文书" in flat


def test_the_seal_is_drawn_over_the_issuer_and_date_in_the_seal_box(tmp_path):
    published_restaurant()
    received_restaurant()
    notice = Notice.objects.get(kind=Notice.Kind.RECEIPT)
    sealed = f.file_bytes(IssuedDocument.objects.get(number=notice.number))
    before = first_page(render_pdf(document_for(notice)), tmp_path, "unsealed")
    after = first_page(sealed, tmp_path, "sealed")
    after.save(CHECK_IMAGE)  # to look at: the red seal over 综合窗口 and the date
    assert after.size == before.size
    assert abs(after.size[0] - 210 / 25.4 * DPI) < 2 and abs(after.size[1] - 297 / 25.4 * DPI) < 2

    box = seal_box_mm()
    area = (box[2] / 25.4 * DPI) * (box[3] / 25.4 * DPI)
    assert red_pixels(before, box) < 20  # black issuer and date only
    assert red_pixels(after, box) > 0.08 * area
    # The seal covers the 落款 (issuer and date, printed in the box's lower half)...
    lower_half = (box[0], box[1] + box[3] / 2, box[2], box[3] / 2)
    assert red_pixels(after, lower_half) > 0.05 * area / 2
    # ...and nothing red spills over the rest of the page.
    whole = (0.0, 0.0, 210.0, 297.0)
    outside = red_pixels(after, whole) - red_pixels(after, box)
    assert outside == red_pixels(before, whole) - red_pixels(before, box)


def test_an_uploaded_result_is_sealed_at_the_bottom_right_of_its_last_page(tmp_path):
    published_restaurant()
    f.returned_results()
    for doc in IssuedDocument.objects.filter(kind=IssuedDocument.Kind.RESULT):
        data = f.file_bytes(doc)
        stamp = default_stamp(data)
        x1, y1, x2, y2 = stamp.box
        # PDF points from the bottom left to millimetres from the top left of an A4 page.
        box = (x1 * MM_PER_PT, 297 - y2 * MM_PER_PT, (x2 - x1) * MM_PER_PT, (y2 - y1) * MM_PER_PT)
        image = first_page(data, tmp_path, doc.number, page=stamp.page + 1)
        area = (box[2] / 25.4 * DPI) * (box[3] / 25.4 * DPI)
        assert red_pixels(image, box) > 0.08 * area, doc.title
