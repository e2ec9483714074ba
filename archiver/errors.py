"""One exception root for everything the core can report to a user.

Each subclass carries the data a user (or the UI) needs to act: which URL, which file, until when.
The UI and the command line catch only :class:`ArchiverError`; anything else is a bug.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """What went wrong, for callers to branch on: never the message text, which is for people."""

    OTHER = "other"
    #: no working connection to the host (refused, reset, offline, a TLS failure): every request
    #: would fail alike, so a job stops and a rerun resumes
    CONNECTION = "connection"
    #: the archive will not serve the site because of the site's robots.txt (another endpoint of the
    #: same archive may ignore it)
    ROBOTS = "robots"
    #: the archive excludes the site (a takedown, the owner's request)
    EXCLUDED = "excluded"
    #: no space left on the disk (or over quota)
    DISK_FULL = "disk-full"
    #: another program holds the archive database's lock
    BUSY = "busy"
    #: the database is an older copy than its journals (or has parted from them): policydiff recover
    JOURNAL_AHEAD = "journal-ahead"


class ArchiverError(Exception):
    """Root of every error the core raises on purpose. ``str(err)`` is a one-line message; ``kind``
    says what went wrong for code that must decide what to do (a subclass or the raiser sets it)."""

    #: Exit code the command line uses for this error (1: the command ran and failed; 2: bad usage).
    exit_code = 1
    kind: ErrorKind = ErrorKind.OTHER

    def __init__(self, *args: object, kind: ErrorKind | None = None) -> None:
        super().__init__(*args)
        if kind is not None:
            self.kind = kind


def kind_of(exc: BaseException) -> ErrorKind:
    """The kind of a system or SQLite error, from its error number or result code (not its text)."""
    if isinstance(exc, ArchiverError):
        return exc.kind
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ErrorKind.DISK_FULL
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
    if isinstance(code, int):
        primary = code & 0xFF  # extended result codes keep the primary one in the low byte
        if primary == sqlite3.SQLITE_FULL:
            return ErrorKind.DISK_FULL
        if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return ErrorKind.BUSY
    return ErrorKind.OTHER


class UsageError(ArchiverError):
    """The user asked for something malformed (bad URL, bad date, bad option combination)."""

    exit_code = 2


class InvalidURLError(UsageError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"not a web page URL: {url!r} ({reason})")


class InvalidDateError(UsageError):
    def __init__(self, value: str, reason: str = "expected 4 to 14 digits, YYYY[MM[DD[hh[mm[ss]]]]]") -> None:
        self.value = value
        super().__init__(f"bad date {value!r}: {reason}")


# --- the local archive -------------------------------------------------------------------------


class StorageError(ArchiverError):
    """The local archive cannot be read or written."""


class ArchiveNotWritableError(StorageError):
    def __init__(self, path: str, reason: str, kind: ErrorKind = ErrorKind.OTHER) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"cannot write to the archive at {path}: {reason}; "
            "choose another folder with --archive or POLICYDIFF_ARCHIVE",
            kind=kind,
        )


class SchemaTooNewError(StorageError):
    def __init__(self, path: str, found: int, supported: int) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(
            f"the archive at {path} has schema {found}, newer than this policydiff understands "
            f"({supported}); upgrade policydiff to open it (nothing was changed)"
        )


class CorruptArchiveError(StorageError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"the archive database at {path} is damaged: {reason}; run 'policydiff verify'")


class NotFoundError(ArchiverError):
    """A policy, capture or version the user named is not in the local archive."""


class InputFileError(ArchiverError):
    """A local file given to import/extract/diff cannot be used."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


# --- extraction --------------------------------------------------------------------------------


class ExtractionError(ArchiverError):
    """Raw bytes could not be turned into policy text."""


class InvalidSelectorError(UsageError):
    """A CSS selector given for a policy's extraction rule does not parse."""

    def __init__(self, selector: str, reason: str) -> None:
        self.selector = selector
        self.reason = reason
        super().__init__(f"bad CSS selector {selector!r}: {reason}")


class UnsupportedContentError(ExtractionError):
    def __init__(self, content_type: str, reason: str = "") -> None:
        self.content_type = content_type
        detail = f": {reason}" if reason else ""
        super().__init__(f"cannot extract text from content of type {content_type!r}{detail}")


# --- the network and web archives --------------------------------------------------------------


class NetworkError(ArchiverError):
    """The remote side could not be reached or answered nonsense."""

    def __init__(self, message: str, url: str = "", kind: ErrorKind | None = None) -> None:
        self.url = url
        super().__init__(message, kind=kind)


class RateLimitedError(NetworkError):
    """The archive keeps answering 429; the job stopped rather than get this machine blocked."""

    def __init__(self, host: str, retry_at: datetime | None, url: str = "") -> None:
        self.host = host
        self.retry_at = retry_at
        when = f" until {retry_at:%H:%M} UTC" if retry_at else ""
        super().__init__(
            f"{host} is rate-limiting us (repeated HTTP 429); stopped{when} to avoid being blocked. "
            "Try again later; what was already downloaded is kept.",
            url,
        )


class BlockedError(NetworkError):
    """The archive refuses to serve this site: ``kind`` EXCLUDED (excluded or blocked by the owner)
    or ROBOTS (the site's robots.txt). ``reason`` says why; ``advice`` what to do on the command line."""

    def __init__(self, url: str, reason: str, kind: ErrorKind = ErrorKind.EXCLUDED, advice: str = "") -> None:
        self.reason = reason
        self.advice = advice
        super().__init__(
            f"the archive will not serve {url}: {reason}" + (f"; {advice}" if advice else ""), url, kind
        )


class ArchiveResponseError(NetworkError):
    """The archive answered, but not with a capture (error page, missing Memento-Datetime…)."""


class SavePageNowPendingError(ArchiveResponseError):
    """Save Page Now has not finished a job in 15 min; the job is kept and waited for next time."""

    def __init__(self, message: str, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(message)


class TruncatedBodyError(NetworkError):
    def __init__(self, url: str, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"{url}: body truncated ({got} of {expected} bytes); not stored", url)


class BrokenBodyError(TruncatedBodyError):
    """The body broke off in a way a length check cannot name: it stalled, or its chunking broke."""

    def __init__(self, url: str, expected: int, got: int, reason: str) -> None:
        self.expected = expected
        self.got = got
        self.reason = reason
        of = f" of {expected}" if expected >= 0 else ""
        NetworkError.__init__(
            self, f"{url}: body incomplete ({reason} after {got}{of} bytes); not stored", url
        )


class UnsupportedEncodingError(ArchiveResponseError):
    """The archive sent a compressed body we cannot decode (brotli), although we asked for identity."""

    def __init__(self, url: str, encoding: str, name: str, sender: str = "the archive") -> None:
        self.encoding = encoding
        super().__init__(
            f"{url}: {sender} sent a {name}-compressed body (Content-Encoding: {encoding}) although "
            f"policydiff asked for an uncompressed one, and policydiff cannot decode {name}; not stored",
            url,
        )


class TooLargeError(NetworkError):
    def __init__(self, url: str, limit: int) -> None:
        self.limit = limit
        super().__init__(f"{url}: body larger than the {limit // 1_000_000} MB limit; not stored", url)


class CancelledError(ArchiverError):
    """The user cancelled a job; everything finished before the cancel is kept."""

    def __init__(self, message: str = "cancelled; everything downloaded so far is kept") -> None:
        super().__init__(message)


# --- web-archive client (archiver.client) ------------------------------------------------------


class NoMementoError(ArchiveResponseError):
    """The archive holds no capture of this URL at (or near) this time."""

    def __init__(self, url: str, timestamp: str = "") -> None:
        self.timestamp = timestamp
        at = f" at {timestamp}" if timestamp else ""
        super().__init__(
            f"the archive has no capture of {url}{at}; list what it holds with 'policydiff captures URL'",
            url,
        )


class PlaybackError(ArchiveResponseError):
    """A listed capture cannot be replayed (redirect loop, too many hops, nearest capture too far)."""

    def __init__(self, url: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{url}: capture not playable: {reason}", url)


class RedirectTargetError(PlaybackError):
    """A capture is an archived redirect whose target the archive cannot serve. ``via`` holds the
    redirect mementos received (evidence of where the URL pointed), for the caller to keep."""

    def __init__(self, url: str, target: str, reason: str, via: tuple[Any, ...]) -> None:
        self.target = target
        self.via = via
        super().__init__(url, f"it redirects to {target}, which the archive cannot serve ({reason})")


class ConnectionBlockedError(NetworkError):
    """Connections fail right after rate limiting: the archive has probably firewalled this address."""

    def __init__(self, host: str, retry_at: datetime | None) -> None:
        self.host = host
        self.retry_at = retry_at
        when = f"; retry after {retry_at:%H:%M} UTC" if retry_at else ""
        super().__init__(
            f"{host} is refusing connections from this network (likely a rate-limit block){when}; "
            "run the same command again then, it resumes where it stopped"
        )


class MissingCredentialsError(UsageError):
    """Save Page Now needs the user's Internet Archive keys; ``reason`` says why none were found
    when it was not simply that none were given (a keychain that could not be read)."""

    def __init__(self, what: str, reason: str = "") -> None:
        self.reason = reason
        need = f"{what} needs Internet Archive S3 keys (from https://archive.org/account/s3.php)"
        super().__init__(
            f"{need}, and {reason}"
            if reason
            else f"{need}: store them in the system keychain with `policydiff keys --set` at a terminal, "
            "or set IA_ACCESS_KEY and IA_SECRET_KEY"
        )


class KeysRefusedError(ArchiveResponseError):
    """The Internet Archive answered 401/403 to the user's S3 keys: they are wrong or revoked."""


class KeychainError(ArchiverError):
    """The system keychain is missing, locked, or refused to store or read the keys."""

    exit_code = 2


class UnreachableError(NetworkError):
    """A host could not be reached at all. ``offline`` is True when the cause cannot pass by
    retrying at once (the name does not resolve, no route to the network): said after one attempt.
    ``reason`` is the short cause ("name does not resolve", "no route to the network", ...)."""

    kind = ErrorKind.CONNECTION

    def __init__(self, url: str, host: str, reason: str, attempts: int, offline: bool) -> None:
        self.host = host
        self.reason = reason
        self.attempts = attempts
        self.offline = offline
        if offline:
            text = (
                f"cannot reach {host}: {reason} (this computer looks offline, or the name is wrong); "
                "check the network connection and run the command again (it resumes where it stopped)"
            )
        else:
            text = (
                f"cannot reach {host} ({reason}) after {attempts} attempts; check the network "
                "connection and run the command again (it resumes where it stopped)"
            )
        super().__init__(text, url)


class ArchiveIndexMissingError(StorageError):
    """The database is missing or empty while raw files (or a ledger journal) are there: opening
    would quietly start an empty archive and hide them, so it is refused."""

    def __init__(self, path: str, state: str, blobs: int, journal: bool) -> None:
        self.path = path
        self.state = state
        self.blobs = blobs
        self.journal = journal
        held = " and ".join(
            part
            for part in (f"{blobs} raw file(s)" if blobs else "", "its ledger journal" if journal else "")
            if part
        )
        how = (
            "Rebuild the database from them with 'policydiff recover' (or restore archive.sqlite3 "
            "from a backup)"
            if journal
            else "There is no ledger journal to rebuild it from: restore archive.sqlite3 from a backup"
        )
        super().__init__(
            f"the archive database {path} is {state}, but the archive holds {held}; nothing was changed. {how}"
        )


class DamagedDatabaseError(CorruptArchiveError):
    """The database cannot be read; ``diagnosis`` says how it is damaged, the message how to
    recover (rebuilding it from the raw files and the ledger journal)."""

    def __init__(self, path: str, reason: str, diagnosis: str) -> None:
        self.path = path
        self.diagnosis = diagnosis
        detail = diagnosis if reason in diagnosis else f"{diagnosis} ({reason})"
        StorageError.__init__(
            self,
            f"the archive database {path} is damaged: {detail}; nothing was changed. "
            "'policydiff recover' rebuilds it from the raw files and the ledger journal, keeping the "
            "damaged file aside (or restore archive.sqlite3 from a backup)",
        )


class JournalAheadError(StorageError):
    """The database is behind a journal beside it, or tells another story (an older copy of
    archive.sqlite3 put back while the journals went on): the next change would take an entry the
    journal already holds and the two would part silently, so opening it for writing is refused.
    ``found`` says, for each such journal, what it holds that the database lacks."""

    kind = ErrorKind.JOURNAL_AHEAD

    def __init__(self, path: str, found: Sequence[str]) -> None:
        self.path = path
        self.found = tuple(found)
        super().__init__(
            f"the archive database {path} is behind its journals, as an older copy put back would be "
            f"({'; '.join(self.found)}); nothing was changed. 'policydiff recover' rebuilds the database "
            "from the journals and the raw files, keeping the current database file aside"
        )


class WatchlistError(UsageError):
    """A topic watchlist file that cannot be used (unreadable, not JSON, a topic without terms…)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"topic watchlist {path}: {reason}")
