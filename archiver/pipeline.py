"""Compose extraction and storage: every way a capture enters the archive goes through here.

Raw bytes are stored even when their text cannot be extracted (nothing fetched is lost); the
extraction error is returned so the caller can report it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .capture_dates import CaptureDate, DateSource, from_file_name, in_future, saved_response
from .errors import ArchiverError, ExtractionError, InputFileError, InvalidDateError, UsageError
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


@dataclass(frozen=True, slots=True)
class ImportResult:
    path: str
    capture: Capture | None  # None when the file could not be imported
    created: bool  # False: the same capture was already archived
    warning: str = ""  # e.g. why no text could be extracted (the bytes are kept)
    error: str = ""  # why nothing was imported


def store_capture(
    archive: Archive, policy: Policy, capture: Capture, body: bytes, date: CaptureDate | None = None
) -> tuple[Capture, bool, str]:
    """Store raw bytes and their extracted text (and, when it is not the default of the capture's
    source, where its date came from). Returns (stored capture, created, warning).

    The memento a text-only corpus capture was made from becomes that capture's raw bytes
    (archiver/attached.py) instead of a second capture: (corpus capture, False, note) is returned."""
    from .attached import attach, corpus_capture

    corpus = corpus_capture(archive, policy, capture)
    if corpus is not None:
        attached = attach(archive, policy, corpus, capture, body)
        return corpus, False, f"kept as the source of the corpus text: {attached.describe()}"
    warning = ""
    try:
        extraction: Extraction | None = extract_capture(capture, body, policy.rules)
    except ExtractionError as exc:
        extraction, warning = None, f"bytes kept, but no text: {exc}"
    stored, created = archive.add_capture(policy, capture, body, extraction, date)
    return stored, created, warning


def import_paths(
    archive: Archive,
    paths: Sequence[str],
    url: str | None = None,
    date: str | None = None,
    *,
    date_from_mtime: bool = False,
    dated: Mapping[str, CaptureDate] | None = None,
) -> Iterator[ImportResult]:
    """Import local files one by one (each in its own transaction), yielding what happened to each.

    Princeton-Leuven Markdown carries its own URL and date. HTML, PDF and text files need ``url``
    and a capture date with a stated source (archiver/capture_dates.py): ``date`` (for one file),
    else the HTTP Date saved with the page or a timestamp in the file name, else the file's
    modification time when ``date_from_mtime`` says so; ``dated`` gives some files their date and
    its source (the app asks, prefilled). Files without one are refused, all of them before anything
    is stored (UsageError saying how to date them); so is a date in the future.
    """
    display_url = normalize_url(url) if url else None
    given = parse_date_arg(date) if date else None
    if given is not None and in_future(given):
        raise InvalidDateError(date or "", "it is in the future (times are UTC); a capture cannot be")
    if given is not None and date_from_mtime:
        raise UsageError("give --date or --date-from-mtime, not both")
    plan = _dating_plan(paths, given, date_from_mtime, dated or {})
    for raw_path in paths:
        path = Path(raw_path)
        try:
            yield _import_one(archive, path, display_url, plan.get(raw_path))
        except ArchiverError as exc:
            if isinstance(exc, UsageError):
                raise
            yield ImportResult(str(path), None, False, error=str(exc))


def _dating_plan(
    paths: Sequence[str], given: str | None, from_mtime: bool, dated: Mapping[str, CaptureDate]
) -> dict[str, CaptureDate | None]:
    """Each file's capture date with its source (None: it dates itself, or cannot be read, which
    its import then says). Raises UsageError when a file has no date and none was given for it."""
    plan: dict[str, CaptureDate | None] = {}
    undated: list[str] = []
    for raw in paths:
        path = Path(raw)
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            plan[raw] = None  # the import says why
            continue
        if _is_pllc(path, data):
            plan[raw] = None
            continue
        own = own_date(path, data)
        if raw in dated:
            plan[raw] = dated[raw]
        elif given is not None:  # said explicitly: it wins over what the file says
            plan[raw] = CaptureDate(given, DateSource.GIVEN, "--date")
        elif own is not None:
            plan[raw] = own
        elif from_mtime and not in_future(stamp := from_datetime(datetime.fromtimestamp(mtime, UTC))):
            plan[raw] = CaptureDate(stamp, DateSource.FILE_MTIME, "--date-from-mtime")
        else:
            undated.append(raw)
    if given is not None:
        mine = [raw for raw, when in plan.items() if when is not None and when.source is DateSource.GIVEN]
        if len(mine) > 1:
            raise UsageError(
                f"--date gives one capture time, and {len(mine)} files would all get it (their "
                "versions could not be told apart); import them one at a time with --date, or "
                "name each file by its capture time (e.g. 20230425183000.html)"
            )
    elif undated:
        shown = ", ".join(undated[:3]) + (f" and {len(undated) - 3} more" if len(undated) > 3 else "")
        raise UsageError(
            f"no capture date for {shown}: neither a saved HTTP Date nor a timestamp in the file "
            "name; give --date YYYYMMDDhhmmss (one file at a time), name the files by their capture "
            "time (e.g. 20230425183000.html), or --date-from-mtime to date each by when the file was "
            "saved (said as such in its provenance)"
        )
    return plan


def own_date(path: Path, data: bytes) -> CaptureDate | None:
    """The capture date a local file carries itself: a saved HTTP Date, else a timestamp in its
    name (one in the future does not count); None when it has none."""
    saved = saved_response(data)
    if saved is not None and saved.date and not in_future(saved.date):
        return CaptureDate(saved.date, DateSource.HTTP_DATE, "Date header")
    named = from_file_name(path.name)
    if named is not None and not in_future(named):
        return CaptureDate(named, DateSource.FILE_NAME, path.name)
    return None


def _is_pllc(path: Path, data: bytes) -> bool:
    return looks_like_pllc(data) or (
        path.suffix.lower() in (".txt", ".md") and data.lstrip().startswith(b">")
    )


def _import_one(archive: Archive, path: Path, url: str | None, when: CaptureDate | None) -> ImportResult:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a folder; give the files inside it") from None
    except (OSError, ValueError) as exc:
        raise InputFileError(str(path), getattr(exc, "strerror", None) or str(exc)) from None
    if not data:
        raise InputFileError(str(path), "the file is empty")
    if _is_pllc(path, data):
        return _import_pllc(archive, path, data)
    if url is None:
        raise UsageError(f"{path}: importing an HTML or PDF file needs --url (the page it is a copy of)")
    if when is None:  # the plan had it; only a file changed since could lack it
        raise InputFileError(str(path), "no capture date (see 'policydiff import --help')")
    saved = saved_response(data)
    body = saved.body if saved is not None else data
    if not body:
        raise InputFileError(str(path), "the saved response has no body")
    content_type = _readable_type(path, body)
    capture = Capture(
        id=0,
        policy_id=0,
        source=Source.FILE,
        timestamp=when.timestamp,
        original_url=url,
        retrieved_at=now_iso(),
        http_status=saved.status if saved is not None else None,
        headers=saved.headers if saved is not None else (),
        content_type=content_type,
        provenance=f"local file {os.path.abspath(path)}; dated by {when.describe()}",
    )
    policy = archive.ensure_policy(url)
    stored, created, warning = store_capture(archive, policy, capture, body, when)
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
        archive=doc.archive,  # the archive its header links to; "" when no archive holds it
        memento_url=doc.memento_url,
        retrieved_at=now_iso(),
        content_type="text/markdown",
        size=len(data),
        provenance=(
            f"Princeton-Leuven corpus file {path.name}; text made from {doc.memento_url}"
            if doc.memento_url
            else f"Princeton-Leuven file {path.name}; captured from {doc.origin}, not by a web archive"
        ),
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
    archive: Archive,
    policy: Policy | None = None,
    *,
    apply: bool = False,
    fingerprint: str | None = None,
    force: bool = False,
) -> Iterator[Progress | ReextractChange | ReextractSummary]:
    """Re-run extraction over stored captures whose extraction is out of date (another extractor
    version or another extraction fingerprint, ``fingerprint`` being the current one: by default this
    process's; ``force``: every capture, as after a change of the policy's rules); yield each
    capture whose text would change, then a summary.

    Nothing is stored unless ``apply``: a library upgrade must never silently create or merge
    versions. Raw bytes are never touched; text-only captures (Princeton-Leuven imports) are
    re-normalised from their stored text. A capture whose extraction now fails keeps its old text.
    Either way the search index is then checked and completed (rebuilt whole if damaged): it is
    made from the stored texts, so this changes no version.
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
        if not force and not is_outdated(old, current):
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
        for result in extract_again(
            [(cap, body, old)], pol.rules, only_outdated=not force, fingerprint=current
        ):
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
