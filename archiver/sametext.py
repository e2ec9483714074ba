"""When two policy texts count as the same: the same words in the same order.

Whitespace does not count (a paragraph break or a non-breaking space moved is no change), so
change-point discovery and versions agree on what a change is. One helper, shared by every caller
that asks "did the text change?".
"""

from __future__ import annotations

import hashlib
import sqlite3


def words(text: str) -> list[str]:
    """The text's words: runs of non-whitespace (``str.split`` also splits on no-break spaces)."""
    return text.split()


def text_key(text: str) -> str:
    """A short key equal for two texts exactly when :func:`same_text` holds."""
    return hashlib.sha256(" ".join(words(text)).encode("utf-8")).hexdigest()


def same_text(a: str, b: str) -> bool:
    """Whether two texts carry the same words in the same order, whatever the whitespace between."""
    return words(a) == words(b)


#: Characters that look like a space (no-break and other Unicode spaces, tabs): each becomes " ",
#: one character for one, so a translated text keeps every offset. ``str.split`` already splits on
#: them, so they never make two texts differ for :func:`same_text`; the diff (archiver/diffing)
#: compares them as spaces too, and normalize_text writes them as spaces.
SPACE_LIKE: dict[int, str] = dict.fromkeys(
    map(
        ord,
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
        "\u3000\t\x0b\x0c",
    ),
    " ",
)
#: Characters that render as nothing (zero-width spaces and joiners, marks, BOM, soft hyphen).
INVISIBLE: dict[int, None] = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)


def as_spaces(text: str) -> str:
    """``text`` with every space-like character a plain space; same length, same offsets."""
    return text.translate(SPACE_LIKE)


def record_words(conn: sqlite3.Connection, text_sha256: str, text: str) -> None:
    """Note the words key of a stored text (table ``text_words``), in the caller's transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO text_words(text_sha256, words_sha256) VALUES (?, ?)",
        (text_sha256, text_key(text)),
    )


def backfill_words(conn: sqlite3.Connection) -> None:
    """Note the words key of every text stored before the archive recorded them (once)."""
    for sha, text in conn.execute(
        "SELECT t.sha256, t.text FROM texts t LEFT JOIN text_words w ON w.text_sha256 = t.sha256"
        " WHERE w.text_sha256 IS NULL"
    ).fetchall():
        record_words(conn, sha, text)
