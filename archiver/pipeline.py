"""Compose extraction and storage: every way a capture enters the archive goes through here.

Raw bytes are stored even when their text cannot be extracted (nothing fetched is lost); the
extraction error is returned so the caller can report it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .errors import ArchiverError, ExtractionError, InputFileError, UsageError
from .extraction import extract_capture, from_markdown, sniff_kind
from .extraction import reextract as extract_again
from .extraction.fingerprint import Fingerprint, current_fingerprint
from .extraction.reextract import is_outdated
from .index.search import update_index
from .models import Capture, Extraction, Flag, Policy, Progress, Source
from .pllc import PllcFormatError, looks_like_pllc, parse_pllc
from .storage import Archive
from .timestamps import from_datetime, now_iso, parse_date_arg
from .urls import normalize_url

log = logging.getLogger(__name__)

PLLC_ARCHIVE = "https://web.archive.org/web/"


@dataclass(frozen=True, slots=True)
class ImportResult:
    path: str
    capture: Capture | None  # None when the file could not be imported
    created: bool  # False: the same capture was already archived
    warning: str = ""  # e.g. why no text could be extracted (the bytes are kept)
    error: str = ""  # why nothing was imported


def store_capture(
    archive: Archive, policy: Policy, capture: Capture, body: bytes
) -> tuple[Capture, bool, str]:
    """Store raw bytes and their extracted text. Returns (stored capture, created, warning)."""
    warning = ""
    try:
        extraction: Extraction | None = extract_capture(capture, body, policy.rules)
    except ExtractionError as exc:
        extraction, warning = None, f"bytes kept, but no text: {exc}"
    stored, created = archive.add_capture(policy, capture, body, extraction)
    return stored, created, warning


def import_paths(
    archive: Archive, paths: Sequence[str], url: str | None = None, date: str | None = None
) -> Iterator[ImportResult]:
    """Import local files one by one (each in its own transaction), yielding what happened to each.

    Princeton-Leuven Markdown carries its own URL and date; HTML and PDF files need ``url``, and
    their date defaults to the file's modification time.
    """
    display_url = normalize_url(url) if url else None
    timestamp = parse_date_arg(date) if date else None
    for raw_path in paths:
        path = Path(raw_path)
        try:
            yield _import_one(archive, path, display_url, timestamp)
        except ArchiverError as exc:
            if isinstance(exc, UsageError):
                raise
            yield ImportResult(str(path), None, False, error=str(exc))


def _import_one(archive: Archive, path: Path, url: str | None, timestamp: str | None) -> ImportResult:
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise InputFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a folder; give the files inside it") from None
    except OSError as exc:
        raise InputFileError(str(path), exc.strerror or str(exc)) from None
    if not data:
        raise InputFileError(str(path), "the file is empty")
    if looks_like_pllc(data) or path.suffix.lower() in (".txt", ".md") and data.lstrip().startswith(b">"):
        return _import_pllc(archive, path, data)
    if url is None:
        raise UsageError(f"{path}: importing an HTML or PDF file needs --url (the page it is a copy of)")
    content_type = _readable_type(path, data)
    capture = Capture(
        id=0,
        policy_id=0,
        source=Source.FILE,
        timestamp=timestamp or from_datetime(datetime.fromtimestamp(mtime, UTC)),
        original_url=url,
        retrieved_at=now_iso(),
        content_type=content_type,
        provenance=f"local file {os.path.abspath(path)}",
    )
    policy = archive.ensure_policy(url)
    stored, created, warning = store_capture(archive, policy, capture, data)
    return ImportResult(str(path), stored, created, warning=warning)


def _import_pllc(archive: Archive, path: Path, data: bytes) -> ImportResult:
    try:
        doc = parse_pllc(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputFileError(str(path), "a Princeton-Leuven file must be UTF-8 text") from None
    except PllcFormatError as exc:
        raise InputFileError(str(path), f"unreadable Princeton-Leuven header: {exc}") from None
    url = normalize_url(doc.url)
    extraction = from_markdown(doc.text)
    extraction = _with_flag(extraction, Flag.NO_RAW_BYTES)
    capture = Capture(
        id=0,
        policy_id=0,
        source=Source.PLLC,
        timestamp=doc.timestamp,
        original_url=url,
        archive=PLLC_ARCHIVE,
        memento_url=doc.memento_url,
        retrieved_at=now_iso(),
        content_type="text/markdown",
        size=len(data),
        provenance=f"Princeton-Leuven corpus file {path.name}; text made from {doc.memento_url}",
        flags=(Flag.NO_RAW_BYTES.value,),
    )
    policy = archive.ensure_policy(url, label=doc.site)
    stored, created = archive.add_capture(policy, capture, None, extraction)
    return ImportResult(str(path), stored, created)


def _with_flag(extraction: Extraction, flag: Flag) -> Extraction:
    return replace(extraction, flags=tuple(sorted(set(extraction.flags) | {flag.value})))


def _readable_type(path: Path, data: bytes) -> str:
    """The content type to store a local file as, or InputFileError saying why it cannot be read
    (an image, an archive, random bytes): the bytes are judged first, as `extract` does, so that no
    name (``scan.html``) lets a binary in as a version of thousands of garbled words."""
    try:
        kind = sniff_kind(data)
    except ExtractionError as exc:
        raise InputFileError(
            str(path),
            f"not something policydiff can read ({exc}); import HTML, PDF, text, "
            "Markdown, WARC, WACZ or Princeton-Leuven files",
        ) from None
    suffix = path.suffix.lower()
    if kind == "pdf":
        return "application/pdf"
    if suffix == ".pdf":
        raise InputFileError(str(path), "named .pdf but it is not a PDF (no %PDF- header)")
    if kind == "html" or suffix in (".html", ".htm", ".xhtml", ".shtml"):
        return "text/html"
    return "text/markdown" if suffix in (".md", ".markdown") else "text/plain"


@dataclass(frozen=True, slots=True)
class ReextractChange:
    """A capture whose text changes (or changed, when applied) on re-extraction; ``new_text_sha256``
    empty: extraction failed, the old text is kept. ``version``: the number (from 1) of the version
    the capture belongs to before the change, 0 when it had no text."""

    policy: Policy
    capture: Capture
    old_text_sha256: str
    new_text_sha256: str
    error: str = ""
    version: int = 0
    old_words: int = 0
    new_words: int = 0


@dataclass(frozen=True, slots=True)
class ReextractSummary:
    """The end of a re-extraction: how many captures were out of date, what differs in their
    fingerprints (``name old → new`` lines), and whether the new texts were stored."""

    checked: int
    outdated: int
    changed: int
    failed: int
    fingerprint: str  # the current one
    differences: tuple[str, ...]
    applied: bool


def reextract(
    archive: Archive, policy: Policy | None = None, *, apply: bool = False, fingerprint: str | None = None
) -> Iterator[Progress | ReextractChange | ReextractSummary]:
    """Re-run extraction over stored captures whose extraction is out of date (another extractor
    version or another extraction fingerprint, ``fingerprint`` being the current one: by default this
    process's); yield each capture whose text would change, then a summary.

    Nothing is stored unless ``apply``: a library upgrade must never silently create or merge
    versions. Raw bytes are never touched; text-only captures (Princeton-Leuven imports) are
    re-normalised from their stored text. A capture whose extraction now fails keeps its old text.
    """
    current = current_fingerprint() if fingerprint is None else fingerprint
    now = Fingerprint.parse(current)
    policies = [policy] if policy else archive.policies()
    todo = [(p, c) for p in policies for c in archive.captures(p.id)]
    outdated = changed = failed = 0
    differences: dict[str, None] = {}
    numbers: dict[int, dict[int, int]] = {}  # policy id -> capture id -> version number
    for done, (pol, cap) in enumerate(todo, 1):
        yield Progress(done - 1, len(todo), f"{pol.url} @ {cap.timestamp}")
        old = archive.extraction(cap.id)
        if not is_outdated(old, current):
            continue  # up to date: its raw bytes are not even read
        outdated += 1
        if old is not None:
            differences.update(dict.fromkeys(now.changes_from(Fingerprint.parse(old.fingerprint))))
        if pol.id not in numbers:
            numbers[pol.id] = {c.id: v.index + 1 for v in archive.versions(pol.id) for c in v.captures}
        number = numbers[pol.id].get(cap.id, 0)
        old_sha, old_words = (old.text_sha256, old.words) if old else ("", 0)
        try:
            body = archive.read_body(cap) if cap.sha256 else None
        except ArchiverError as exc:  # a damaged raw file: report it, keep going
            failed += 1
            yield ReextractChange(pol, cap, old_sha, "", str(exc), number, old_words)
            continue
        for result in extract_again([(cap, body, old)], pol.rules, fingerprint=current):
            if result.new is None:
                failed += 1
                log.warning("%s @ %s: %s", pol.url, cap.timestamp, result.error)
                yield ReextractChange(pol, cap, old_sha, "", result.error, number, old_words)
                continue
            if apply:
                archive.set_extraction(cap.id, result.new)
            if result.changed:
                changed += 1
                new = result.new
                yield ReextractChange(pol, cap, old_sha, new.text_sha256, "", number, old_words, new.words)
    # the search index: checked, rebuilt if damaged, completed where a catch-up was cut short
    for done, total in update_index(archive, check=True):
        yield Progress(done, total, "search index")
    yield Progress(len(todo), len(todo), "")
    yield ReextractSummary(len(todo), outdated, changed, failed, current, tuple(differences), apply)
