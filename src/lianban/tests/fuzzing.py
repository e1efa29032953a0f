"""Shared pieces of the property-based tests of the HTML forms: what people may type (and
what a hand-made request may carry), how the examples run, and how a page's error messages
are read back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from lianban.common.identity import credit_code_check_char, resident_id_check_char

# The same examples on every run, so a red build means a change broke something; few enough
# that the forms and the pages together stay well under a minute.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
PAGES = settings(FUZZ, max_examples=30)

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def chinese(message: str) -> bool:
    return bool(CJK.search(message))


# Every code point but lone surrogates, which no browser sends and Django cannot decode.
characters = st.characters(exclude_categories=("Cs",))
WHITESPACE = [" ", "\t", "\n", "\r\n", "\u3000", "\xa0", "\u200b", "\x0b", "\x1f"]


@st.composite
def resident_ids(draw: Any) -> str:
    """A resident identity number that passes GB 11643, birth date and all."""
    area = draw(st.sampled_from(["110105", "410702", "440305", "650102"]))
    year = draw(st.integers(1900, 2020))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    seq = draw(st.integers(0, 999))
    first17 = f"{area}{year:04d}{month:02d}{day:02d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


@st.composite
def credit_codes(draw: Any) -> str:
    """A unified social credit code with the right GB 32100 check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    head = draw(st.sampled_from(["91", "92", "12", "51"]))
    area = draw(st.sampled_from(["410702", "110105", "440305"]))
    body = draw(st.text(alphabet=alphabet, min_size=9, max_size=9))
    first17 = head + area + body
    return first17 + credit_code_check_char(first17)


phones = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


def _near_miss(valid: str) -> st.SearchStrategy[str]:
    """A valid value changed a little: one character replaced, cut, doubled or padded."""
    return st.one_of(
        st.builds(
            lambda i, c: valid[: i % len(valid)] + c + valid[i % len(valid) + 1 :],
            st.integers(0, 40),
            characters,
        ),
        st.integers(0, len(valid)).map(lambda n: valid[:n]),
        st.just(valid + valid[-1]),
        st.just(valid.lower()),
        st.just(f" {valid[:6]} {valid[6:]} "),
    )


# Ordinary text with one invisible character slipped in: a NUL (which PostgreSQL cannot
# store), another control character, a zero-width or a direction mark.
tainted = st.builds(
    lambda text, mark, at: text[: at % (len(text) + 1)] + mark + text[at % (len(text) + 1) :],
    st.text(st.sampled_from("办理理由说明abc 123"), min_size=1, max_size=12),
    st.sampled_from(["\x00", "\x00\x00", "\x01", "\x7f", "\u200b", "\ufeff", "\u202e"]),
    st.integers(0, 12),
)

junk_text = st.one_of(
    tainted,
    st.text(characters, max_size=40),
    st.text(characters, min_size=1, max_size=3).flatmap(
        lambda s: st.integers(100, 6000).map(lambda n: (s * n)[:n])
    ),
    st.sampled_from(WHITESPACE).flatmap(lambda w: st.integers(1, 5).map(lambda n: w * n)),
    st.text(st.sampled_from(["\x00", "a", "中", " "]), min_size=1, max_size=8),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "2026-02-30",
            "2026-13-01",
            "0000-01-01",
            "9999-12-31",
            "2026/01/31",
            "31.01.2026",
            "２０２６-01-31",
            "20260131",
            "2026-W01-1",
            "-1",
            "1e999",
            "NaN",
            "１２３",
            "١٢٣",
            "12.345",
            "0x10",
            "1_000",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "{{ 7*7 }}",
            "%s%s%n",
            "null",
            "None",
            "true",
        ]
    ),
    resident_ids().flatmap(_near_miss),
    credit_codes().flatmap(_near_miss),
    phones.flatmap(_near_miss),
)

# What a request may carry for one key: one value, several, or none at all.
posted_values = st.one_of(
    junk_text.map(lambda s: [s]),
    st.lists(junk_text, min_size=0, max_size=3),
)
# What a hand-made dict may carry: also values no browser sends.
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
extra_keys = st.dictionaries(
    st.text(characters, min_size=1, max_size=12), st.lists(junk_text, max_size=2), max_size=3
)


class _Alerts(HTMLParser):
    """The text of every element a page marks as an alert (role="alert"): where each page
    shows what was refused and why."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.current: list[str] = []

    VOID = frozenset({"br", "input", "img", "hr", "meta", "link", "source", "col", "wbr"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        alert = dict(attrs).get("role") == "alert"
        self.stack.append((tag, alert))
        if alert:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        # An element left open (a <p> or <li> without its end tag) closes with its parent.
        if tag in self.VOID or all(t != tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, alert = self.stack.pop()
            if alert:
                self.depth -= 1
                if self.depth == 0:
                    self.texts.append("".join(self.current).strip())
                    self.current = []
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.current.append(data)


def alerts(html: str) -> list[str]:
    parser = _Alerts()
    parser.feed(html)
    parser.close()
    return parser.texts


def assert_refused_in_chinese(response: Any) -> list[str]:
    """The page came back (no error page, no redirect) with at least one alert, and every
    alert speaks Chinese."""
    assert response.status_code in {200, 400, 403, 409}, response.status_code
    assert response["Content-Type"].startswith("text/html")
    found = alerts(response.content.decode())
    assert found, "the page was refused without saying why"
    for text in found:
        assert chinese(text), f"an error message without Chinese: {text!r}"
    return found
