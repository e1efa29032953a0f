"""The documents' fonts embedded as they were made, without fpdf2 subsetting them again.

Each font a document is set in is already cut down to the glyphs the document uses
(:func:`lianban.documents.fontcache.document_font`). At output, fpdf2 would open each one again
with fontTools, subset it to those same glyphs and compile it anew: more than a third of the
CPU of rendering a document, to get back a font of the same glyphs. :class:`DocumentOutput`
embeds the prepared font's own bytes instead. Everything else about the font in the PDF (its
dictionaries, the widths, the ToUnicode map from codes to text, the descriptor) is written as
fpdf2 writes it, with fpdf2's own helpers; a document set in anything else (the full faces, for
a character beyond the prepared ones) is output by fpdf2 unchanged.

fpdf2 exposes the output producer as ``output(output_producer_class=...)`` but not the fonts'
step itself (``_add_fonts``), which this overrides: the dependency is held to fpdf2 2.8.x, and
``documents/tests/test_fontembed.py`` compares every page with fpdf2's own output, pixel for
pixel.
"""

from __future__ import annotations

import io
from typing import Any

from fpdf.fonts import TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFContentStream,
    PDFFont,
    PDFFontStream,
    _build_cmap_blocks,
    _tt_font_widths,
)
from fpdf.syntax import Name, PDFArray


class PreparedFont(TTFFont):
    """A TrueType font made for one document (or documents with the same characters): it
    holds only the glyphs the document may set, so its bytes are embedded as they are."""

    __slots__ = ("data",)

    def __init__(self, pdf: Any, data: bytes, fontkey: str, style: str) -> None:
        super().__init__(pdf, io.BytesIO(data), fontkey, style)  # type: ignore[arg-type]
        self.data = data


class DocumentOutput(OutputProducer):
    """fpdf2's output, with :class:`PreparedFont` fonts embedded whole."""

    def _add_fonts(
        self,
        image_objects_per_index: Any,
        gfxstate_objs_per_name: Any,
        pattern_objs_per_name: Any,
    ) -> dict[int, Any]:
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        prepared = [font for font in fonts if isinstance(font, PreparedFont)]
        if len(prepared) < len(fonts):
            return super()._add_fonts(
                image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name
            )
        return {font.i: self._embed(font) for font in prepared}

    def _embed(self, font: PreparedFont) -> PDFFont:
        # As fpdf2 names every embedded subset.
        fontname = f"MPDFAA+{font.name}"
        composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2",
            base_font=fontname,
            d_w=font.desc.missing_width,
            w=_tt_font_widths(font),
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])

        to_unicode = PDFContentStream(_to_unicode(font).encode("latin-1"))
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode

        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info

        descriptor = font.desc
        descriptor.font_name = Name(fontname)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor

        # The codes fpdf2 gave the characters as the document was set, to the glyphs of the
        # font as made (not renumbered: nothing was taken out of it).
        cid_to_gid = bytearray(2 * 256 * 256)
        for glyph, code in font.subset.items():
            if glyph is not None:
                glyph_id = font.ttfont.getGlyphID(glyph.glyph_name)
                cid_to_gid[2 * code] = glyph_id >> 8
                cid_to_gid[2 * code + 1] = glyph_id & 0xFF
        cid_to_gid_map = PDFContentStream(contents=cid_to_gid, compress=True)
        self._add_pdf_obj(cid_to_gid_map, "fonts")
        cid_font.c_i_d_to_g_i_d_map = cid_to_gid_map

        font_file = PDFFontStream(contents=font.data)
        self._add_pdf_obj(font_file, "fonts")
        descriptor.font_file2 = font_file  # type: ignore[attr-defined]

        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        font.close()
        return composite


def _to_unicode(font: TTFFont) -> str:
    """The ToUnicode CMap, as fpdf2 writes it: each code to the text its glyph stands for."""
    entries = []
    for glyph, code in font.subset.items():
        if glyph is None or not isinstance(glyph.unicode, tuple) or not glyph.unicode:
            continue
        text = "".join(_utf16_hex(c) for c in glyph.unicode)
        entries.append(f"<{code:04X}> <{text}>\n")
    return (
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo\n"
        "<</Registry (Adobe)\n"
        "/Ordering (UCS)\n"
        "/Supplement 0\n"
        ">> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n"
        "<0000> <FFFF>\n"
        "endcodespacerange\n"
        f"{_build_cmap_blocks(entries, 'bfchar')}"
        "endcmap\n"
        "CMapName currentdict /CMap defineresource pop\n"
        "end\n"
        "end"
    )


def _utf16_hex(code: int) -> str:
    if code > 0xFFFF:  # a surrogate pair
        high = 0xD800 | (code - 0x10000) >> 10
        low = 0xDC00 | (code & 0x3FF)
        return f"{high:04X}{low:04X}"
    return f"{code:04X}"
