""""Same words": the one notion of when two policy texts are the same version.

Two texts carry the same words when they differ only in layout: whitespace, line and paragraph
breaks, and characters that look like a space or like nothing (no-break and other Unicode spaces,
zero-width spaces and joiners, the BOM, soft hyphens). Anything a reader can read — a letter, a
digit, punctuation, a Markdown marker — counts. Version identity (``Archive.versions``), the
policy counts and change-point discovery all use this module, so they never disagree.

``SPACE_LIKE`` maps each space-like character to one space, one for one, so that a translated
text keeps every offset (the diff uses it to treat them as spaces while showing the text as is).
"""

from __future__ import annotations

import hashlib

#: Characters that look like a space: each becomes " " (one character for one).
SPACE_LIKE: dict[int, str] = dict.fromkeys(
    map(
        ord,
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
        "\u3000\t\x0b\x0c",
    ),
    " ",
)
#: Characters that render as nothing (zero-width spaces and joiners, marks, BOM, soft hyphen).
INVISIBLE: dict[int, None] = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None
)
_LAYOUT: dict[int, str | None] = {**SPACE_LIKE, **INVISIBLE}


def as_spaces(text: str) -> str:
    """``text`` with every space-like character a plain space; same length, same offsets."""
    return text.translate(SPACE_LIKE)


def words_key(text: str) -> str:
    """The words of ``text`` without its layout: one space between words, nothing invisible."""
    return " ".join(text.translate(_LAYOUT).split())


def same_words(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ at most in layout (whitespace, breaks, space-like characters)."""
    return a == b or words_key(a) == words_key(b)


def words_sha256(text: str) -> str:
    """sha256 of :func:`words_key`: texts with the same words have the same one."""
    return hashlib.sha256(words_key(text).encode("utf-8")).hexdigest()
