"""Fast document fonts: the common characters of each face, prepared once per machine.

A Noto CJK face holds 65,000 CFF glyphs; opening it and subsetting it for one page costs fpdf2
about half a second per face, so three faces made a document take 1.7 s. Two steps bring that
down to a few tens of milliseconds:

1. Once per machine, each face is cut down to the characters of GBK (every Chinese character in
   ordinary use, including the rarer ones in people's names) plus Latin, punctuation and
   full-width forms, and its outlines are converted from cubic CFF to quadratic TrueType
   (``glyf``), which fontTools subsets without running charstrings. The result is written to
   ``LIANBAN_DATA_DIR/fonts``, keyed by the source file and a version, and reused by every
   process; it takes about a minute and is done by ``lianban prepare_fonts`` (``make run``
   runs it) or by the first document that needs it.
2. Once per process, each prepared face is opened; each document then gets a small font made
   of just the glyphs it uses (:func:`document_font`), which fpdf2 reads at once and
   :mod:`.fontembed` embeds as it is.

A document with a character outside the prepared set (a rare character in a name, say) is set
in the full faces instead: slower, never wrong.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

from .fonts import FontFile, find_font

VERSION = "1"  # bump when the character set or the conversion changes


@cache
def common_characters() -> frozenset[int]:
    """The code points the prepared faces cover."""
    chars: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    for start, end in (
        (0x2000, 0x2070),  # general punctuation: — ‘ ’ “ ” …
        (0x2100, 0x2190),  # letterlike symbols, Roman numerals
        (0x2190, 0x2200),  # arrows
        (0x2460, 0x24FF),  # ①②③
        (0x2500, 0x2600),  # box drawing, geometric shapes ○ ● □ ■
        (0x3000, 0x3040),  # CJK symbols and punctuation: 、。〔〕《》「」
        (0xFF00, 0xFFF0),  # full-width forms: ，：；（）
    ):
        chars.update(range(start, end))
    # GBK's two-byte area: GB 2312 and the characters GBK adds to it.
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                text = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
            chars.update(ord(c) for c in text)
    return frozenset(chars)


def cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "fonts"


def prepared_path(source: FontFile) -> Path:
    stat = source.path.stat()
    key = f"{VERSION}:{source.path}:{source.index}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / f"{source.path.stem}-{source.index}-{digest}.ttf"


def prepare(postscript_name: str) -> Path:
    """The prepared face for ``postscript_name``, made now if this machine has none yet."""
    source = find_font(postscript_name)
    target = prepared_path(source)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    font = TTFont(source.path, fontNumber=source.index, recalcTimestamp=False)
    options = subset.Options()
    options.desubroutinize = True
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    # Vertical metrics and layout tables are for shaping, which documents do not use.
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=common_characters())
    subsetter.subset(font)
    _to_truetype(font)
    # Written beside its final name and renamed: a process that reads it concurrently sees
    # either no file or a whole one.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    os.chmod(temporary, 0o644)
    try:
        font.save(temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def _to_truetype(font: TTFont) -> None:
    """Replace the font's CFF outlines by quadratic ``glyf`` outlines (error ≤ 1 unit)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf: Any = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp: Any = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post: Any = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    font.sfntVersion = "\x00\x01\x00\x00"


@dataclass(frozen=True)
class _Face:
    """A prepared face, opened once per process and never changed."""

    font: TTFont
    cmap: dict[int, str]
    # Each glyph's compiled bytes, kept once read: reading a glyph out of the lazily opened
    # face costs more than the rest of building a document's font.
    glyphs: dict[str, bytes] = field(default_factory=dict)

    def glyph_bytes(self, name: str) -> bytes:
        found = self.glyphs.get(name)
        if found is None:
            found = self.glyphs[name] = _glyph_bytes(self.font["glyf"], name)
        return found


@cache
def _face(path: str) -> _Face:
    font = TTFont(path, recalcTimestamp=False, lazy=True)
    return _Face(font=font, cmap=dict(font.getBestCmap()))


def face_covers(path: str, texts: Iterable[str]) -> bool:
    cmap = _face(path).cmap
    return all(ord(c) in cmap for text in texts for c in text if not c.isspace())


def document_font(path: str, characters: Iterable[int]) -> bytes:
    """A TrueType font with only ``characters`` of the prepared face at ``path``.

    Built from the process's open face in a few milliseconds: only the glyphs a document uses
    are copied, so fpdf2 reads a font of a few hundred glyphs, not 22,000. The
    same characters make the same bytes, so a font is kept once made: documents of a kind
    share their titles' and headings' characters."""
    return _document_font(path, frozenset(characters))


# A body face's font is mostly the document's own (up to some 100 kB); the bold faces' recur.
@lru_cache(maxsize=64)
def _document_font(path: str, characters: frozenset[int]) -> bytes:
    face = _face(path)
    source = face.font
    cmap = {c: face.cmap[c] for c in sorted(characters) if c in face.cmap}
    names = [".notdef", *sorted(set(cmap.values()) - {".notdef"})]
    # The glyphs are copied as their compiled bytes, never expanded: the bounding boxes and
    # maxima are taken from the whole face (valid for any part of it) instead of recomputed.
    metrics = source["hmtx"].metrics
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.font.recalcBBoxes = False
    builder.font.recalcTimestamp = False  # the same document renders to the same bytes
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap(cmap)
    # (setupGlyf would expand every glyph to check it.)
    table: Any = newTable("glyf")
    table.glyphOrder = names
    table.glyphs = {name: Glyph(face.glyph_bytes(name)) for name in names}
    builder.font["glyf"] = table
    builder.font["loca"] = newTable("loca")
    builder.setupHorizontalMetrics({name: metrics[name] for name in names})
    hhea = source["hhea"]
    builder.setupHorizontalHeader(
        ascent=hhea.ascent,
        descent=hhea.descent,
        lineGap=hhea.lineGap,
        advanceWidthMax=hhea.advanceWidthMax,
        minLeftSideBearing=hhea.minLeftSideBearing,
        minRightSideBearing=hhea.minRightSideBearing,
        xMaxExtent=hhea.xMaxExtent,
    )
    head = source["head"]
    for attribute in ("xMin", "yMin", "xMax", "yMax", "created", "modified"):
        setattr(builder.font["head"], attribute, getattr(head, attribute))
    maxp = source["maxp"]
    builder.setupMaxp()
    for attribute in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours"):
        setattr(builder.font["maxp"], attribute, getattr(maxp, attribute))
    names_table = source["name"]
    builder.setupNameTable(
        {
            "familyName": str(names_table.getDebugName(1)),
            "styleName": str(names_table.getDebugName(2)),
            "fullName": str(names_table.getDebugName(4)),
            "psName": str(names_table.getDebugName(6)),
        }
    )
    os2 = source["OS/2"]
    builder.setupOS2(
        usWeightClass=os2.usWeightClass,
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        sxHeight=os2.sxHeight,
        sCapHeight=os2.sCapHeight,
        yStrikeoutSize=os2.yStrikeoutSize,
        yStrikeoutPosition=os2.yStrikeoutPosition,
        fsType=os2.fsType,
    )
    post = source["post"]
    builder.setupPost(
        underlinePosition=post.underlinePosition, underlineThickness=post.underlineThickness
    )
    out = io.BytesIO()
    # fpdf2 reads the tables, not their order in the file: no second pass to reorder them.
    builder.font.save(out, reorderTables=False)
    return out.getvalue()


def _glyph_bytes(glyf: Any, name: str) -> bytes:
    glyph = glyf.glyphs[name]
    # A glyph still compact is copied as it is; an empty one (the space) or one that was
    # expanded is compiled.
    return bytes(glyph.data) if hasattr(glyph, "data") else bytes(glyph.compile(glyf))


def install(pdf: Any, family: str, style: str, data: bytes) -> None:
    """Give ``pdf`` a font from bytes, as ``add_font`` would from a file; rendered with
    :class:`~lianban.documents.fontembed.DocumentOutput`, the bytes are embedded as they are."""
    from .fontembed import PreparedFont

    key = f"{family}{style}"
    pdf.fonts[key] = PreparedFont(pdf, data, key, style)
