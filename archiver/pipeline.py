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
from .extraction import EXTRACTOR_VERSION, extract_capture, from_markdown
from .extraction import reextract as extract_again
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
    content_type = _content_type(path, data)
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


def _content_type(path: Path, data: bytes) -> str:
    if data.lstrip()[:5] == b"%PDF-" or path.suffix.lower() == ".pdf":
        return "application/pdf"
    if path.suffix.lower() in (".md", ".markdown"):
        return "text/markdown"
    if path.suffix.lower() == ".txt":
        return "text/plain"
    return "text/html"


@dataclass(frozen=True, slots=True)
class ReextractChange:
    """A capture whose text changed on re-extraction (``new_text_sha256`` empty: extraction failed)."""

    policy: Policy
    capture: Capture
    old_text_sha256: str
    new_text_sha256: str
    error: str = ""


def reextract(
    archive: Archive, policy: Policy | None = None, force: bool = False
) -> Iterator[Progress | ReextractChange]:
    """Re-run extraction over stored captures made by another extractor version (``force``: every
    capture, as after a change of the policy's rules); yield what changed.

    Raw bytes are never touched; text-only captures (Princeton-Leuven imports) are re-normalised
    from their stored text. A capture whose extraction now fails keeps its old text.
    """
    policies = [policy] if policy else archive.policies()
    todo = [(p, c) for p in policies for c in archive.captures(p.id)]
    for done, (pol, cap) in enumerate(todo, 1):
        yield Progress(done - 1, len(todo), f"{pol.url} @ {cap.timestamp}")
        old = archive.extraction(cap.id)
        if not force and old is not None and old.extractor_version == EXTRACTOR_VERSION:
            continue  # up to date: its raw bytes are not even read
        old_sha = old.text_sha256 if old else ""
        try:
            body = archive.read_body(cap) if cap.sha256 else None
        except ArchiverError as exc:  # a damaged raw file: report it, keep going
            yield ReextractChange(pol, cap, old_sha, "", str(exc))
            continue
        for result in extract_again([(cap, body, old)], pol.rules, only_outdated=not force):
            if result.new is None:
                log.warning("%s @ %s: %s", pol.url, cap.timestamp, result.error)
                yield ReextractChange(pol, cap, old_sha, "", result.error)
            else:
                archive.set_extraction(cap.id, result.new)
                if result.changed:
                    yield ReextractChange(pol, cap, old_sha, result.new.text_sha256)
    yield Progress(len(todo), len(todo), "")
