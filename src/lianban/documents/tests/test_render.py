"""Rendered documents, read back with Debian's poppler-utils as any PDF reader would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lianban.documents import render
from lianban.documents.fontembed import DocumentOutput
from lianban.documents.render import (
    SEAL_BOX,
    Document,
    Section,
    Table,
    _DocumentPdf,
    chinese_date,
    render_pdf,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

MATERIALS = [
    "“一件事一次办”联办申请表",
    "申请人身份证明",
    "经办人身份证明及授权委托书",
    "企业名称自主申报告知书",
    "公司章程",
    "股东主体资格证明",
    "法定代表人任职文件",
    "住所（经营场所）使用证明",
    "房屋租赁合同",
    "食品经营许可申请书",
    "食品安全管理制度",
    "主要设备设施布局及操作流程文件",
    "食品安全管理人员培训合格证明",
    "从业人员健康证明",
    "经营场所平面布局图",
    "餐饮服务场所卫生检查记录",
    "公众聚集场所投入使用、营业前消防安全检查申请表",
    "消防安全制度和操作规程",
    "灭火和应急疏散预案",
    "场所平面布置图及疏散示意图",
    "员工岗前消防安全教育培训记录",
    "室内装修材料防火性能证明文件",
    "户外广告设置申请表",
    "户外广告设计效果图",
    "排水许可申请表",
    "排水户内部排水管网、专用检测井、污水排放口位置图",
    "隔油池设置及清掏协议",
    "城镇污水排入排水管网许可证（原件，已办理的）",
    "税务登记信息确认表",
    "银行开户许可及账户信息",
]


def sample_receipt(rows: int = len(MATERIALS)) -> Document:
    return Document(
        title="收件回执",
        number="卫滨联办收〔2025〕第000123号",
        issued_at=dt.datetime(2025, 3, 4, 10, 32, tzinfo=SHANGHAI),
        issuer="卫滨区政务服务中心综合受理窗口",
        recipient="张三",
        sections=[
            Section(
                heading="一、申请事项",
                paragraphs=[
                    "你于2025年3月4日10时32分通过综合受理窗口申请办理“我要开餐馆”一件事，"
                    "涉及营业执照、食品经营许可、公众聚集场所投入使用营业前消防安全检查、"
                    "户外广告设置、城镇污水排入排水管网许可共5个事项。我中心已收到你提交的"
                    "下列申请材料，现予出具收件回执。",
                ],
            ),
            Section(
                heading="二、已收材料",
                table=Table(
                    header=["序号", "材料名称", "材料形式", "份数"],
                    rows=[
                        [str(n), name, "原件" if n % 3 else "复印件", "1"]
                        for n, name in enumerate(MATERIALS[:rows], start=1)
                    ],
                ),
            ),
            Section(
                heading="三、后续办理",
                paragraphs=[
                    "本回执仅证明我中心已收到上述材料，不代表申请已被受理。我中心将在"
                    "1个工作日内完成材料审查，作出受理或者一次性告知补正的决定，并通过短信"
                    "和“联办”平台通知你。",
                    "联系电话：0373-1234567。",
                ],
            ),
        ],
        verify_url="https://lianban.weibin.gov.cn/v/SJ2025000123?c=7f3a9c",
        footer="本回执由卫滨区“一件事一次办”联办平台生成，扫描二维码可核验真伪。",
    )


def sample_correction_notice() -> Document:
    return Document(
        title="申请材料补正告知书",
        number="卫滨联办补〔2025〕第000045号",
        issued_at=dt.datetime(2025, 3, 5, 9, 0, tzinfo=SHANGHAI),
        issuer="卫滨区政务服务中心",
        recipient="卫滨区好味道餐饮有限公司",
        sections=[
            Section(
                heading="",
                paragraphs=[
                    "你单位于2025年3月4日提交的“我要开餐馆”一件事申请材料（收件回执编号："
                    "卫滨联办收〔2025〕第000123号）经审查，尚需补正下列材料。根据《中华人民"
                    "共和国行政许可法》第三十二条的规定，现一次性告知如下：",
                ],
            ),
            Section(
                heading="一、需要补正的材料",
                table=Table(
                    header=["序号", "材料名称", "补正要求"],
                    rows=[
                        [
                            "1",
                            "从业人员健康证明",
                            "3名从业人员的健康证明已过有效期，请提交有效期内的健康证明。",
                        ],
                        ["2", "经营场所平面布局图", "请标明加工操作区、就餐区、更衣室及各区面积。"],
                    ],
                ),
            ),
            Section(
                heading="二、补正期限",
                paragraphs=["请于收到本告知书之日起20个工作日内补正；逾期未补正的，视为撤回申请。"],
            ),
        ],
        verify_url="https://lianban.weibin.gov.cn/v/BZ2025000045?c=1b2c3d",
        footer="补正材料可通过“联办”平台上传，或到综合受理窗口提交。",
    )


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is missing: run ./scripts/ensure-browser (poppler-utils)")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def receipt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("documents") / "receipt.pdf"
    path.write_bytes(render_pdf(sample_receipt()))
    return path


def page_count(path: Path) -> int:
    info = poppler("pdfinfo", str(path))
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def test_receipt_is_a_pdf(receipt: Path):
    assert receipt.read_bytes().startswith(b"%PDF-")


def test_chinese_text_can_be_extracted(receipt: Path):
    text = poppler("pdftotext", "-layout", str(receipt), "-")
    assert "收件回执" in text
    assert "卫滨联办收〔2025〕第000123号" in text
    assert "张三：" in text
    assert "食品安全管理人员培训合格证明" in text
    assert "卫滨区政务服务中心综合受理窗口" in text
    assert chinese_date(dt.date(2025, 3, 4)) in text
    assert "https://lianban.weibin.gov.cn/v/SJ2025000123?c=7f3a9c" in text


def test_cjk_fonts_are_embedded_as_subsets(receipt: Path):
    fonts = poppler("pdffonts", str(receipt)).splitlines()[2:]
    cjk = [line for line in fonts if "CJK" in line]
    assert cjk, fonts
    for line in cjk:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line
        assert re.match(r"^[A-Z]{6}\+", name), line  # a subset's tag
    # Nothing falls back to a font that is not embedded.
    assert all(line.split()[-5] == "yes" for line in fonts), fonts


def test_long_table_breaks_across_pages_with_its_header_repeated(receipt: Path):
    pages = page_count(receipt)
    assert pages > 1

    def lines(number: int) -> list[str]:
        text = poppler(
            "pdftotext", "-layout", "-f", str(number), "-l", str(number), str(receipt), "-"
        )
        # pdftotext keeps or drops narrow spaces by its own guess; compare without them.
        return [re.sub(r"\s+", "", line) for line in text.splitlines()]

    assert f"第1页共{pages}页" in lines(1)
    assert f"第{pages}页共{pages}页" in lines(pages)
    second = lines(2)
    assert "收件回执卫滨联办收〔2025〕第000123号" in second  # the running header
    assert "序号材料名称材料形式份数" in second  # the table's header row again
    # Every material is there, whichever page it fell on.
    text = re.sub(r"\s+", "", poppler("pdftotext", str(receipt), "-"))
    for name in MATERIALS:
        assert name in text


def test_qr_code_is_an_image_on_the_first_page(receipt: Path):
    images = poppler("pdfimages", "-list", "-f", "1", "-l", "1", str(receipt)).splitlines()[2:]
    assert len(images) == 1, images
    page, _num, kind, width, height, *_ = images[0].split()
    assert (page, kind) == ("1", "image")
    assert width == height  # square
    later = poppler("pdfimages", "-list", "-f", "2", "-l", "2", str(receipt)).splitlines()[2:]
    assert later == []


def test_only_the_issuer_and_date_are_inside_the_seal_box(receipt: Path):
    # Word boxes in points from the top left; the seal box is in millimetres.
    html = poppler("pdftotext", "-bbox", "-f", "1", "-l", "1", str(receipt), "-")
    k = 72 / 25.4
    left, top = SEAL_BOX.x * k, SEAL_BOX.y * k
    right, bottom = left + SEAL_BOX.width * k, top + SEAL_BOX.height * k
    inside = {}
    for match in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html,
    ):
        x1, y1, x2, y2 = (float(v) for v in match.groups()[:4])
        if x2 > left and x1 < right and y2 > top and y1 < bottom:
            inside[match.group(5)] = y1
    assert list(inside) == ["卫滨区政务服务中心综合受理窗口", "2025年3月4日"]
    # in the box's lower half, where GB/T 9704 has the seal press on them
    assert min(inside.values()) > (top + bottom) / 2


def test_seal_box_in_pdf_points():
    x1, y1, x2, y2 = SEAL_BOX.pdf_points()
    assert round(x2 - x1) == round(y2 - y1) == round(45 * 72 / 25.4)
    assert x2 <= 595.28 and y1 > 0  # inside the A4 page, bottom half
    assert y2 < 842 / 2


def test_rendering_is_deterministic():
    assert render_pdf(sample_receipt()) == render_pdf(sample_receipt())


def test_short_document_is_one_page(tmp_path: Path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_pdf(sample_correction_notice()))
    assert page_count(path) == 1
    text = poppler("pdftotext", str(path), "-")
    assert "申请材料补正告知书" in text
    assert "卫滨区好味道餐饮有限公司：" in text
    assert "3名从业人员的健康证明已过有效期" in text


def test_table_rows_must_match_the_header():
    with pytest.raises(ValueError, match="row 2 has 1 cells"):
        Table(header=["序号", "材料名称"], rows=[["1", "申请表"], ["2"]])


def test_each_face_is_given_every_character_it_sets():
    pdf = _DocumentPdf(sample_receipt())
    pdf.compose()
    pdf.output()
    assert pdf.per_face
    assert not pdf.lacks_glyphs()
    # The bold faces carry the title, the headings and the tables' header rows alone.
    assert len(pdf.fonts["songtiB"].subset.get_all_glyph_names()) < 10
    assert len(pdf.fonts["heitiB"].subset.get_all_glyph_names()) < 40


def test_a_character_left_out_of_a_face_sets_the_document_with_every_character(monkeypatch):
    document = sample_correction_notice()
    every = _DocumentPdf(document, per_face=False)
    every.compose()
    expected = bytes(every.output(output_producer_class=DocumentOutput))
    monkeypatch.setattr(
        render, "_face_texts", lambda d: {"songti": [], "songtiB": [], "heitiB": []}
    )
    assert render_pdf(document) == expected


def test_text_is_measured_as_fpdf2_measures_it():
    pdf = _DocumentPdf(sample_receipt())
    pdf.add_page()
    texts = ["", "收件回执", "第 12 页 共 13 页", MATERIALS[-4], sample_receipt().verify_url]
    for family, style, size in (("songti", "", 12), ("songti", "B", 22), ("heiti", "B", 10.5)):
        pdf.set_font(family, style, size)
        for text in texts:
            assert pdf._width(text) == pdf.get_string_width(text), (family, style, text)


def test_a_long_cell_wraps_inside_its_column_by_the_line_breaking_rules(tmp_path: Path):
    requirement = (
        "3名从业人员的健康证明已过有效期，请提交有效期内的健康证明；新招录的2名厨师，"
        "请一并提交入职前体检合格的健康证明，并在证明上加盖体检机构印章。"
    )
    document = sample_correction_notice()
    table = document.sections[1].table
    assert table is not None
    rows = [["1", "从业人员健康证明", requirement], *table.rows[1:]]
    sections = [
        document.sections[0],
        Section("一、需要补正的材料", table=Table(table.header, rows)),
    ]
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_pdf(dataclasses.replace(document, sections=sections)))
    html = poppler("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-")
    words = [
        (float(x1), float(y1), float(x2), text)
        for x1, y1, x2, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            html,
        )
    ]
    k = 72 / 25.4
    right = (render.PAGE_WIDTH - render.MARGIN_RIGHT) * k
    assert all(x2 <= right + 0.5 for _, _, x2, _ in words), words
    # The cell's lines: on three or more lines, all starting at one left edge, none starting
    # with closing punctuation, and nothing of the text lost.
    cell = [(x1, y1, text) for x1, y1, _, text in words if text in requirement and len(text) > 3]
    assert len({y1 for _, y1, _ in cell}) >= 3, cell
    assert len({round(x1) for x1, _, _ in cell}) == 1, cell
    assert not any(text[0] in "，。；" for _, _, text in cell), cell
    assert "".join(text for _, _, text in cell) == requirement


def test_a_table_header_row_never_ends_a_page_alone(tmp_path: Path):
    # A 补正要求 as long as the field allows (500 characters) makes the first row taller than
    # what is left of the first page: the heading, the header row and that row go on together.
    requirement = (
        "请补充提交经营场所的产权证明或者租赁合同，租赁合同应当载明租赁期限、租赁面积及用途，"
        "并附出租方的产权证明复印件；" * 12
    )[:500]
    document = sample_correction_notice()
    # As applications.notices lays out a 补正告知书's table.
    header = ["序号", "项目", "问题", "补正要求"]
    rows = [
        ["1", "经营场所平面布局图", "不符合要求", requirement],
        ["2", "从业人员健康证明", "缺少", "请提交有效期内的证明。"],
    ]
    sections = [
        document.sections[0],
        Section("一、需要补正的材料", table=Table(header, rows)),
        document.sections[2],
    ]
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_pdf(dataclasses.replace(document, sections=sections)))
    pages = [
        poppler("pdftotext", "-f", str(number), "-l", str(number), str(path), "-")
        for number in range(1, page_count(path) + 1)
    ]
    assert len(pages) >= 2
    # (补正要求 is the header row's last cell; the notice's own text never says it.)
    with_header = [text for text in pages if "补正要求" in text]
    assert with_header, pages
    for text in with_header:
        assert "经营场所平面布局图" in text or "从业人员健康证明" in text, text
    (heading_page,) = [text for text in pages if "一、需要补正的材料" in text]
    assert "经营场所平面布局图" in heading_page
    assert "你单位于2025年3月4日" in pages[0]
