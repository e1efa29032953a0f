"""Official documents (收件回执, 补正告知书, …) as A4 PDF.

The layout follows the look of a printed 公文 (GB/T 9704): a red title with the document
number and a red rule beneath it, the addressee (主送) on its own line, headings in 黑体 and
body text in 宋体 with a two-character first-line indent, justified, with the 避头尾 rules.
The first page keeps a square clear at its bottom right, :data:`SEAL_BOX`, where the issuer's
seal is stamped later; the issuer's name and the date (落款) are printed in its lower half,
because GB/T 9704 has the seal press on them. A QR code for verifying the document sits at
the first page's bottom left.

fpdf2 writes the PDF: pure Python, it embeds a subset of the Noto CJK fonts with a ToUnicode map
(so the text can be searched and copied, and the file renders anywhere), and its output is a
plain PDF that pyHanko can seal and sign by an incremental update. :mod:`.fontcache` and
:mod:`.fontembed` keep the fonts fast to embed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import segno
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont
from PIL import Image

from lianban.common.errors import DomainError

from . import fontcache
from .fontembed import DocumentOutput
from .fonts import SANS_BOLD, SERIF, SERIF_BOLD, find_font
from .linebreak import break_lines

MM_PER_PT = 25.4 / 72

PAGE_WIDTH = 210.0  # A4 portrait, in millimetres
PAGE_HEIGHT = 297.0
MARGIN_LEFT = 28.0  # GB/T 9704's binding side
MARGIN_RIGHT = 26.0
MARGIN_TOP = 28.0
MARGIN_BOTTOM = 30.0  # the footer and page number live in it
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
CONTINUATION_ROOM = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # the text's height on pages 2…

TITLE_PT = 22.0  # 二号
BODY_PT = 12.0  # 小四
TABLE_PT = 10.5  # 五号
SMALL_PT = 8.0
LINE_SPACING = 1.7  # body line height, as a multiple of the font size

RED = (204, 0, 0)
GREY = (90, 90, 90)
TABLE_HEAD_FILL = (238, 238, 238)
TABLE_HEAD_FONT = ("heiti", "B", TABLE_PT)
TABLE_BODY_FONT = ("songti", "", TABLE_PT)
CELL_PADDING = (1.4, 1.8)  # top and bottom, left and right, in millimetres
TABLE_GAP = 1.5  # above a table, in millimetres
TABLE_LINE = TABLE_PT * MM_PER_PT * 1.45  # a table's line height


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in millimetres, measured from the page's top left corner."""

    x: float
    y: float
    width: float
    height: float

    def pdf_points(self) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)`` in PDF points from the bottom left corner: PDF's own
        coordinates, as pyHanko takes a stamp's or signature field's box."""
        k = 1 / MM_PER_PT
        return (
            round(self.x * k, 2),
            round((PAGE_HEIGHT - self.y - self.height) * k, 2),
            round((self.x + self.width) * k, 2),
            round((PAGE_HEIGHT - self.y) * k, 2),
        )


# Where the seal goes on the first page: a 4.5 cm square at the bottom right of the text area.
# Nothing is drawn in it but the issuer's name and the date, in its lower half.
SEAL_BOX = Box(
    x=PAGE_WIDTH - MARGIN_RIGHT - 45.0,
    y=PAGE_HEIGHT - MARGIN_BOTTOM - 45.0,
    width=45.0,
    height=45.0,
)
SEAL_PAGE = 0  # the first page, numbered from 0 as pyHanko does

QR_SIZE = 28.0  # millimetres, quiet zone included
# On the first page the text stops above the band that holds the QR code and the seal box.
FIRST_PAGE_TEXT_BOTTOM = SEAL_BOX.y - 4.0


@dataclass(frozen=True)
class Table:
    """A bordered table: a header row and rows of the same number of cells."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]

    def __post_init__(self) -> None:
        if not self.header:
            raise ValueError("a table needs a header row")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.header):
                raise ValueError(
                    f"row {number} has {len(row)} cells, the header has {len(self.header)}"
                )


@dataclass(frozen=True)
class Section:
    """A heading (e.g. “一、已收材料”; none if empty), then its paragraphs, then its table."""

    heading: str
    paragraphs: Sequence[str] = ()
    table: Table | None = None


@dataclass(frozen=True)
class Document:
    """One document to print: everything :func:`render_pdf` needs, nothing it looks up."""

    title: str  # 收件回执
    number: str  # the document number, printed under the title
    issued_at: dt.datetime  # its date is printed in the 落款 (local time if aware)
    issuer: str  # the department or window that issues it, printed in the 落款
    recipient: str  # the addressee (主送), e.g. the applicant's name
    sections: Sequence[Section]
    verify_url: str  # encoded in the QR code and printed beneath it
    footer: str = ""  # one line at the foot of every page


def chinese_date(moment: dt.datetime | dt.date) -> str:
    """2025年3月4日 — Arabic numerals, no leading zeros, as GB/T 9704-2012 writes dates."""
    return f"{moment.year}年{moment.month}月{moment.day}日"


def render_pdf(document: Document) -> bytes:
    """The document as a PDF file."""
    pdf = _DocumentPdf(document)
    pdf.compose()
    data = bytes(pdf.output(output_producer_class=DocumentOutput))
    if pdf.per_face and pdf.lacks_glyphs():
        # A face set a character beyond what :func:`_face_texts` gave it: set the document
        # again with every character in every face, as the faces' fonts then all have it.
        pdf = _DocumentPdf(document, per_face=False)
        pdf.compose()
        data = bytes(pdf.output(output_producer_class=DocumentOutput))
    return data


FACES = (("songti", "", SERIF), ("songti", "B", SERIF_BOLD), ("heiti", "B", SANS_BOLD))


@cache
def _fonts(prepared: bool) -> tuple[tuple[str, str, str, int], ...]:
    """(family, style, file, face number) of each font, found once per process: the
    prepared common-character faces, or the full ones."""
    found = []
    for family, style, name in FACES:
        if prepared:
            found.append((family, style, str(fontcache.prepare(name)), 0))
        else:
            font = find_font(name)
            found.append((family, style, str(font.path), font.index))
    return tuple(found)


# What the page furniture prints besides the document's own text: the page numbers and count,
# the date, the captions. Only 宋体 sets furniture.
FURNITURE = {ord(c) for c in "0123456789 第页共编号：扫码或访问以下网址核验本文书年月日　"}


def _face_texts(document: Document) -> dict[str, list[str]]:
    """The texts each face sets, by font key: the title is in 宋体 bold, the headings and the
    tables' header rows in 黑体 bold, everything else (the running header's title too) in 宋体.
    Each face's font gets only its own characters, which keeps the two bold ones to a few
    dozen glyphs; :func:`render_pdf` checks that nothing was left out."""
    headings = [section.heading for section in document.sections]
    headings += [
        cell
        for section in document.sections
        if section.table is not None
        for cell in section.table.header
    ]
    return {"songti": _texts(document), "songtiB": [document.title], "heitiB": headings}


def _texts(document: Document) -> list[str]:
    texts = [document.title, document.number, document.issuer, document.recipient]
    texts += [document.verify_url, document.footer]
    for section in document.sections:
        texts.append(section.heading)
        texts.extend(section.paragraphs)
        if section.table is not None:
            texts.extend(section.table.header)
            texts.extend(cell for row in section.table.rows for cell in row)
    return texts


def _line_height(size_pt: float, spacing: float = LINE_SPACING) -> float:
    return size_pt * MM_PER_PT * spacing


# A row laid out: each cell's lines, and the row's height.
_Row = tuple[list[list[str]], float]


@dataclass(frozen=True)
class _TableLayout:
    widths: tuple[float, ...]
    aligns: tuple[Align, ...]
    header: _Row
    rows: list[_Row]

    @property
    def lead(self) -> float:
        """The height of the header row and the first row, which are never parted: a header
        row alone at the foot of a page says nothing."""
        return self.header[1] + (self.rows[0][1] if self.rows else 0.0)


class _DocumentPdf(FPDF):
    def __init__(self, document: Document, *, per_face: bool = True) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.document = document
        texts = _texts(document)
        prepared = _fonts(True)
        self.per_face = False
        if all(fontcache.face_covers(path, texts) for _, _, path, _ in prepared):
            self.per_face = per_face
            everything = {ord(c) for text in texts for c in text} | FURNITURE
            by_face = _face_texts(document)
            for family, style, path, _ in prepared:
                characters = everything
                if per_face:
                    # (A space too, so that no face's font is left without a character.)
                    face = by_face[family + style]
                    characters = {ord(c) for text in face for c in text} | {0x20}
                    if family + style == "songti":
                        characters |= FURNITURE
                fontcache.install(self, family, style, fontcache.document_font(path, characters))
        else:
            # A character beyond the prepared faces: the full faces have it.
            for family, style, path, index in _fonts(False):
                self.add_font(family, style, path, collection_font_number=index)
        self.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        self.c_margin = 0  # text is placed exactly where the layout says
        self.alias_nb_pages()
        issued = document.issued_at
        if timezone.is_aware(issued):
            issued = timezone.localtime(issued)
        self.issued = issued
        self.set_lang("zh-CN")
        self.set_title(f"{document.title}（{document.number}）")
        self.set_author(document.issuer)
        self.set_creator("联办 lianban")
        self.set_subject(f"{document.issuer}致{document.recipient}")
        # The date the document was issued, not the time it was rendered: rendering the same
        # document twice gives the same bytes.
        self.set_creation_date(issued if timezone.is_aware(issued) else timezone.make_aware(issued))

    def _width(self, text: str) -> float:
        """``get_string_width(text)``, by fpdf2's own arithmetic for what this class sets — a
        TrueType font, no text shaping, markdown, fallback fonts or character spacing —
        without the text fragments it builds per call: line breaking measures every line it
        tries."""
        font = self.current_font
        if (
            not isinstance(font, TTFFont)
            or font.is_symbol
            or self.text_shaping
            or getattr(self, "_fallback_font_ids", None)
            or self.font_stretching != 100
            or self.char_spacing
            or (self.str_alias_nb_pages and self.str_alias_nb_pages in text)
        ):
            return self.get_string_width(text)
        widths = font.cw
        return sum(widths[ord(c)] for c in text) * self.font_size_pt * 0.001 / self.k

    def lacks_glyphs(self) -> bool:
        """Whether some text was set in a font without its character."""
        return any(getattr(font, "missing_glyphs", None) for font in self.fonts.values())

    # --- page furniture -------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() == 1:
            # The band is drawn first, below where the text will stop on this page.
            self.set_auto_page_break(False)
            self._first_page_band()
            self.set_auto_page_break(True, PAGE_HEIGHT - FIRST_PAGE_TEXT_BOTTOM)
            self.set_xy(MARGIN_LEFT, MARGIN_TOP)
            return
        self.set_auto_page_break(True, MARGIN_BOTTOM)
        # Continuation pages name the document, so that a loose page can be matched to it.
        self.set_font("songti", "", SMALL_PT)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN_LEFT, MARGIN_TOP - 12)
        self.cell(TEXT_WIDTH, 5, f"{self.document.title}　{self.document.number}", align=Align.R)
        self.set_draw_color(*GREY)
        self.set_line_width(0.2)
        self.line(MARGIN_LEFT, MARGIN_TOP - 6.5, PAGE_WIDTH - MARGIN_RIGHT, MARGIN_TOP - 6.5)
        self.set_text_color(0)
        self.set_xy(MARGIN_LEFT, MARGIN_TOP)

    def footer(self) -> None:
        self.set_text_color(*GREY)
        if self.document.footer:
            self.set_font("songti", "", SMALL_PT + 1)
            self.set_xy(MARGIN_LEFT, PAGE_HEIGHT - MARGIN_BOTTOM + 4)
            self.cell(TEXT_WIDTH, 5, self.document.footer, align=Align.C)
        self.set_font("songti", "", SMALL_PT + 1)
        self.set_xy(MARGIN_LEFT, PAGE_HEIGHT - MARGIN_BOTTOM + 11)
        self.cell(TEXT_WIDTH, 5, f"第 {self.page_no()} 页 共 {{nb}} 页", align=Align.C)
        self.set_text_color(0)

    # --- the document ---------------------------------------------------------------------

    def compose(self) -> None:
        self.add_page()
        self._masthead()
        for section in self.document.sections:
            self._section(section)

    def _masthead(self) -> None:
        document = self.document
        self.set_text_color(*RED)
        self.set_font("songti", "B", TITLE_PT)
        for line in break_lines(document.title, TEXT_WIDTH, self._width):
            self._centred(line, _line_height(TITLE_PT, 1.45))
        self.set_text_color(0)
        self.ln(1.5)
        self.set_font("songti", "", BODY_PT - 1)
        self._centred(f"编号：{document.number}", _line_height(BODY_PT - 1, 1.5))
        self.ln(1.5)
        self.set_draw_color(*RED)
        self.set_line_width(0.6)
        self.line(MARGIN_LEFT, self.y, PAGE_WIDTH - MARGIN_RIGHT, self.y)
        self.set_draw_color(0)
        self.ln(6)
        self.set_font("songti", "", BODY_PT)
        self._text_line(f"{document.recipient}：", MARGIN_LEFT, TEXT_WIDTH, justify=False)

    def _section(self, section: Section) -> None:
        body = _line_height(BODY_PT)
        heading = _line_height(BODY_PT)
        self.ln(1.5)
        table = self._table_layout(section.table) if section.table is not None else None
        if section.heading:
            # A heading never ends a page: it keeps its first line of text, or a table's
            # header row and first row, with it.
            self._keep_space(heading + (body if table is None else TABLE_GAP + table.lead))
            self.set_font("heiti", "B", BODY_PT)
            self._paragraph(section.heading)
        self.set_font("songti", "", BODY_PT)
        for paragraph in section.paragraphs:
            self._paragraph(paragraph)
        if table is not None:
            self.ln(TABLE_GAP)
            self._keep_space(table.lead)
            self._table(table)
            self.ln(2)

    def _first_page_band(self) -> None:
        """The QR code at the bottom left of the first page, the 落款 in the seal box."""
        document = self.document

        qr = segno.make(document.verify_url, error="m", micro=False)
        self.image(
            _qr_image(qr), x=MARGIN_LEFT, y=SEAL_BOX.y, w=QR_SIZE, h=QR_SIZE, alt_text="核验二维码"
        )
        caption_width = SEAL_BOX.x - MARGIN_LEFT - 8
        self.set_text_color(*GREY)
        self.set_font("songti", "", SMALL_PT)
        self.set_xy(MARGIN_LEFT + 1.2, SEAL_BOX.y + QR_SIZE + 0.5)
        self.cell(caption_width, 4, "扫码或访问以下网址核验本文书：")
        self.set_xy(MARGIN_LEFT + 1.2, SEAL_BOX.y + QR_SIZE + 4.3)
        self.set_font("songti", "", SMALL_PT - 0.5)
        for line in break_lines(document.verify_url, caption_width, self._width):
            self.cell(caption_width, 3.4, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_text_color(0)

        # GB/T 9704: the seal presses on the issuer's name and the date, which sit a little
        # below its centre; both are centred on the box, kept inside the text area.
        self.set_font("songti", "", BODY_PT)
        height = _line_height(BODY_PT, 1.55)
        y = SEAL_BOX.y + SEAL_BOX.height / 2 + 0.5
        for text in (document.issuer, chinese_date(self.issued)):
            width = self._width(text)
            x = min(SEAL_BOX.x + (SEAL_BOX.width - width) / 2, PAGE_WIDTH - MARGIN_RIGHT - width)
            self.set_xy(x, y)
            self.cell(width, height, text)
            y += height

    # --- text -----------------------------------------------------------------------------

    def _keep_space(self, height: float) -> None:
        """A new page if ``height`` does not fit on this one but fits on the next (what fits
        on no page is begun where it is: a new page would only leave this one emptier)."""
        if self.y + height > self.page_break_trigger and height <= CONTINUATION_ROOM:
            self.add_page()

    def _centred(self, text: str, height: float) -> None:
        self.set_x(MARGIN_LEFT)
        self.cell(TEXT_WIDTH, height, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _paragraph(self, text: str) -> None:
        """A paragraph in the current font: a first-line indent of two characters, justified."""
        indent = 2 * self.font_size
        lines = break_lines(text, TEXT_WIDTH, self._width, first_indent=indent)
        for number, line in enumerate(lines):
            left = indent if number == 0 else 0
            last = number == len(lines) - 1
            self._text_line(line, MARGIN_LEFT + left, TEXT_WIDTH - left, justify=not last)

    def _text_line(self, text: str, x: float, width: float, *, justify: bool) -> None:
        height = _line_height(self.font_size_pt)
        self._keep_space(height)
        self.set_x(x)
        spacing = 0.0
        if justify and len(text) > 1:
            slack = width - self._width(text)
            # fpdf2 takes character spacing in points. A line that would spread by more than
            # half a character is left ragged (a long word was pushed to the next line).
            spacing = max(0.0, slack / MM_PER_PT / (len(text) - 1))
            if spacing > self.font_size_pt / 2:
                spacing = 0.0
        self.set_char_spacing(spacing)
        self.cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_char_spacing(0)

    # --- tables ---------------------------------------------------------------------------

    def _table_layout(self, table: Table) -> _TableLayout:
        """The table's columns and each row's lines, laid out once before it is drawn (its
        section keeps room for the header row and first row first)."""
        widths = self._column_widths(table, 2 * CELL_PADDING[1])
        aligns = tuple(
            Align.C if _is_short(table, column) else Align.L for column in range(len(widths))
        )
        return _TableLayout(
            widths=widths,
            aligns=aligns,
            header=self._table_row(table.header, widths, TABLE_HEAD_FONT),
            rows=[self._table_row(values, widths, TABLE_BODY_FONT) for values in table.rows],
        )

    def _table(self, table: _TableLayout) -> None:
        """Drawn row by row: each cell's text broken by :func:`break_lines` (the 避头尾 rules
        hold in cells too), a row that does not fit moved whole to the next page, the header
        row repeated there. A thin rule between cells, a heavier one around each page's part
        of the table. (fpdf2's own table lays every cell out twice, in a dry run and then for
        real, and cost a third of a receipt's rendering.)"""
        widths, aligns, header = table.widths, table.aligns, table.header
        top = self.y
        self._draw_row(header, widths, aligns, TABLE_HEAD_FONT, fill=True)
        for row in table.rows:
            if self.y + row[1] > self.page_break_trigger:
                self._table_frame(top, widths)
                self.add_page()
                top = self.y
                self._draw_row(header, widths, aligns, TABLE_HEAD_FONT, fill=True)
            self._draw_row(row, widths, aligns, TABLE_BODY_FONT, fill=False)
        self._table_frame(top, widths)
        self.set_font(*TABLE_BODY_FONT)

    def _table_row(
        self, values: Sequence[str], widths: Sequence[float], font: tuple[str, str, float]
    ) -> _Row:
        """Each cell's lines, and the row's height."""
        self.set_font(*font)
        room = [width - 2 * CELL_PADDING[1] for width in widths]
        cells = [break_lines(value, r, self._width) for value, r in zip(values, room, strict=True)]
        lines = max(len(cell) for cell in cells)
        return cells, lines * TABLE_LINE + 2 * CELL_PADDING[0]

    def _draw_row(
        self,
        row: _Row,
        widths: Sequence[float],
        aligns: Sequence[Align],
        font: tuple[str, str, float],
        *,
        fill: bool,
    ) -> None:
        cells, height = row
        self.set_font(*font)
        self.set_draw_color(0)
        self.set_line_width(0.2)
        if fill:
            self.set_fill_color(*TABLE_HEAD_FILL)
        x, y = MARGIN_LEFT, self.y
        for lines, width, align in zip(cells, widths, aligns, strict=True):
            self.rect(x, y, width, height, style="DF" if fill else "D")
            # Centred in the row's height, as a spreadsheet centres a short cell.
            line_y = y + (height - len(lines) * TABLE_LINE) / 2
            for line in lines:
                self.set_xy(x + CELL_PADDING[1], line_y)
                self.cell(width - 2 * CELL_PADDING[1], TABLE_LINE, line, align=align)
                line_y += TABLE_LINE
            x += width
        self.set_xy(MARGIN_LEFT, y + height)

    def _table_frame(self, top: float, widths: Sequence[float]) -> None:
        """The heavier rule around the part of the table on this page."""
        self.set_line_width(0.4)
        self.rect(MARGIN_LEFT, top, sum(widths), self.y - top, style="D")
        self.set_line_width(0.2)

    def _column_widths(self, table: Table, padding: float) -> tuple[float, ...]:
        """Each column as wide as its widest cell when they fit; otherwise narrow columns
        keep their width and the wide ones share what is left (water-filling)."""
        self.set_font("heiti", "B", TABLE_PT)
        natural = [self._width(cell) + padding + 1 for cell in table.header]
        self.set_font("songti", "", TABLE_PT)
        for row in table.rows:
            for column, cell in enumerate(row):
                natural[column] = max(natural[column], self._width(cell) + padding + 1)
        if sum(natural) <= TEXT_WIDTH:
            # Spare room goes to the columns with the most text.
            spare = TEXT_WIDTH - sum(natural)
            total = sum(natural)
            return tuple(width + spare * width / total for width in natural)
        widths = [0.0] * len(natural)
        remaining = TEXT_WIDTH
        open_columns = sorted(range(len(natural)), key=lambda column: natural[column])
        while open_columns:
            share = remaining / len(open_columns)
            column = open_columns[0]
            if natural[column] > share:
                for column in open_columns:
                    widths[column] = share
                break
            widths[column] = natural[column]
            remaining -= natural[column]
            open_columns.pop(0)
        return tuple(widths)


def image_pdf(image: bytes, title: str) -> bytes:
    """A scanned result (JPEG or PNG) as a one-page A4 PDF, the image fitted inside the
    margins, so that it can be sealed like any other document."""
    from PIL import UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as probe:
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise DomainError(
            "无法读取该图片文件：文件已损坏，请重新扫描后上传。", path="file"
        ) from exc
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("联办 lianban")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(
        io.BytesIO(image),
        x=MARGIN_LEFT,
        y=MARGIN_TOP,
        w=TEXT_WIDTH,
        h=PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        keep_aspect_ratio=True,
        alt_text=title,
    )
    return bytes(pdf.output())


def _qr_image(qr: segno.QRCode) -> Image.Image:
    """The code as a black and white image, ten pixels a module: the pixels of segno's PNG,
    without writing a PNG for fpdf2 to read back."""
    # Two modules of white around the code: with the band's clear space that is more than
    # the quiet zone scanners need.
    rows = [bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(border=2)]
    size = len(rows)
    modules = Image.frombytes("L", (size, size), b"".join(rows))
    scaled = modules.resize((size * 10, size * 10), Image.Resampling.NEAREST)
    return scaled.convert("1", dither=Image.Dither.NONE)


def _is_short(table: Table, column: int) -> bool:
    """A column of short values (序号, 份数, 是/否) reads best centred."""
    return all(len(row[column]) <= 4 for row in table.rows) and len(table.header[column]) <= 6
