"""Markdown read as prose: where a pane's text has headings, emphasis, links, code, lists and tables,
and which markup characters to hide (no Qt).

The panes keep the text exactly as laid out, character for character, so word highlights, find,
copy and line numbers keep their offsets: markup characters are not removed but drawn with no width
(``HIDE``), a few are drawn as another single character (a list's ``-`` as a bullet, a table's ``|`` as
a thin rule), and the rest get a style. Only lines that start a source line (not wrapped continuations)
can be headings, list items, quotes or table rows.
"""

from __future__ import annotations

import re
from collections.abc import Collection

HIDE, BOLD, ITALIC, HEADING, CODE, LINK, MUTED = "hide", "bold", "italic", "heading", "code", "link", "muted"

# line patterns: tried with .match at the start of each source line only
_HEADING = re.compile(r"(#{1,6}[ \t]+)(\S[^\n]*?)(?:[ \t]+#+)?[ \t]*$", re.M)
_BULLET = re.compile(r"([ \t]*)([-*+])[ \t]")
_QUOTE = re.compile(r"(?:>[ \t]?)+")
_RULE = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_TABLE_SEP = re.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)+\|?[ \t]*$", re.M)
_TABLE_ROW = re.compile(r"[ \t]*\|[^\n]*")
# inline patterns: each starts with its literal markup, so the search skips ahead fast
_STRONG = re.compile(r"(\*\*|__)(?=\S)((?:[^*_\n]|[*_](?![*_])|\n(?!\n)){1,2000}?)(?<=\S)\1")
_EMPHASIS = re.compile(r"([*_])(?=[^\s*_])([^*_\n]{1,500}?)(?<=[^\s*_])\1(?![\w*_])")
_CODE = re.compile(r"(`+)([^`\n]+?)\1")
_LINK = re.compile(r"(!?\[)([^\]\n]+(?:\n[^\]\n]+)*)(\]\([^)\s]*(?:\n[^)\s]*)*(?:[ \t]+\"[^\"\n]*\")?\))")
_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!|>])")
_WORDLIKE = re.compile(r"[\w*_]")
_LINE_MARKS = frozenset("#>|-*+_ \t:")

Range = tuple[int, int, str]


def prose(text: str, line_starts: Collection[int]) -> tuple[str, list[Range]]:
    """``text`` with single-character substitutions (same length), and the styled ranges
    ``(start, end, style)`` over it. ``line_starts``: offsets of the lines that begin a source line."""
    ranges: list[Range] = []
    swaps: list[tuple[int, str]] = []  # (offset, the character drawn there instead)
    put = swaps.append
    ordered = sorted(line_starts)
    for n, pos in enumerate(ordered):
        first = text[pos : pos + 1]
        if first not in _LINE_MARKS:  # most lines: running text
            continue
        if first == "#" and (m := _HEADING.match(text, pos)):
            ranges.append((m.start(1), m.end(1), HIDE))
            ranges.append((m.start(2), m.end(2), HEADING))
        elif first == ">" and (m := _QUOTE.match(text, pos)):
            ranges.append((m.start(), m.end(), MUTED))
        elif (m := _TABLE_SEP.match(text, pos)) or (m := _RULE.match(text, pos)):
            ranges.append((m.start(), m.end(), MUTED))
        elif _TABLE_ROW.match(text, pos):
            # the row, with the continuation lines it was wrapped into
            line = text[pos : ordered[n + 1] if n + 1 < len(ordered) else len(text)]
            for k, c in enumerate(line):
                if c == "|" and (k == 0 or line[k - 1] != "\\"):
                    put((pos + k, "│"))
                    ranges.append((pos + k, pos + k + 1, MUTED))
        elif m := _BULLET.match(text, pos):
            put((m.start(2), "•"))
    for m in _STRONG.finditer(text):
        ranges.append((m.start(1), m.end(1), HIDE))
        ranges.append((m.start(2), m.end(2), BOLD))
        ranges.append((m.end(2), m.end(), HIDE))
    for m in _EMPHASIS.finditer(text):
        if m.start() and _WORDLIKE.match(text, m.start() - 1):  # snake_case, a**b: not emphasis
            continue
        ranges.append((m.start(), m.start() + 1, HIDE))
        ranges.append((m.start(2), m.end(2), ITALIC))
        ranges.append((m.end() - 1, m.end(), HIDE))
    for m in _CODE.finditer(text) if "`" in text else ():
        ranges.append((m.start(1), m.end(1), HIDE))
        ranges.append((m.start(2), m.end(2), CODE))
        ranges.append((m.end(2), m.end(), HIDE))
    for m in _LINK.finditer(text) if "](" in text else ():
        ranges.append((m.start(1), m.end(1), HIDE))
        ranges.append((m.start(2), m.end(2), LINK))
        ranges.append((m.start(3), m.end(3), HIDE))
    for m in _ESCAPE.finditer(text) if "\\" in text else ():
        ranges.append((m.start(), m.end(), HIDE))
    if swaps:
        swaps.sort()
        parts, last = [], 0
        for pos, char in swaps:
            parts.append(text[last:pos])
            parts.append(char)
            last = pos + 1
        parts.append(text[last:])
        text = "".join(parts)
    return text, ranges
