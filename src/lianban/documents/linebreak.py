"""Breaking Chinese text into lines by measured width, with the 避头尾 rules of Chinese
typesetting (GB/T 15834, and every printed 公文): closing punctuation never begins a line and
opening punctuation never ends one.

Pure functions over a ``measure`` callable, so the rules are tested without a PDF.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Must not begin a line: they stick to the character before them.
NO_LINE_START = frozenset("，。、；：？！）」』】》〉〕”’…—·%‰,.;:?!)]}")
# Must not end a line: they stick to the character after them.
NO_LINE_END = frozenset("（「『【《〈〔“‘([{")

# A run of Latin letters, digits and ASCII punctuation (a number, a code, a URL) moves as one
# unit, like a word; every other character, and each CJK character, is a unit of its own.
_UNIT = re.compile(r"[!-~]+|\s+|.", re.DOTALL)

Measure = Callable[[str], float]


def units(text: str) -> list[str]:
    """The unbreakable pieces of ``text``, punctuation already glued to its neighbour."""
    pieces: list[str] = []
    carry = ""
    for piece in _UNIT.findall(text):
        if pieces and not carry and piece[0] in NO_LINE_START:
            pieces[-1] += piece
        elif piece in NO_LINE_END:
            carry += piece
        else:
            pieces.append(carry + piece)
            carry = ""
    if carry:
        if pieces:
            pieces[-1] += carry
        else:
            pieces.append(carry)
    return pieces


def break_lines(text: str, width: float, measure: Measure, *, first_indent: float = 0) -> list[str]:
    """``text`` cut into lines no wider than ``width`` (the first ``first_indent`` narrower).

    A piece wider than a whole line (a long URL) is cut between characters. Spaces at the
    ends of lines are dropped. An empty text is one empty line."""
    lines: list[str] = []
    line = ""
    for piece in units(text):
        room = width - (first_indent if not lines else 0)
        candidate = line + piece
        if measure(candidate.rstrip()) <= room or not line.strip():
            line = candidate
        else:
            lines.append(line.rstrip())
            line = piece.lstrip()
            room = width
        # A piece that alone overflows its line is cut between characters.
        while measure(line.rstrip()) > room and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and measure(line[:cut]) > room:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
            room = width
    lines.append(line.rstrip())
    return lines
