"""The archive's SQLite schema: its tables, the migrations that build them, and rows -> records.

A schema change is a new entry in MIGRATIONS (never an edit of an old one), so an archive written
by any earlier version opens and is brought up to date.
"""

from __future__ import annotations

import json
import sqlite3

from .models import Capture, ExtractionRule, Policy, Source

DB_NAME = "archive.sqlite3"
SCHEMA_VERSION = 7

#: MIGRATIONS[n] takes a database from schema n to n + 1. The ledger (archiver/ledger.py) keeps each
#: capture's whole row: a migration that adds a column to ``captures`` must also teach
#: ``ledger.check`` that entries written before it lack that key, or every capture looks altered.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE policies (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        rules TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    );
    CREATE TABLE captures (
        id INTEGER PRIMARY KEY,
        policy_id INTEGER NOT NULL REFERENCES policies(id),
        source TEXT NOT NULL,
        archive TEXT NOT NULL DEFAULT '',
        timestamp TEXT NOT NULL,
        original_url TEXT NOT NULL,
        memento_url TEXT NOT NULL DEFAULT '',
        retrieved_at TEXT NOT NULL,
        http_status INTEGER,
        headers TEXT NOT NULL DEFAULT '[]',
        content_type TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        redirects TEXT NOT NULL DEFAULT '[]',
        provenance TEXT NOT NULL DEFAULT '',
        flags TEXT NOT NULL DEFAULT '[]',
        content_id TEXT NOT NULL,
        UNIQUE (policy_id, archive, timestamp, original_url, content_id)
    );
    CREATE INDEX captures_by_time ON captures(policy_id, timestamp);
    CREATE TABLE texts (
        sha256 TEXT PRIMARY KEY,
        text TEXT NOT NULL
    );
    CREATE TABLE extractions (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        text_sha256 TEXT NOT NULL REFERENCES texts(sha256),
        extractor_version TEXT NOT NULL,
        words INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        charset TEXT NOT NULL DEFAULT '',
        charset_rule TEXT NOT NULL DEFAULT '',
        charset_confidence REAL NOT NULL DEFAULT 1.0,
        stated_date TEXT NOT NULL DEFAULT '',
        flags TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE jobs (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 2: the hash-chained ledger of captures (archiver/ledger.py; Archive._migrate backfills it)
    """
    CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY,
        recorded_at TEXT NOT NULL,
        capture_id INTEGER NOT NULL,
        entry TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX ledger_by_capture ON ledger(capture_id);
    """,
    # 3: the full-text index of every paragraph of every text (archiver/index/fts.py); an archive
    # from before it is indexed by the next search or reextract
    """
    CREATE TABLE IF NOT EXISTS search_paragraphs (
        id INTEGER PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        postings BLOB NOT NULL
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TABLE IF NOT EXISTS search_texts (
        id INTEGER PRIMARY KEY,
        text_sha256 TEXT NOT NULL UNIQUE
    );
    CREATE INDEX IF NOT EXISTS extractions_by_text ON extractions(text_sha256);
    """,
    # 4: portfolio: tags, notes, the review log, paragraph notes, removed policies and what each
    # `update` run reported
    # (archiver/portfolio.py, archiver/notes.py)
    """
    CREATE TABLE IF NOT EXISTS policy_tags (
        policy_id INTEGER NOT NULL REFERENCES policies(id),
        tag TEXT NOT NULL,
        PRIMARY KEY (policy_id, tag)
    );
    CREATE TABLE IF NOT EXISTS policy_notes (
        policy_id INTEGER PRIMARY KEY REFERENCES policies(id),
        note TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS reviews (
        id INTEGER PRIMARY KEY,
        policy_id INTEGER NOT NULL REFERENCES policies(id),
        version_timestamp TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        baseline_timestamp TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS reviews_by_policy ON reviews(policy_id, version_timestamp);
    CREATE TABLE IF NOT EXISTS paragraph_notes (
        id INTEGER PRIMARY KEY,
        policy_id INTEGER NOT NULL REFERENCES policies(id),
        version_timestamp TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        block INTEGER NOT NULL,
        paragraph TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        note TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS retired_policies (
        policy_id INTEGER PRIMARY KEY REFERENCES policies(id),
        retired_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS policy_updates (
        policy_id INTEGER PRIMARY KEY REFERENCES policies(id),
        last_capture_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 5: each extraction's fingerprint: the extractor's and the text-shaping libraries' versions
    # (archiver/extraction/fingerprint.py); an extraction without a row predates fingerprints
    """
    CREATE TABLE IF NOT EXISTS extraction_fingerprints (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        fingerprint TEXT NOT NULL
    );
    """,
    # 6 (issue 18): the words of each text (archiver/sametext.py: a version is a change of words),
    # where each capture's date came from (archiver/capture_dates.py; a capture without a row takes
    # the default of its source), and raw bytes attached later to a text-only capture (a corpus
    # text re-fetched from the memento it names; archiver/attached.py)
    """
    CREATE TABLE IF NOT EXISTS text_words (
        text_sha256 TEXT PRIMARY KEY REFERENCES texts(sha256),
        words_sha256 TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS capture_dates (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        source TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE IF NOT EXISTS attached_bodies (
        capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
        sha256 TEXT NOT NULL,
        memento_url TEXT NOT NULL,
        retrieved_at TEXT NOT NULL,
        http_status INTEGER,
        headers TEXT NOT NULL DEFAULT '[]',
        content_type TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL,
        text_sha256 TEXT,
        agrees INTEGER
    );
    """,
    # 7: the user's work logged change by change, each line also appended to curation.jsonl after
    # the commit (archiver/curation.py; Archive._migrate logs what an older archive already holds)
    """
    CREATE TABLE IF NOT EXISTS curation_log (
        seq INTEGER PRIMARY KEY,
        entry TEXT NOT NULL
    );
    """,
)
assert len(MIGRATIONS) == SCHEMA_VERSION


# Counts per policy: captures, and versions = runs of consecutive captures with the same words.
POLICY_SQL = (
    "SELECT p.*,"
    " (SELECT COUNT(*) FROM captures c WHERE c.policy_id = p.id) AS n_captures,"
    " (SELECT COUNT(*) FROM (SELECT COALESCE(w.words_sha256, e.text_sha256) AS t,"
    "   LAG(COALESCE(w.words_sha256, e.text_sha256)) OVER (ORDER BY c.timestamp, c.id) AS prev"
    "   FROM captures c JOIN extractions e ON e.capture_id = c.id"
    "   LEFT JOIN text_words w ON w.text_sha256 = e.text_sha256 WHERE c.policy_id = p.id)"
    "  WHERE prev IS NULL OR prev != t) AS n_versions"
    " FROM policies p"
)


def policy_from_row(row: sqlite3.Row) -> Policy:
    rules = tuple(
        ExtractionRule(r.get("valid_from", ""), tuple(r.get("select", ())), tuple(r.get("remove", ())))
        for r in json.loads(row["rules"])
    )
    return Policy(
        id=row["id"],
        url=row["url"],
        key=row["key"],
        label=row["label"],
        rules=rules,
        captures=row["n_captures"],
        versions=row["n_versions"],
    )


def capture_from_row(row: sqlite3.Row) -> Capture:
    return Capture(
        id=row["id"],
        policy_id=row["policy_id"],
        source=Source(row["source"]),
        timestamp=row["timestamp"],
        original_url=row["original_url"],
        archive=row["archive"],
        memento_url=row["memento_url"],
        retrieved_at=row["retrieved_at"],
        http_status=row["http_status"],
        headers=tuple((str(k), str(v)) for k, v in json.loads(row["headers"])),
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        redirects=tuple(json.loads(row["redirects"])),
        provenance=row["provenance"],
        flags=tuple(json.loads(row["flags"])),
    )
