"""Storing a capture: its raw body, its row, the ledger entry, where its date came from and its
extracted text, in the order that survives ``kill -9``, and reading an extraction back.

The body is written to ``blobs/`` (archiver/blobs.py) *before* the transaction that commits the row
naming it, and the ledger's journal is synced only *after* that commit, so a committed record always
has its bytes and the journal never holds an entry that was rolled back. Everything goes through
the Archive's ``query``/``transaction``, so its errors are translated as the rest of the store's are;
``Archive.add_capture`` and its neighbours stay as thin methods, used all over the project.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import TYPE_CHECKING

from . import blobs, capture_dates, ledger, recovery
from .blobs import sha256_hex
from .capture_dates import CaptureDate
from .errors import StorageError
from .index import fts
from .models import Capture, Extraction, Policy
from .sametext import record_words
from .timestamps import now_iso

if TYPE_CHECKING:  # storage imports this module: the Archive is only a type here
    from .storage import Archive


def add_capture(
    archive: Archive,
    policy: Policy,
    capture: Capture,
    body: bytes | None,
    extraction: Extraction | None,
    date: CaptureDate | None = None,
) -> tuple[Capture, bool]:
    """Store a capture with its raw body (or, text-only, its extraction). Returns (stored, created).

    The same bytes at the same time from the same archive are stored once: adding them again
    returns the existing record and ``created=False``.
    """
    if body is None and extraction is None:
        raise StorageError("a capture needs its raw bytes or, for text-only sources, its text")
    sha = sha256_hex(body) if body is not None else None
    capture = replace(
        capture,
        policy_id=policy.id,
        sha256=sha,
        size=len(body) if body is not None else capture.size,
        retrieved_at=capture.retrieved_at or now_iso(),
    )
    content_id = sha if sha is not None else "text:" + (extraction.text_sha256 if extraction else "")
    existing = _capture_id(
        archive, policy.id, capture.archive, capture.timestamp, capture.original_url, content_id
    )
    if body is not None and sha is not None:
        blobs.put_blob(archive.root, sha, body)  # also restores the file of a capture already stored
    if existing is not None:
        return archive.capture(existing), False
    with archive.transaction() as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO captures(policy_id, source, archive, timestamp, original_url,"
            " memento_url, retrieved_at, http_status, headers, content_type, size, sha256, redirects,"
            " provenance, flags, content_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                policy.id,
                str(capture.source),
                capture.archive,
                capture.timestamp,
                capture.original_url,
                capture.memento_url,
                capture.retrieved_at,
                capture.http_status,
                json.dumps([list(h) for h in capture.headers]),
                capture.content_type,
                capture.size,
                sha,
                json.dumps(list(capture.redirects)),
                capture.provenance,
                json.dumps(list(capture.flags)),
                content_id,
            ),
        )
        created = cur.rowcount == 1
        if created and cur.lastrowid is not None:
            ledger.append(conn, cur.lastrowid, now_iso())
            if date is not None:  # where the capture time came from (capture_dates.py)
                capture_dates.record(conn, cur.lastrowid, date)
            if extraction is not None:
                put_extraction(conn, cur.lastrowid, extraction)
    if created:
        # after the commit: the journal never holds an uncommitted entry
        archive._journals(recovery.sync_journal)
    stored = _capture_id(
        archive, policy.id, capture.archive, capture.timestamp, capture.original_url, content_id
    )
    assert stored is not None
    return archive.capture(stored), created


def _capture_id(
    archive: Archive, policy_id: int, source_archive: str, timestamp: str, url: str, content_id: str
) -> int | None:
    rows = archive.query(
        "SELECT id FROM captures WHERE policy_id=? AND archive=? AND timestamp=? AND original_url=?"
        " AND content_id=?",
        (policy_id, source_archive, timestamp, url, content_id),
    )
    return int(rows[0]["id"]) if rows else None


def has_capture(
    archive: Archive, policy_id: int, source_archive: str, timestamp: str, original_url: str
) -> bool:
    """Whether this listed capture is stored. An archived redirect kept as evidence does not
    count: it stands for the capture only once its target is stored too (the job's record)."""
    rows = archive.query(
        "SELECT 1 FROM captures WHERE policy_id=? AND archive=? AND timestamp=? AND original_url=?"
        " AND flags NOT LIKE '%\"archived-redirect\"%'"
        # a corpus text without the memento's raw bytes does not count: fetching attaches them
        " AND (sha256 IS NOT NULL OR source != 'pllc' OR id IN (SELECT capture_id FROM attached_bodies))"
        " LIMIT 1",
        (policy_id, source_archive, timestamp, original_url),
    )
    return bool(rows)


def put_extraction(conn: sqlite3.Connection, capture_id: int, ex: Extraction) -> None:
    """Store a capture's extracted text on ``conn``, inside the caller's transaction."""
    conn.execute("INSERT OR IGNORE INTO texts(sha256, text) VALUES (?, ?)", (ex.text_sha256, ex.text))
    record_words(conn, ex.text_sha256, ex.text)  # a version is a change of words (sametext)
    fts.index_text(conn, ex.text_sha256, ex.text)  # searchable as soon as stored, same transaction
    conn.execute(
        "INSERT OR REPLACE INTO extractions(capture_id, text_sha256, extractor_version, words, title,"
        " language, charset, charset_rule, charset_confidence, stated_date, flags)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            capture_id,
            ex.text_sha256,
            ex.extractor_version,
            ex.words,
            ex.title,
            ex.language,
            ex.charset,
            ex.charset_rule,
            ex.charset_confidence,
            ex.stated_date,
            json.dumps(list(ex.flags)),
        ),
    )
    if ex.fingerprint:
        conn.execute(
            "INSERT OR REPLACE INTO extraction_fingerprints(capture_id, fingerprint) VALUES (?, ?)",
            (capture_id, ex.fingerprint),
        )
    else:
        conn.execute("DELETE FROM extraction_fingerprints WHERE capture_id = ?", (capture_id,))


def read_extraction(archive: Archive, capture_id: int) -> Extraction | None:
    """A capture's extracted text with what is known of it, or None if it has none."""
    rows = archive.query(
        "SELECT e.*, t.text, f.fingerprint FROM extractions e JOIN texts t ON t.sha256 = e.text_sha256"
        " LEFT JOIN extraction_fingerprints f ON f.capture_id = e.capture_id WHERE e.capture_id = ?",
        (capture_id,),
    )
    if not rows:
        return None
    r = rows[0]
    return Extraction(
        text=r["text"],
        text_sha256=r["text_sha256"],
        extractor_version=r["extractor_version"],
        words=r["words"],
        title=r["title"],
        language=r["language"],
        charset=r["charset"],
        charset_rule=r["charset_rule"],
        charset_confidence=r["charset_confidence"],
        stated_date=r["stated_date"],
        flags=tuple(json.loads(r["flags"])),
        fingerprint=r["fingerprint"] or "",
    )
