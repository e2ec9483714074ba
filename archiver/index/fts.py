"""The full-text index of every paragraph of every stored text (SQLite FTS5, in the archive file).

Indexed by distinct text, then by distinct paragraph: a text (``texts.sha256``, numbered in
``search_texts``) is split into the diff engine's blocks; each distinct paragraph body is stored once
in ``search_fts`` (its rowid is ``search_paragraphs.id``, found by the body's sha256), and its
*postings* say which texts hold it at which block index (int32 pairs, appended as texts come: a
search reads one row per matching paragraph, not one per text holding it). Twenty versions of a
policy that share most paragraphs cost little more than one.

Crash safety: a text's new paragraphs, its postings and its row in ``search_texts`` (the mark "this
text is indexed") are written in one transaction, the same one that stores the text when a capture
is stored (:func:`index_text`, called by ``capturing.put_extraction``). A ``kill -9`` while the index
is caught up or rebuilt (``archiver.index.search.update_index``) loses at most the batch of texts
being indexed, which stay unmarked and are indexed by the next catch-up (``reextract`` and every
search run one).
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from array import array
from collections.abc import Iterator

#: The full-text table, as schema migration 3 creates it (folds case and diacritics).
CREATE_FTS = "CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
_CHUNK = 500  # digests looked up per query (SQLite allows 32766 parameters; a policy has ~100-2000)
#: Texts indexed per transaction while catching up (a kill -9 loses at most one batch of work).
BATCH_TEXTS = 20


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """``(block index, body)`` of each non-blank block of ``text``, as the diff engine splits it."""
    # imported here: opening an archive (the app's start-up) does not load the diff engine
    from ..diffing.blocks import split_blocks
    from ..diffing.model import BlockKind

    for block in split_blocks(text):
        if block.kind is not BlockKind.BLANK:
            body = block.text.rstrip()
            if body:
                yield block.index, body


def index_text(conn: sqlite3.Connection, text_sha256: str, text: str) -> bool:
    """Index one text inside the caller's transaction; False when it was indexed already."""
    if conn.execute("SELECT 1 FROM search_texts WHERE text_sha256 = ?", (text_sha256,)).fetchone():
        return False
    text_id = conn.execute("INSERT INTO search_texts(text_sha256) VALUES (?)", (text_sha256,)).lastrowid
    assert text_id is not None
    postings: dict[bytes, array[int]] = {}  # paragraph digest -> (text id, block) pairs of this text
    bodies: dict[bytes, str] = {}
    for block, body in paragraphs(text):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        postings.setdefault(digest, array("i")).extend((text_id, block))
        bodies[digest] = body
    digests = list(postings)
    known: dict[bytes, int] = {}
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT digest, id FROM search_paragraphs WHERE digest IN ({marks})"  # noqa: S608
        known.update(conn.execute(sql, chunk).fetchall())
    conn.executemany(
        "UPDATE search_paragraphs SET postings = CAST(postings || ? AS BLOB) WHERE id = ?",  # || gives text
        [(_pack(postings[d]), known[d]) for d in digests if d in known],
    )
    for digest in digests:
        if digest not in known:  # a paragraph no text had before: into the full-text index
            cur = conn.execute(
                "INSERT INTO search_paragraphs(digest, postings) VALUES (?, ?)",
                (digest, _pack(postings[digest])),
            )
            conn.execute("INSERT INTO search_fts(rowid, body) VALUES (?, ?)", (cur.lastrowid, bodies[digest]))
    return True


def _pack(pairs: array[int]) -> bytes:
    if sys.byteorder != "little":
        pairs = array("i", pairs)
        pairs.byteswap()
    return pairs.tobytes()


def unpack(postings: bytes) -> array[int]:
    """A paragraph's postings: text id, block, text id, block, … (little-endian int32 pairs)."""
    pairs = array("i", postings)
    if sys.byteorder != "little":
        pairs.byteswap()
    return pairs


#: Texts that versions use and the index does not hold yet (an archive made before the index, or a
#: catch-up that was interrupted).
MISSING_SQL = (
    "SELECT e.text_sha256 FROM extractions e"
    " WHERE NOT EXISTS (SELECT 1 FROM search_texts s WHERE s.text_sha256 = e.text_sha256)"
    " GROUP BY e.text_sha256 ORDER BY MIN(e.capture_id)"  # in the order they were stored
)


def healthy(conn: sqlite3.Connection) -> bool:
    """FTS5's own integrity check of the index against its tables."""
    try:
        conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError:
        return False
    return True


def clear(conn: sqlite3.Connection) -> None:
    """Empty the index (inside the caller's transaction), so the next catch-up rebuilds it whole.
    The FTS5 table is made anew: deleting from a damaged one could not undo what it holds."""
    for table in ("search_texts", "search_paragraphs"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
    conn.execute("DROP TABLE search_fts")
    conn.execute(CREATE_FTS)
