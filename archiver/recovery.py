"""An archive never silently loses or hides anything: the ledger journal, orphans, diagnosis, recovery.

``ledger.jsonl`` beside the database is the ledger kept a second time, outside SQLite: one line per
ledger entry (the hashed entry, its hash and the previous one, exactly as in the ``ledger`` table),
with what rebuilding needs that the capture row does not hold — its policy's URL and label, where
its date came from, and for a text-only capture (Princeton-Leuven) its text. It is appended after
each capture is committed and brought up to date whenever the archive is opened for writing, so a
crash between the two loses nothing.

With it and the raw files, ``policydiff recover`` rebuilds a database that is missing, empty or
damaged (the damaged file is kept aside, never deleted): the same capture ids, the same ledger
entries (so the same head hash), texts extracted again from the raw bytes; the user's work (names,
rules, tags, notes, reviews, removals, paragraph notes, attached bodies) is replayed from the second
journal, ``curation.jsonl`` (archiver/curation.py). ``verify`` reports raw
files that no capture names, and :func:`check_index_present` refuses to open an empty database
beside raw files (which would otherwise be quietly recreated, hiding them).

A database put back from an older copy (a backup, a file synced from another machine) is behind
its journals: :func:`journals_ahead` finds it, Archive.open refuses it before writing anything (the
next capture would take a seq the journal already has, and the two histories would fork), verify
reports it, and recover rebuilds from the journals, keeping that database aside.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import curation
from .errors import ArchiveIndexMissingError
from .journals import Ahead, ahead_of, append_missing, has_lines, read_lines
from .models import VerifyProblem

JOURNAL_NAME = "ledger.jsonl"


def journal_path(root: Path) -> Path:
    return root / JOURNAL_NAME


def sync_journal(conn: sqlite3.Connection, root: Path) -> int:
    """Append the ledger entries the journal lacks; returns how many were written."""

    def missing(last: int) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT l.seq, l.recorded_at, l.capture_id, l.entry, l.prev, l.hash,"
            " p.key, p.url, p.label, p.created_at, d.source, d.detail, t.text"
            " FROM ledger l LEFT JOIN captures c ON c.id = l.capture_id"
            " LEFT JOIN policies p ON p.id = c.policy_id"
            " LEFT JOIN capture_dates d ON d.capture_id = l.capture_id"
            " LEFT JOIN extractions e ON e.capture_id = l.capture_id AND c.sha256 IS NULL"
            " LEFT JOIN texts t ON t.sha256 = e.text_sha256"
            " WHERE l.seq > ? ORDER BY l.seq",
            (last,),
        ).fetchall()
        return [
            {
                "seq": seq,
                "recorded_at": recorded,
                "capture_id": cid,
                "entry": entry,
                "prev": prev,
                "hash": digest,
                "policy": {"key": key, "url": url, "label": label, "created_at": created} if key else None,
                "date": {"source": src, "detail": det} if src else None,
                "text": text,
            }
            for seq, recorded, cid, entry, prev, digest, key, url, label, created, src, det, text in rows
        ]

    return append_missing(journal_path(root), missing)


def read_journal(root: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The journal's entries (each a capture record), and the numbers of the lines that could not be read."""
    return read_lines(journal_path(root), lambda line: json.loads(line["entry"])["capture"]["id"])


# --- what verify adds -----------------------------------------------------------------------------


def blob_names(root: Path) -> set[str]:
    blobs = root / "blobs"
    if not blobs.is_dir():
        return set()
    return {f.name for f in blobs.glob("*/*") if f.is_file()}


def orphan_problems(conn: sqlite3.Connection, root: Path) -> list[VerifyProblem]:
    """Raw files no capture names: a capture lost from the database, or a store interrupted."""
    named = {r[0] for r in conn.execute("SELECT sha256 FROM captures WHERE sha256 IS NOT NULL")}
    named |= {r[0] for r in conn.execute("SELECT sha256 FROM attached_bodies")}
    orphans = sorted(blob_names(root) - named)
    return [
        VerifyProblem(
            0,
            f"raw file blobs/{sha[:2]}/{sha} is named by no capture (a capture missing from the database, "
            "or a store that was interrupted); 'policydiff recover' restores the captures the ledger "
            "journal records",
        )
        for sha in orphans
    ]


# --- opening ----------------------------------------------------------------------------------------


def check_index_present(root: Path, db_path: Path) -> None:
    """Refuse to (re)create a missing or empty database beside raw files or a ledger journal."""
    try:
        size = db_path.stat().st_size
    except FileNotFoundError:
        size = -1
    except OSError:
        return  # the open itself says what is wrong
    if size > 0:
        return
    blobs = len(blob_names(root))
    entries = has_lines(journal_path(root)) or has_lines(curation.journal_path(root))
    if blobs or entries:
        state = "missing" if size < 0 else "empty (0 bytes)"
        raise ArchiveIndexMissingError(str(db_path), state, blobs, bool(entries))


def journals_ahead(conn: sqlite3.Connection, root: Path) -> list[Ahead]:
    """The journals that hold more than (or other than) their table: the ledger's, compared by the
    entry hash; the user's work, by the logged line. A table an older schema lacks holds nothing."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def check(
        path: Path,
        table: str,
        column: str,
        key: Callable[[dict[str, Any]], object],
        load: Callable[[Any], object],
    ) -> Ahead | None:
        if table not in tables:
            return ahead_of(path, 0, lambda seq: None, key)
        last = conn.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()[0]

        def stored(seq: int) -> object | None:
            row = conn.execute(f"SELECT {column} FROM {table} WHERE seq = ?", (seq,)).fetchone()
            return None if row is None else load(row[0])

        return ahead_of(path, int(last), stored, key)

    found = [
        check(journal_path(root), "ledger", "hash", lambda line: line.get("hash"), str),
        check(
            curation.journal_path(root),
            "curation_log",
            "entry",
            lambda line: {k: v for k, v in line.items() if k != "seq"},
            json.loads,
        ),
    ]
    return [ahead for ahead in found if ahead is not None]


def journal_problems(conn: sqlite3.Connection, root: Path) -> list[VerifyProblem]:
    """What verify says of a database behind its journals."""
    return [
        VerifyProblem(
            0,
            f"the database is behind its journal, as an older copy put back would be: {ahead}; "
            "'policydiff recover' rebuilds it from the journals and the raw files, keeping the current "
            "file aside",
        )
        for ahead in journals_ahead(conn, root)
    ]


def diagnose(db_path: Path) -> str:
    """What is wrong with a database file that SQLite refuses, in words a user can act on."""
    try:
        with open(db_path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if not head:
        return "it is empty (0 bytes)"
    if not head.startswith(b"SQLite format 3\x00"):
        return "it is not an SQLite database (its first bytes are not the SQLite header): overwritten"
    if len(head) < 100:
        return "it is cut short (shorter than an SQLite header): truncated"
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            found = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"SQLite cannot read it ({exc})"
    if found != ["ok"]:
        return "SQLite finds it damaged: " + "; ".join(found[:3])
    return "SQLite can read it"


# --- recover ----------------------------------------------------------------------------------------


@dataclass
class RecoveryReport:
    restored: int = 0  # captures rebuilt from the journal
    texts: int = 0  # of them, with their text extracted again
    kept_aside: str = ""  # where the old database file was moved
    missing_blobs: list[str] = field(default_factory=list)  # captures whose raw file is gone
    orphans: list[str] = field(default_factory=list)  # raw files no journal entry names (kept)
    bad_lines: list[int] = field(default_factory=list)  # journal lines that could not be read
    ledger: tuple[int, str] = (0, "")
    # the user's work from curation.jsonl: what it amounts to now (curation.summary), what could not
    # be put back and why, and journal lines that could not be read
    curation: dict[str, int] = field(default_factory=dict)
    curation_lost: list[str] = field(default_factory=list)
    curation_bad_lines: list[int] = field(default_factory=list)


def set_aside(db_path: Path, stamp: str, why: str = "damaged") -> str:
    """Move a damaged (or ``why`` "older") database and its WAL files aside; returns the new name
    ("" if none)."""
    if not db_path.exists():
        return ""
    if db_path.stat().st_size == 0:
        db_path.unlink()
        return ""
    target = db_path.with_name(f"{db_path.name}.{why}-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = db_path.with_name(db_path.name + suffix)
        if source.exists():
            os.replace(source, target.with_name(target.name + suffix))
    return str(target)


def restore_rows(conn: sqlite3.Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert each journal entry's policy, capture row, ledger entry and date source, verbatim.
    Returns the capture records restored (the first entry of each capture)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(captures)")}
    restored: list[dict[str, Any]] = []
    seen: set[int] = set()
    for line in entries:
        capture = json.loads(line["entry"])["capture"]
        conn.execute(
            "INSERT INTO ledger(seq, recorded_at, capture_id, entry, prev, hash) VALUES (?,?,?,?,?,?)",
            (line["seq"], line["recorded_at"], line["capture_id"], line["entry"], line["prev"], line["hash"]),
        )
        if capture["id"] in seen:
            continue
        seen.add(capture["id"])
        policy = line.get("policy") or {}
        conn.execute(
            "INSERT OR IGNORE INTO policies(id, key, url, label, created_at) VALUES (?,?,?,?,?)",
            (
                capture["policy_id"],
                policy.get("key") or f"recovered:{capture['policy_id']}",
                policy.get("url") or capture["original_url"],
                policy.get("label") or "",
                policy.get("created_at") or line["recorded_at"],
            ),
        )
        kept = {k: v for k, v in capture.items() if k in columns}
        marks = ",".join("?" * len(kept))
        conn.execute(f"INSERT INTO captures({','.join(kept)}) VALUES ({marks})", list(kept.values()))
        date = line.get("date")
        if date:
            conn.execute(
                "INSERT OR REPLACE INTO capture_dates(capture_id, source, detail) VALUES (?,?,?)",
                (capture["id"], date.get("source", ""), date.get("detail", "")),
            )
        restored.append({**capture, "_text": line.get("text")})
    return restored


def rebuild(root: Path) -> RecoveryReport:
    """Rebuild the database of the archive at ``root`` from its ledger journal and raw files.

    A database still there (damaged, or readable) is moved aside first, never deleted; texts are
    extracted again from the raw bytes (text-only captures from the journal's copy of their text).
    Then the user's work is replayed from curation.jsonl (archiver/curation.py) in the same
    transaction, before any text is extracted, so the texts follow the restored extraction rules.
    What it cannot restore is listed: captures whose raw file is gone, raw files no entry names,
    attached bodies whose raw file or capture is gone, journal lines it cannot read.
    """
    from dataclasses import replace
    from datetime import UTC, datetime

    from .errors import ExtractionError, StorageError, UsageError
    from .extraction import extract_capture, from_markdown
    from .models import Flag
    from .schema import DB_NAME
    from .storage import Archive

    root = Path(root).expanduser().resolve()
    entries, bad = read_journal(root)
    work, work_bad = curation.read_journal(root)
    if not entries and not work:
        raise StorageError(
            f"the archive at {root} has no ledger journal ({JOURNAL_NAME}) to rebuild from; restore "
            f"{DB_NAME} from a backup (its raw files are untouched)"
        )
    db = root / DB_NAME
    why = "damaged"
    if db.exists() and db.stat().st_size > 0 and diagnose(db) == "SQLite can read it":
        if not _behind(db, root):
            raise UsageError(
                f"the database {db} reads fine ('policydiff verify' checks it through); recover "
                "rebuilds only a missing, empty or damaged one, or one behind its journals, and leaves "
                "this one alone"
            )
        why = "older"  # an older copy put back: the journals hold what came after it
    report = RecoveryReport(bad_lines=bad, curation_bad_lines=work_bad)
    report.kept_aside = set_aside(root / DB_NAME, datetime.now(UTC).strftime("%Y%m%d%H%M%S"), why)
    blobs = blob_names(root)
    with Archive.open(root, rebuilding=True) as archive:
        with archive.transaction() as conn:  # one transaction: all restored, or nothing
            if conn.execute("SELECT COUNT(*) FROM captures").fetchone()[0]:
                raise StorageError(f"the archive at {root} already holds captures; nothing was changed")
            restored = restore_rows(conn, entries)
            replayed = curation.replay(conn, work, blobs)
            report.curation = curation.summary(conn) if work else {}
            report.curation_lost = replayed.lost
        report.restored = len(restored)
        for record in restored:
            capture = archive.capture(record["id"])
            try:
                if capture.sha256 is None:
                    if not record["_text"]:
                        continue
                    extraction = from_markdown(record["_text"])
                    flags = tuple(sorted({*extraction.flags, Flag.NO_RAW_BYTES.value}))
                    archive.set_extraction(capture.id, replace(extraction, flags=flags))
                elif capture.sha256 not in blobs:
                    report.missing_blobs.append(f"{capture.original_url} @ {capture.timestamp}")
                    continue
                else:
                    rules = archive.policy_by_id(capture.policy_id).rules
                    archive.set_extraction(
                        capture.id, extract_capture(capture, archive.read_body(capture), rules)
                    )
                report.texts += 1
            except (ExtractionError, StorageError):
                continue  # no text, as when it was first stored; the raw bytes are kept
        named = {str(r["sha256"]) for r in restored if r.get("sha256")}
        named |= {str(r[0]) for r in archive.query("SELECT sha256 FROM attached_bodies")}
        report.orphans = sorted(blobs - named)
        report.ledger = archive.ledger_head()
    return report


def _behind(db_path: Path, root: Path) -> bool:
    """Whether a readable database is behind its journals (read-only, as diagnose reads it)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return bool(journals_ahead(conn, root))
    finally:
        conn.close()
