"""Sealed documents for the signing tests: every kind the platform issues, made through the
real services (intake, the department's decisions, returned results), plus a quick one
sealed directly for tests that only need some document in the register, and the tools that
read a PDF as an outside reader does (poppler's pdfsig against an NSS database)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from lianban.applications import services as intake
from lianban.applications.models import Application, Notice
from lianban.applications.selectors import plan_of
from lianban.applications.tests.factories import ApplicantFactory, clerk, pdf, publish
from lianban.cases import services as cases
from lianban.cases.tests.factories import FORM, case_of, received_restaurant, reviewer
from lianban.documents.render import SEAL_BOX, SEAL_PAGE, Document, Section, render_pdf
from lianban.signing import keys
from lianban.signing.models import IssuedDocument
from lianban.signing.pdfsign import Stamp
from lianban.signing.services import issue_document, verify_url

BIG = {"area": "ge100", "sign": "yes"}


# ---- Documents through the real services ------------------------------------------------


def correction_notice() -> Notice:
    """An online application one of whose materials the window finds irregular: 补正告知书."""
    applicant = ApplicantFactory()
    window = clerk()
    app = intake.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    intake.application_save_form(application=app, data=FORM, actor=applicant.user)
    codes = [m["code"] for m in plan_of(app).materials]
    for code in codes:
        intake.material_upload(
            application=app,
            material_code=code,
            stream=pdf(),
            name=f"{code}.pdf",
            actor=applicant.user,
        )
    app = intake.application_submit(application=app, actor=applicant.user)
    for code in codes:
        intake.material_review(
            application=app,
            material_code=code,
            verdict="irregular" if code == "lease" else "accepted",
            reason="租赁合同未盖出租方公章" if code == "lease" else "",
            actor=window,
        )
    return intake.application_request_correction(application=app, actor=window)


def restaurant_with_rules() -> None:
    """The restaurant whose licence also wants food-safety rules, a secondary material: the
    one thing that may be deferred under 容缺."""
    from lianban.catalog.models import ItemMaterial, ServiceItem
    from lianban.catalog.tests.factories import MaterialFactory, restaurant_bundle

    bundle = restaurant_bundle()
    rules = MaterialFactory(code="food_rules", name="食品安全管理制度")
    ItemMaterial.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-002"), material=rules, secondary=True, position=9
    )
    publish(bundle)


def conditional_receipt() -> Application:
    """A walk-in received under 容缺 (needs :func:`restaurant_with_rules`): a 容缺受理承诺书
    and a receipt."""
    window = clerk()
    person = ApplicantFactory(walk_in=True)
    app = intake.application_start(
        bundle_code="restaurant",
        answers=BIG,
        applicant=person,
        channel=Application.Channel.WINDOW,
        actor=window,
    )
    intake.application_save_form(application=app, data=FORM, actor=window)
    for m in plan_of(app).materials:
        if m["code"] == "food_rules":
            continue
        intake.material_upload(
            application=app,
            material_code=m["code"],
            stream=pdf(),
            name=f"{m['code']}.pdf",
            actor=window,
            original_seen=True,
        )
        intake.material_review(
            application=app, material_code=m["code"], verdict="accepted", actor=window
        )
    intake.application_receive(
        application=app,
        actor=window,
        commitments=[
            {
                "material": "food_rules",
                "due": timezone.localdate().isoformat(),
                "statement": "本人承诺按期补交食品安全管理制度。",
            }
        ],
    )
    app.refresh_from_db()
    return app


def decided_cases() -> Application:
    """A received restaurant (a receipt) whose fire item the fire brigade accepts (受理通知书)
    and whose sign item the city administration refuses (不予受理通知书)."""
    app = received_restaurant()
    cases.case_accept(case=case_of(app, "XFZD-001"), actor=reviewer("xfzd"))
    cases.case_refuse(
        case=case_of(app, "CGJ-001"), actor=reviewer("cgj"), reason="设置位置位于禁设区域"
    )
    return app


def scan_image(fmt: str) -> bytes:
    """A scanned licence as a JPEG or PNG: a framed page with a few lines of 'text'."""
    image = Image.new("RGB", (620, 860), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 600, 840), outline=(30, 60, 120), width=6)
    for n in range(12):
        draw.rectangle((80, 120 + 50 * n, 540 - 17 * n, 134 + 50 * n), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def returned_results() -> tuple[Application, Any]:
    """The market bureau approves the business licence and returns three results: a PDF, a
    PNG scan and a JPEG scan, each signed by the reviewer and sealed by the bureau."""
    from lianban.applications.tests.factories import PDF

    app = received_restaurant()
    market = reviewer("scjgj")
    case = case_of(app, "SCJGJ-001")
    cases.case_accept(case=case, actor=market)
    cases.case_decide(case=case, actor=market, outcome="approved")
    uploads = [
        ("营业执照", PDF, "licence.pdf"),
        ("营业执照（扫描件）", scan_image("PNG"), "scan.png"),
    ]
    uploads.append(("营业执照（副本扫描件）", scan_image("JPEG"), "scan.jpg"))
    cases.case_return_result(
        case=case,
        actor=market,
        documents=[
            {
                "kind": "licence",
                "title": title,
                "number": "JY14107020001",
                "stream": io.BytesIO(data),
                "name": name,
            }
            for title, data, name in uploads
        ],
    )
    return app, market


# ---- A document sealed directly ---------------------------------------------------------


def sample_document(
    number: str, *, title: str = "一次性告知单", recipient: str = "张三"
) -> Document:
    return Document(
        title=title,
        number=number,
        issued_at=timezone.now(),
        issuer="政务服务大厅“一件事一次办”综合窗口",
        recipient=recipient,
        sections=[
            Section(
                "",
                paragraphs=[
                    f"申请事项：我要开饭店　咨询人：{recipient}",
                    "办理本事项需提交下列材料。本告知单一次性列明全部材料，请备齐后一并提交。",
                ],
            )
        ],
        verify_url=verify_url(number),
        footer=f"{title} {number}",
    )


_sequence = iter(range(1, 10**9))


def sealed_document(
    *,
    department: Any = None,
    actor: Any = None,
    kind: str = IssuedDocument.Kind.GUIDE,
    number: str = "",
    application: Any = None,
) -> IssuedDocument:
    """A rendered document sealed by ``department`` (None: the window) and registered; an
    一次性告知单 unless ``kind`` says otherwise (a receipt's page expects an application)."""
    number = number or f"GZ{dt.date.today():%Y%m%d}-{next(_sequence):04d}-1"
    with transaction.atomic():
        return issue_document(
            pdf=render_pdf(sample_document(number, title=IssuedDocument.Kind(kind).label)),
            number=number,
            kind=kind,
            title=IssuedDocument.Kind(kind).label,
            department=department,
            actor=actor,
            stamp=Stamp(SEAL_PAGE, SEAL_BOX.pdf_points()),
            application=application,
        )


def file_bytes(document: IssuedDocument) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


# ---- Changing a sealed file ---------------------------------------------------------------


def signed_ranges(data: bytes) -> list[tuple[int, int, int, int]]:
    return [
        tuple(int(v) for v in m.groups())  # type: ignore[misc]
        for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    ]


def flip_one_byte(data: bytes) -> bytes:
    """The file with one byte changed in the middle of a stream that the last signature
    covers (the file stays a readable PDF; only the digest no longer matches)."""
    start, length, _, _ = signed_ranges(data)[-1]
    middle = len(data) // 2
    bodies = []
    for m in re.finditer(rb"stream\r?\n", data[: start + length]):
        end = data.find(b"endstream", m.end())
        head = data[data.rfind(b" obj", 0, m.start()) : m.start()]
        # Not the cross-reference or object streams: the file must stay readable.
        if m.end() < end <= start + length and not re.search(rb"/XRef|/ObjStm", head):
            bodies.append((m.end(), end))
    assert bodies, "no stream in the signed range"
    inside = [b for b in bodies if b[0] + 8 <= middle < b[1] - 8]
    first, last = inside[0] if inside else max(bodies, key=lambda b: b[1] - b[0])
    at = middle if inside else (first + last) // 2
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def appended_update(data: bytes) -> bytes:
    """An incremental update written after the seal with pyHanko: a new document title."""
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    writer.root[NameObject("/Lang")] = TextStringObject("en-US")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---- Reading as an outside reader does ----------------------------------------------------


def nss_database(directory: Path) -> Path:
    """An NSS certificate database that trusts the platform CA of the current test."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = directory / "ca.pem"
    ca.write_text(keys.platform_ca().certificate_pem)
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "lianban", "-t", "CT,C,C", "-i", ca],
        check=True,
        capture_output=True,
    )
    return directory


def pdfsig(nss: Path, data: bytes, where: Path) -> list[str]:
    """pdfsig's report, one block of lines per signature."""
    where.write_bytes(data)
    out = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(where)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stdout
    blocks = re.split(r"^Signature #\d+:$", out, flags=re.MULTILINE)
    return blocks[1:]
