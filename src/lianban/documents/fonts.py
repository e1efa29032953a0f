"""The Chinese fonts that documents embed, found by their files' known places.

Documents use Noto Serif CJK SC (a 宋体 for the body, and in bold for the red title) and Noto
Sans CJK SC Bold (a 黑体 for headings), from Debian's ``fonts-noto-cjk`` package. They are
looked up in the directories where distributions install them, not through fontconfig or a
setting, so that a document looks the same on every machine that has the package — and a
machine without it gets a clear error instead of a document in some other font.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError

PACKAGE = "fonts-noto-cjk"

# Debian and Ubuntu first; then Arch, Fedora and Alpine, so a developer elsewhere is served too.
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-serif-cjk-fonts"),
    Path("/usr/share/fonts/google-noto-sans-cjk-fonts"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/share/fonts/noto"),
)

SERIF = "NotoSerifCJKsc-Regular"
SERIF_BOLD = "NotoSerifCJKsc-Bold"
SANS_BOLD = "NotoSansCJKsc-Bold"


class FontMissing(RuntimeError):
    """A font that documents need is not installed."""


@dataclass(frozen=True)
class FontFile:
    path: Path
    # The face's number inside a .ttc collection (0 in a single-font file). Noto ships the
    # Japanese, Korean and both Chinese faces in one collection, in an order that is not
    # promised, so the face is found by its PostScript name rather than by number.
    index: int


def _faces(path: Path) -> list[str]:
    """The PostScript names of the faces in a font file, in order."""
    try:
        # Only the name tables are read, while the file is open.
        with path.open("rb") as file:
            if path.suffix.lower() == ".ttc":
                fonts = TTCollection(file, lazy=True).fonts
            else:
                fonts = [TTFont(file, lazy=True)]
            return [str(font["name"].getDebugName(6)) for font in fonts]
    except (OSError, TTLibError, KeyError):
        return []


@cache
def find_font(postscript_name: str) -> FontFile:
    """The file and face of the font ``postscript_name`` (e.g. ``NotoSerifCJKsc-Regular``).

    Raises :class:`FontMissing`, in Chinese and naming the package to install, when no known
    directory holds it."""
    for directory in FONT_DIRS:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            # Only the CJK files are opened: a directory of all Noto fonts holds hundreds.
            if "cjk" not in path.name.lower() or path.suffix.lower() not in {".ttc", ".otf"}:
                continue
            names = _faces(path)
            if postscript_name in names:
                return FontFile(path, names.index(postscript_name))
    searched = "、".join(str(d) for d in FONT_DIRS)
    raise FontMissing(
        f"找不到生成文书所需的中文字体 {postscript_name}（已查找：{searched}）。"
        f"请安装 Debian 软件包 {PACKAGE}：以 root 运行 apt-get install -y {PACKAGE}，"
        "或运行 ./scripts/ensure-browser。"
    )
