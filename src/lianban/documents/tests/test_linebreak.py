"""避头尾 line breaking, measured here in characters (every character one unit wide)."""

from lianban.documents.linebreak import NO_LINE_END, NO_LINE_START, break_lines, units


def lines(text: str, width: float, **kwargs: float) -> list[str]:
    return break_lines(text, width, len, **kwargs)


def test_text_that_fits_is_one_line():
    assert lines("收件回执", 10) == ["收件回执"]
    assert lines("", 10) == [""]


def test_closing_punctuation_never_begins_a_line():
    text = "一二三，四五六。七八九、十”"
    result = lines(text, 3)
    assert "".join(result) == text
    assert all(line[0] not in NO_LINE_START for line in result)
    assert result[:2] == ["一二", "三，四"]  # 三 goes down with its comma


def test_opening_punctuation_never_ends_a_line():
    text = "一二（三）四“五六”"
    result = lines(text, 3)
    assert "".join(result) == text
    assert all(line[-1] not in NO_LINE_END for line in result)


def test_numbers_and_codes_are_not_split():
    assert units("第000123号") == ["第", "000123", "号"]
    assert lines("编号ABC-123号", 8) == ["编号", "ABC-123号"]


def test_a_piece_longer_than_a_line_is_cut_between_characters():
    url = "https://lianban.example/v/" + "a" * 40
    result = lines(url, 20)
    assert "".join(result) == url
    assert all(len(line) <= 20 for line in result)


def test_first_line_indent():
    assert lines("一" * 10, 5, first_indent=2) == ["一一一", "一一一一一", "一一"]


def test_spaces_at_line_ends_are_dropped():
    assert lines("abc def ghi", 7) == ["abc def", "ghi"]
