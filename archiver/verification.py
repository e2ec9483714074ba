"""Verifying an archive: every raw body and text re-hashed, the database's integrity, the ledger
walked against the captures, raw files no capture names, attached bodies, the journals against
their tables (a database behind them). Nothing is changed.

It reads the archive through its own connection (one snapshot for ledger and captures), so it lives
beside ``archiver.storage`` as that module's verification half.
"""

from __future__ import annotations

import sqlite3
import threading

from . import ledger, recovery
from .errors import CancelledError
from .files import hash_file
from .models import VerifyProblem
from .schema import capture_from_row
from .storage import Archive, text_sha256


def verify_archive(archive: Archive, cancel: threading.Event | None = None) -> list[VerifyProblem]:
    """Re-hash every stored body and text and check the database; one problem per finding.

    ``cancel`` (set from another thread) stops it between two captures with CancelledError.
    """
    problems: list[VerifyProblem] = []
    try:
        check = [r[0] for r in archive._conn().execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [VerifyProblem(0, f"database {archive.db_path} is damaged: {exc}")]
    if check != ["ok"]:
        problems.extend(VerifyProblem(0, f"database: {line}") for line in check)
    for row in archive.query("SELECT * FROM captures ORDER BY id"):
        if cancel is not None and cancel.is_set():
            raise CancelledError("verification cancelled; nothing was changed")
        cap = capture_from_row(row)
        where = f"{cap.original_url} @ {cap.timestamp}"
        if cap.sha256 is None:
            if archive.extraction(cap.id) is None:
                problems.append(VerifyProblem(cap.id, f"{where}: text-only capture without its text"))
            continue
        path = archive.blob_path(cap.sha256)
        try:
            digest = hash_file(path)
        except FileNotFoundError:
            problems.append(VerifyProblem(cap.id, f"{where}: raw file {path} is missing"))
            continue
        except OSError as exc:
            problems.append(
                VerifyProblem(cap.id, f"{where}: raw file {path} cannot be read ({exc.strerror or exc})")
            )
            continue
        if digest != cap.sha256:
            problems.append(VerifyProblem(cap.id, f"{where}: raw file {path} does not match its sha256"))
    for row in archive.query("SELECT sha256, text FROM texts"):
        if text_sha256(row["text"]) != row["sha256"]:
            problems.append(VerifyProblem(0, f"extracted text {row['sha256']} does not match its sha256"))
    for row in archive.query(
        "SELECT e.capture_id FROM extractions e LEFT JOIN texts t ON t.sha256 = e.text_sha256 WHERE t.sha256 IS NULL"
    ):
        problems.append(VerifyProblem(row["capture_id"], "extraction refers to a missing text"))
    problems.extend(_check_ledger(archive))
    problems.extend(recovery.orphan_problems(archive._conn(), archive.root))
    problems.extend(recovery.journal_problems(archive._conn(), archive.root))
    for capture_id, sha in archive.query(
        "SELECT capture_id, sha256 FROM attached_bodies ORDER BY capture_id"
    ):
        try:
            if hash_file(archive.blob_path(sha)) != sha:
                problems.append(
                    VerifyProblem(capture_id, f"attached raw file {sha} does not match its sha256")
                )
        except OSError:
            problems.append(VerifyProblem(capture_id, f"attached raw file {sha} is missing"))
    return problems


def _check_ledger(archive: Archive) -> list[VerifyProblem]:
    """The ledger and the captures, read in one snapshot (WAL): a capture another process
    stores meanwhile is neither half seen nor taken for one slipped in."""
    conn = archive._conn()
    try:
        conn.execute("BEGIN")
        try:
            return ledger.check(conn)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        return [VerifyProblem(0, f"the ledger cannot be read: {exc}")]
