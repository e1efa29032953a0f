"""Finding the embedded fonts by their files, and the error when they are missing."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from lianban.documents import fonts


@pytest.fixture
def no_cache() -> Iterator[None]:
    fonts.find_font.cache_clear()
    yield
    fonts.find_font.cache_clear()


def test_the_simplified_chinese_face_is_found_in_its_collection():
    found = fonts.find_font(fonts.SERIF)
    assert found.path.suffix in {".ttc", ".otf"}
    assert fonts._faces(found.path)[found.index] == fonts.SERIF


def test_missing_fonts_name_the_package_to_install(
    no_cache: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "NotoSerifCJK-Regular.ttc").write_bytes(b"not a font")  # unreadable: skipped
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path, tmp_path / "absent"))
    with pytest.raises(fonts.FontMissing, match="请安装 Debian 软件包 fonts-noto-cjk"):
        fonts.find_font(fonts.SERIF)
