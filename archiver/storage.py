"""The local archive: raw bytes kept byte-exact and content-addressed, metadata in SQLite.

Layout of an archive root::

    archive.sqlite3        policies, captures, extracted texts, job state (WAL mode)
    blobs/ab/abcdef…       raw bodies, named by their sha256; identical bytes are stored once
    tmp/                   files being written; a stray one is removed on the next open
    ledger.jsonl, curation.jsonl   the ledger and the user's work again, outside SQLite, for
                           policydiff recover (archiver/recovery.py, archiver/curation.py)

Why it survives ``kill -9``: a body is written to ``tmp/``, fsynced and renamed into ``blobs/``
*before* the database row that names it is committed, so a committed record always has its bytes.
A crash leaves at worst an unreferenced blob (harmless) or a temp file (cleaned up). The files are
archiver/blobs.py's; storing a capture in that order is archiver/capturing.py's; this module keeps the
database, its connections and transactions.
Several processes (the app and the command line) may use one archive: SQLite's WAL mode and a busy
timeout serialise writers, and each thread gets its own connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from . import blobs, capture_dates, capturing, curation, ledger, recovery
from .capture_dates import CaptureDate
from .errors import (
    ArchiveNotWritableError,
    CorruptArchiveError,
    DamagedDatabaseError,
    ErrorKind,
    JournalAheadError,
    NotFoundError,
    SchemaTooNewError,
    StorageError,
    kind_of,
)
from .models import Capture, Extraction, ExtractionRule, Policy, VerifyProblem, Version
from .sametext import backfill_words
from .schema import DB_NAME, MIGRATIONS, POLICY_SQL, SCHEMA_VERSION, capture_from_row, policy_from_row
from .timestamps import now_iso, parse_date_arg
from .urls import normalize_url, policy_key
from .versioning import build_versions

log = logging.getLogger(__name__)
T = TypeVar("T")


def _set_wal(conn: sqlite3.Connection) -> None:
    """WAL mode; on a new archive opened by several processes at once the switch can meet a busy
    database: try again for a while (busy is not damage)."""
    conn.execute("PRAGMA busy_timeout = 100")  # each try waits briefly: about 10 s in all
    try:
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if kind_of(exc) is not ErrorKind.BUSY or attempt == 49:
                    raise
                time.sleep(0.1)
    finally:
        conn.execute("PRAGMA busy_timeout = 30000")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Archive:
    """One archive root. Open with :meth:`open`; usable from several threads and processes."""

    def __init__(self, root: Path, read_only: bool = False) -> None:
        self.root = root
        self.db_path = root / DB_NAME
        self.read_only = read_only  # opened with open_read_only: nothing is written
        # one connection a thread, by thread id: not a threading.local, whose data lives as long as
        # the thread's Python state, and a Qt pool thread gets a new one for every job it runs
        self._connections: dict[int, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    def _damaged(self, exc: sqlite3.Error) -> CorruptArchiveError:
        """The error for a database SQLite refuses: what is wrong with the file, and how to recover."""
        return DamagedDatabaseError(str(self.db_path), str(exc), recovery.diagnose(self.db_path))

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | os.PathLike[str], *, rebuilding: bool = False) -> Archive:
        """Open the archive at ``root``, creating it (and migrating its schema) as needed.

        A missing or empty database beside raw files is refused (ArchiveIndexMissingError), never
        quietly recreated, and so is one behind its journals (JournalAheadError: an older copy put
        back); ``rebuilding`` (policydiff recover) creates it."""
        path = Path(root).expanduser().resolve()
        if not rebuilding:
            recovery.check_index_present(path, path / DB_NAME)
        blobs.prepare(path)
        archive = cls(path)
        if not rebuilding:  # before the migration or the journals' catching up write anything
            archive._check_journals()
        archive._migrate()
        with archive.transaction() as conn:
            backfill_words(conn)
        archive._journals(recovery.sync_journal)  # what a crash between commit and append left
        archive._journals(curation.sync_journal)
        blobs.clean_tmp(path)
        return archive

    @classmethod
    def open_read_only(cls, root: str | os.PathLike[str]) -> Archive:
        """Open an existing archive without writing anything (a write-protected folder, read-only
        media): reading, verifying and exporting elsewhere work; any write says it is read-only."""
        path = Path(root).expanduser().resolve()
        recovery.check_index_present(path, path / DB_NAME)
        if not (path / DB_NAME).is_file():
            raise ArchiveNotWritableError(str(path), "there is no archive there to read")
        archive = cls(path, read_only=True)
        found = archive.query("PRAGMA user_version")[0][0]
        if found > SCHEMA_VERSION:
            raise SchemaTooNewError(str(path), found, SCHEMA_VERSION)
        if found < SCHEMA_VERSION:
            raise ArchiveNotWritableError(
                str(path),
                f"it has schema {found} and must be upgraded to {SCHEMA_VERSION}, which needs writing",
            )
        return archive

    def _check_journals(self) -> None:
        """Refuse a database behind its journals: its next entries would take seqs the journals
        already hold, and the journals (what recover rebuilds from) and it would part silently."""
        ahead = self._journals(recovery.journals_ahead)
        if ahead:
            self.close()
            raise JournalAheadError(str(self.db_path), [str(a) for a in ahead])

    def _journals(self, work: Callable[[sqlite3.Connection, Path], T]) -> T:
        """``work(conn, root)`` on the journals beside the database (the ledger's,
        archiver/recovery.py; the user's work, archiver/curation.py), failing as the archive fails."""
        try:
            return work(self._conn(), self.root)
        except OSError as exc:
            raise ArchiveNotWritableError(str(self.root), exc.strerror or str(exc)) from None
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections.values():
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()

    def _conn(self) -> sqlite3.Connection:
        thread = threading.get_ident()
        conn = self._connections.get(thread)
        if conn is None:
            try:
                if self.read_only:  # nothing may write: not even the WAL's shared-memory file
                    # immutable skips the write-ahead log: only when there is none to read
                    wal = self.db_path.with_name(self.db_path.name + "-wal")
                    has_wal = wal.exists() and wal.stat().st_size > 0
                    conn = sqlite3.connect(
                        f"{self.db_path.as_uri()}?{'mode=ro' if has_wal else 'immutable=1'}",
                        uri=True,
                        isolation_level=None,
                        check_same_thread=False,
                    )
                else:
                    conn = sqlite3.connect(
                        self.db_path, timeout=30, isolation_level=None, check_same_thread=False
                    )
                    _set_wal(conn)
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.OperationalError as exc:
                if kind_of(exc) is ErrorKind.BUSY:
                    raise StorageError(
                        f"the archive at {self.root} is busy (another program is writing to it); try again",
                        kind=ErrorKind.BUSY,
                    ) from None
                raise self._damaged(exc) from None
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from None
            conn.row_factory = sqlite3.Row
            with self._lock:
                self._connections[thread] = conn
        return conn

    # --- reading and writing: the one way in, for this class and the modules built on it ---------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on this thread's connection: all of the block is stored, or none.

        BEGIN IMMEDIATE takes the write lock up front (no upgrade deadlock). A read-only archive
        refuses with ArchiveNotWritableError; a busy one, a full disk or a failed commit become
        StorageError with their ErrorKind. An IntegrityError, ProgrammingError or InterfaceError is
        a bug of ours and keeps its traceback; anything raised rolls the whole block back."""
        if self.read_only:
            raise ArchiveNotWritableError(str(self.root), "it is write-protected, so it was opened read-only")
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"the archive at {self.root} is busy or read-only: {exc}", kind=kind_of(exc)
            ) from None
        try:
            yield conn
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and not isinstance(
                exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
            ):  # the disk or the database, not a bug of ours (those keep their traceback)
                raise StorageError(
                    f"could not write to the archive at {self.root}: {exc}", kind=kind_of(exc)
                ) from None
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise StorageError(
                    f"could not write to the archive at {self.root}: {exc}", kind=kind_of(exc)
                ) from None

    @contextlib.contextmanager
    def curating(self) -> Iterator[sqlite3.Connection]:
        """A transaction() that changes the user's work, logged in it with ``curation.record``:
        after the commit the log's new lines are appended to curation.jsonl (never before, so the
        journal holds no change that was rolled back)."""
        with self.transaction() as conn:
            yield conn
        self._journals(curation.sync_journal)

    def query(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = (), *, user_syntax: bool = False
    ) -> list[sqlite3.Row]:
        """All rows of one read query, on this thread's connection (in a transaction() block: its writes too).

        A database SQLite refuses is DamagedDatabaseError (what is wrong, how to recover). With
        ``user_syntax`` the SQL carries text the user wrote (an FTS5 MATCH expression, archiver.index):
        an OperationalError is then most likely their syntax, so it reaches the caller as it is."""
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            if user_syntax and isinstance(exc, sqlite3.OperationalError):
                raise
            raise self._damaged(exc) from None

    def _migrate(self) -> None:
        try:
            with self.transaction() as conn:
                found = conn.execute("PRAGMA user_version").fetchone()[0]
                if found > SCHEMA_VERSION:
                    raise SchemaTooNewError(str(self.root), found, SCHEMA_VERSION)
                for step in range(found, SCHEMA_VERSION):
                    log.info("migrating %s from schema %d to %d", self.db_path, step, step + 1)
                    for statement in MIGRATIONS[step].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    if step == 1:  # the ledger starts with the captures already there
                        ledger.backfill(conn, now_iso())
                    if step == 6:  # the curation journal starts with the work already there
                        curation.backfill(conn, now_iso())
                    conn.execute(f"PRAGMA user_version = {step + 1}")
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    # --- policies --------------------------------------------------------------------------

    def ensure_policy(self, url: str, label: str = "") -> Policy:
        """The policy for ``url`` (or any of its variants), created if new."""
        existing = self.find_policy(url)
        if existing is not None:
            if self.query("SELECT 1 FROM retired_policies WHERE policy_id = ?", (existing.id,)):
                with self.curating() as conn:  # asked for again: back in the list, with its history
                    conn.execute("DELETE FROM retired_policies WHERE policy_id = ?", (existing.id,))
                    curation.record(conn, "restored", existing.id)
            return existing
        display = normalize_url(url)
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO policies(key, url, label, created_at) VALUES (?, ?, ?, ?)",
                (policy_key(display), display, label, now_iso()),
            )
        return self.get_policy(url)

    def find_policy(self, url: str) -> Policy | None:
        rows = self.query(POLICY_SQL + " WHERE p.key = ?", (policy_key(url),))
        return policy_from_row(rows[0]) if rows else None

    def get_policy(self, url: str) -> Policy:
        policy = self.find_policy(url)
        if policy is None:
            raise NotFoundError(
                f"no policy for {url} in the archive at {self.root}; see 'policydiff policies'"
            )
        return policy

    def policy_by_id(self, policy_id: int) -> Policy:
        rows = self.query(POLICY_SQL + " WHERE p.id = ?", (policy_id,))
        if not rows:
            raise NotFoundError(f"no policy with id {policy_id}")
        return policy_from_row(rows[0])

    def policies(self) -> list[Policy]:
        """The tracked policies; a removed one (``retired_policies``) is left out, its captures kept."""
        return [
            policy_from_row(r)
            for r in self.query(
                POLICY_SQL
                + " WHERE p.id NOT IN (SELECT policy_id FROM retired_policies) ORDER BY p.label, p.url"
            )
        ]

    def set_label(self, policy_id: int, label: str) -> None:
        with self.curating() as conn:
            conn.execute("UPDATE policies SET label = ? WHERE id = ?", (label, policy_id))
            curation.record(conn, "label", policy_id, label=label)

    def set_rules(self, policy_id: int, rules: Sequence[ExtractionRule]) -> None:
        data = [
            {"valid_from": r.valid_from, "select": list(r.select), "remove": list(r.remove)} for r in rules
        ]
        with self.curating() as conn:
            conn.execute("UPDATE policies SET rules = ? WHERE id = ?", (json.dumps(data), policy_id))
            curation.record(conn, "rules", policy_id, rules=data)

    # --- captures --------------------------------------------------------------------------

    def add_capture(
        self,
        policy: Policy,
        capture: Capture,
        body: bytes | None,
        extraction: Extraction | None,
        date: CaptureDate | None = None,
    ) -> tuple[Capture, bool]:
        """Store a capture with its raw body (or, text-only, its extraction). Returns (stored, created):
        the same bytes at the same time from the same archive are stored once (archiver/capturing.py)."""
        return capturing.add_capture(self, policy, capture, body, extraction, date)

    def has_capture(self, policy_id: int, archive: str, timestamp: str, original_url: str) -> bool:
        """Whether this listed capture is stored (an archived redirect alone does not count)."""
        return capturing.has_capture(self, policy_id, archive, timestamp, original_url)

    def capture(self, capture_id: int) -> Capture:
        rows = self.query("SELECT * FROM captures WHERE id = ?", (capture_id,))
        if not rows:
            raise NotFoundError(f"no capture with id {capture_id}")
        return capture_from_row(rows[0])

    def captures(self, policy_id: int) -> list[Capture]:
        """A policy's captures, oldest first."""
        rows = self.query("SELECT * FROM captures WHERE policy_id = ? ORDER BY timestamp, id", (policy_id,))
        return [capture_from_row(r) for r in rows]

    def dates_of(self, captures: Iterable[Capture]) -> dict[int, CaptureDate]:
        """Each capture's date with where it came from (archiver/capture_dates.py), by capture id."""
        try:
            return capture_dates.lookup(self._conn(), captures)
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None

    def blob_path(self, sha256: str) -> Path:
        return blobs.blob_path(self.root, sha256)

    def read_body(self, capture: Capture) -> bytes:
        """The raw body, checked against its sha256 (archiver/blobs.py: a damaged file is reported)."""
        return blobs.read_body(self.root, capture)

    # --- extracted text --------------------------------------------------------------------

    def set_extraction(self, capture_id: int, extraction: Extraction) -> None:
        with self.transaction() as conn:
            capturing.put_extraction(conn, capture_id, extraction)

    def extraction(self, capture_id: int) -> Extraction | None:
        return capturing.read_extraction(self, capture_id)

    def text(self, text_sha256: str) -> str:
        rows = self.query("SELECT text FROM texts WHERE sha256 = ?", (text_sha256,))
        if not rows:
            raise NotFoundError(f"no text with sha256 {text_sha256}")
        return str(rows[0]["text"])

    # --- versions --------------------------------------------------------------------------

    def versions(self, policy_id: int) -> list[Version]:
        """Distinct texts in time order: consecutive captures with the same text are one version.

        Captures whose text could not be extracted do not take part (they are listed by
        :meth:`captures`). A text that comes back later is a new version, since it is a change.
        """
        rows = self.query(
            "SELECT c.*, e.text_sha256 AS t_sha, e.extractor_version AS t_ver, e.words AS t_words,"
            " e.language AS t_lang, e.stated_date AS t_date, e.flags AS t_flags,"
            " COALESCE(w.words_sha256, e.text_sha256) AS t_key"
            " FROM captures c JOIN extractions e ON e.capture_id = c.id"
            " LEFT JOIN text_words w ON w.text_sha256 = e.text_sha256"
            " WHERE c.policy_id = ? ORDER BY c.timestamp, c.id",
            (policy_id,),
        )
        return build_versions(policy_id, rows, self.text)

    def version_at(self, url: str, timestamp: str) -> Version:
        """The version in force at ``timestamp`` (4–14 digits; a prefix of a capture's time picks it)."""
        moment = parse_date_arg(timestamp, pad="up")  # a bad date says so before the lookup
        policy = self.get_policy(url)
        versions = self.versions(policy.id)
        digits = "".join(ch for ch in timestamp if ch.isdigit())  # 2023-04 is the prefix 202304
        for version in versions:
            if any(c.timestamp.startswith(digits) for c in version.captures):
                return version
        current = [v for v in versions if v.timestamp <= moment]
        if not current:
            first = versions[0].timestamp if versions else "none"
            raise NotFoundError(f"{policy.url} has no version at or before {digits} (first: {first})")
        return current[-1]

    # --- jobs ------------------------------------------------------------------------------

    def job_get(self, key: str) -> dict[str, Any] | None:
        rows = self.query("SELECT state FROM jobs WHERE key = ?", (key,))
        return dict(json.loads(rows[0]["state"])) if rows else None

    def job_put(self, key: str, state: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO jobs(key, state, updated_at) VALUES (?, ?, ?)",
                (key, json.dumps(state), now_iso()),
            )

    def job_done(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM jobs WHERE key = ?", (key,))

    # --- verification ----------------------------------------------------------------------

    def verify(self, cancel: threading.Event | None = None) -> list[VerifyProblem]:
        """Re-hash every stored body and text and check the database and the ledger
        (archiver/verification.py); ``cancel`` stops it between two captures."""
        from .verification import verify_archive

        return verify_archive(self, cancel)

    def ledger_head(self) -> tuple[int, str]:
        """Entries in the archive's ledger and the hash of the last: it identifies the whole history."""
        return ledger.head(self._conn())

    def ledger_hash(self, entries: int) -> str | None:
        """The hash of entry ``entries`` (what the head was when the ledger had that many)."""
        return ledger.entry_hash(self._conn(), entries)

    def stats(self) -> dict[str, int]:
        row = self.query(
            "SELECT (SELECT COUNT(*) FROM policies) AS policies, (SELECT COUNT(*) FROM captures) AS captures,"
            " (SELECT COUNT(*) FROM texts) AS texts"
        )[0]
        return {k: int(row[k]) for k in row.keys()}
