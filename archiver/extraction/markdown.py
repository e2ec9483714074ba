"""Markdown text normalisation: the one form used for version identity.

Two texts are the same version exactly when :func:`normalize_text` gives the same string. It only
touches what a reader cannot see or what says nothing: Unicode form (NFC), line endings, invisible
characters, space variants, ligatures, typographic apostrophes (written '), runs of spaces inside a
line, trailing spaces and runs of blank lines. It is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

from ..sametext import INVISIBLE, SPACE_LIKE

#: Ligatures PDFs use; a reader sees letters.
_LIGATURES = {
    ord("\ufb00"): "ff",
    ord("\ufb01"): "fi",
    ord("\ufb02"): "fl",
    ord("\ufb03"): "ffi",
    ord("\ufb04"): "ffl",
    ord("\ufb05"): "st",
    ord("\ufb06"): "st",
}
#: Apostrophes: a typographic one (’, U+2019; ʼ, U+02BC) says what the straight one says, and
#: sites switch between them when their editor changes, changing every line but not one word.
_APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u02bc"), "'")
_TABLE = {**INVISIBLE, **SPACE_LIKE, **_LIGATURES, **_APOSTROPHES}
#: _TABLE as (character, replacement) pairs for str.replace. ``str.translate`` looks every
#: character of a non-ASCII text up in the dict; a page holds two or three of these characters,
#: which ``in`` and ``replace`` find at memchr speed (3.0 -> 0.1 ms per 500 KB of HTML). Same
#: result as translate because no replacement holds a character of the table.
_REPLACEMENTS = tuple((chr(code), to or "") for code, to in _TABLE.items())

#: A word: a run of letters or digits; in Chinese and Japanese script, which has no spaces, each
#: ideograph or kana counts as one.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


#: Runs of two or more spaces after a visible character, as "(?<=\S) {2,}" finds them. Written to
#: start with the two spaces, which the engine searches for as a literal, the look-behind then
#: checking the character before them: "(?<=\S) {2,}" is tried at every position of the text
#: (0.86 -> 0.11 ms per 500 KB of HTML).
_INNER_SPACES = re.compile(r"  (?<=\S  ) *")
_BLANK_RUNS = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """The canonical form of policy text (Markdown or plain); idempotent."""
    text = unicodedata.normalize("NFC", text)
    for char, to in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, to)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    text = "\n".join([line.rstrip() for line in text.split("\n")])
    # one pass over the text rather than one per line: a run of spaces never spans a line, and
    # the look-behind sees the newline before a line as the start of the line
    text = _INNER_SPACES.sub(" ", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    text = text.strip("\n")
    return text + "\n" if text else ""


def collapse_spaces(text: str) -> str:
    """Whitespace runs to one space (HTML's inline whitespace rule), invisible characters removed."""
    return " ".join(text.translate(_TABLE).split())


_MD_LINE = re.compile(r"^(?:#{1,6} +|> ?|(?: {2,})?(?:[-+*]|\d{1,9}[.)]) +)")
_MD_INLINE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|\*(?=\S)(.+?)(?<=\S)\*|\[([^\]]*)\]\([^)]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])")


def markdown_to_plain(text: str) -> str:
    """Policy Markdown as plain text: markers, emphasis, link targets and table rules removed."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in ("---", "```") or re.fullmatch(r"\|(?: ?-{3,} ?\|)+", stripped):
            continue
        if stripped.startswith("<!-- page ") and stripped.endswith("-->"):
            out.append(stripped[5:-4].strip().capitalize())
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = _MD_LINE.sub("", line.lstrip(" "))
        if stripped.startswith("|") and stripped.endswith("|"):
            body = "\t".join(cell.strip() for cell in stripped.strip("|").split(" | "))
        body = _MD_INLINE.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or "", body)
        out.append(" " * indent + _MD_ESCAPE.sub(r"\1", body).replace("<br>", " "))
    return normalize_text("\n".join(out))
