"""Listing captures: the IA CDX server, pywb's CDX, or any Memento TimeMap, as one lazy iterator.

Rows are cleaned on the way (docs/protocols.md §1; docs/fault-cases.md cases 9-13, 33, 34): repeated rows dropped,
malformed rows skipped with a warning, bad 00 months/days repaired, default ports stripped, and
only variants of the asked-for policy (scheme, www., utm_*) kept.

Deviation from docs/fault-cases.md case 11: we do not send ``resolveRevisits=true``. It would
replace a revisit's ``warc/revisit`` marker with the original's type and status, and the marker is
what lets the fetch job reuse bytes it already has instead of downloading a revisit again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ArchiveResponseError, BlockedError, ErrorKind, InvalidURLError
from ..timestamps import to_datetime
from ..urls import normalize_url, policy_key
from .endpoints import ArchiveEndpoint, ArchiveKind
from .iacdx import IA_FIELDS, PAGE_SIZE, ia_cdx_rows, parse_ia_json
from .memento import parse_pywb_ndjson, pywb_cdx_rows, timemap_rows
from .pacer import LISTING
from .rows import (
    LISTING_READ_TIMEOUT,
    ListedCapture,
    ListingQuery,
    ResumePoint,
    make_query,
    raise_for_cdx_error,
)
from .session import Session

__all__ = [
    "ListedCapture",
    "ListingQuery",
    "ResumePoint",
    "clean_original",
    "list_captures",
    "make_query",
    "repair_timestamp",
    "same_url",
    "similar_urls",
]

log = logging.getLogger(__name__)

MAX_ROWS = 100_000
#: At most this many URLs are suggested when a URL has no captures.
SUGGESTIONS = 8
# A suggestion is a courtesy: an archive that is slow or busy (a timeout, 5xx, 429) is not asked again.
_COURTESY: dict[str, Any] = {"read_timeout": 30.0, "retries": 0}


def list_captures(
    session: Session,
    endpoint: ArchiveEndpoint,
    url: str,
    from_date: str | None = None,
    to_date: str | None = None,
    *,
    cancel: threading.Event | None = None,
    page_size: int = PAGE_SIZE,
    filters: tuple[str, ...] = (),
    collapse: tuple[str, ...] = (),
    max_rows: int = MAX_ROWS,
    resume: ResumePoint | None = None,
    on_page: Callable[[ResumePoint | None], None] | None = None,
    read_timeout: float = LISTING_READ_TIMEOUT,
) -> Iterator[ListedCapture]:
    """Every capture of ``url``'s policy in the archive, oldest first as the archive sends them.

    Validation happens here, eagerly; the rows come lazily. ``filters`` and ``collapse`` are IA CDX
    syntax, sent to IA only (pywb treats them differently; docs/pywb.md). An IA listing starts at
    ``resume`` if given, and reports where it would go on (None at the end) to ``on_page`` after
    each page and each halving of the page size (key None before the first page), so an interrupted
    listing need not start again (docs/fault-cases.md case 8); other archives do not page by key and ignore both.
    """
    query = make_query(url, from_date, to_date)
    raw = _raw_rows(
        session, endpoint, query, cancel, page_size, filters, collapse, resume, on_page, read_timeout
    )
    return _clean(raw, query, max_rows)


def same_url(original: str, url: str) -> bool:
    """Whether a listed capture's URL is ``url`` exactly (the normalised form of what was typed),
    not one of its variants (http/https, www., trailing slash, utm_*) that share its policy."""
    try:
        return normalize_url(original) == url
    except InvalidURLError:
        return False


def similar_urls(
    session: Session,
    endpoint: ArchiveEndpoint,
    url: str,
    from_date: str | None = None,
    to_date: str | None = None,
    *,
    cancel: threading.Event | None = None,
    limit: int = SUGGESTIONS,
) -> tuple[str, ...]:
    """URLs near ``url`` that the archive holds captures of, for when ``url`` itself has none
    (docs/fault-cases.md case 5): a policy that moved to ``/privacy-policy`` or ``/privacy/en``.

    One prefix search on the URL's own path (with its query, if it has one), and, if that finds
    nothing, one on its parent folder; never the whole site (a prefix search of a large host is slow
    for the archive), so a URL at the root of a site gets none. Successful captures in the date
    range only, one URL per page (its variants are one policy). Each request is asked once: a busy
    archive is not asked again for a courtesy. Memento TimeMaps cannot search by prefix: () for them.
    """
    query = make_query(url, from_date, to_date)
    if endpoint.kind is ArchiveKind.TIMEMAP:
        return ()
    parts = urlsplit(query.url)
    path = parts.path.rstrip("/")
    if not path:
        return ()
    if parts.query:
        prefixes = [f"{parts.netloc}{parts.path}?{parts.query}"]
    else:
        prefixes = [parts.netloc + path]
        parent = path.rsplit("/", 1)[0]
        if parent:
            prefixes.append(f"{parts.netloc}{parent}/")
    for prefix in prefixes:
        found: dict[str, str] = {}
        originals = _originals_under(session, endpoint, prefix, query, cancel, limit * 5)
        if originals is None:
            return ()
        for original in originals:
            cleaned = clean_original(original)
            if cleaned is None:
                continue
            key = policy_key(cleaned)
            if key != query.key and key not in found:
                found[key] = cleaned
        if found:  # those that name what the URL named first ('privacy' in /legal/privacy), shortest first
            word = path.rsplit("/", 1)[-1].lower()
            return tuple(sorted(found.values(), key=lambda u: (word not in u.lower(), len(u)))[:limit])
    return ()


def _originals_under(
    session: Session,
    endpoint: ArchiveEndpoint,
    prefix: str,
    query: ListingQuery,
    cancel: threading.Event | None,
    rows: int,
) -> list[str] | None:
    """The captured URLs that start with ``prefix`` (host and path, no scheme), status 200, in the
    query's dates; None when the archive has no CDX to search by prefix."""
    dates = {k: v for k, v in (("from", query.from_ts), ("to", query.to_ts)) if v}
    if endpoint.kind is ArchiveKind.IA:
        params: dict[str, str] = {
            **dates,
            "url": prefix,
            "matchType": "prefix",
            "collapse": "urlkey",
            "filter": "statuscode:200",
            "fl": ",".join(IA_FIELDS),
            "output": "json",
            "limit": str(rows),
        }
        resp = session.request(endpoint.cdx_url, group=LISTING, params=params, cancel=cancel, **_COURTESY)
        raise_for_cdx_error(resp, prefix)
        return [r.original for r in parse_ia_json(resp.content)[0]]
    params = {
        **dates,
        "url": prefix,
        "matchType": "prefix",
        "filter": "statuscode:200",
        "allowFuzzy": "false",
        "output": "json",
        "limit": str(rows),
    }
    resp = session.request(endpoint.cdx_url, group=LISTING, params=params, cancel=cancel, **_COURTESY)
    if resp.status_code != 200 or "json" not in resp.headers.get("Content-Type", "").lower():
        if endpoint.kind is ArchiveKind.AUTO:
            return None  # not a pywb CDX endpoint: a TimeMap archive, which has no prefix search
        raise_for_cdx_error(resp, prefix)
        return None
    return [r.original for r in parse_pywb_ndjson(resp.content)]


def _raw_rows(
    session: Session,
    endpoint: ArchiveEndpoint,
    query: ListingQuery,
    cancel: threading.Event | None,
    page_size: int,
    filters: tuple[str, ...],
    collapse: tuple[str, ...],
    resume: ResumePoint | None,
    on_page: Callable[[ResumePoint | None], None] | None,
    read_timeout: float,
) -> Iterator[ListedCapture]:
    if endpoint.kind is ArchiveKind.IA:
        key = resume.key if resume else None
        size = resume.page_size if resume else page_size
        if resume is None or resume.endpoint == "ia-cdx":
            try:
                yield from ia_cdx_rows(
                    session,
                    endpoint.cdx_url,
                    query,
                    cancel,
                    size,
                    filters,
                    collapse,
                    "ia-cdx",
                    resume=key,
                    on_page=_reporter(on_page, "ia-cdx"),
                    read_timeout=read_timeout,
                )
                return
            except BlockedError as exc:
                if exc.kind is not ErrorKind.ROBOTS:
                    raise
                # IA staff: /web/timemap ignores robots.txt the way playback does (edgi#8)
                log.warning(
                    "CDX honours robots.txt for %s; listing from the Wayback TimeMap instead", query.url
                )
                key = None
        yield from ia_cdx_rows(
            session,
            endpoint.timemap_json_url,
            query,
            cancel,
            size,
            filters,
            collapse,
            "ia-timemap",
            resume=key,
            on_page=_reporter(on_page, "ia-timemap"),
            read_timeout=read_timeout,
        )
    elif endpoint.kind is ArchiveKind.PYWB:
        rows = pywb_cdx_rows(session, endpoint, query, cancel, read_timeout)
        if rows is None:
            raise ArchiveResponseError(
                f"{endpoint.cdx_url} is not a pywb CDX endpoint; try --archive-kind timemap"
            )
        yield from rows
    elif endpoint.kind is ArchiveKind.TIMEMAP:
        yield from timemap_rows(session, endpoint, query, cancel, read_timeout)
    else:
        rows = pywb_cdx_rows(session, endpoint, query, cancel, read_timeout)
        yield from rows if rows is not None else timemap_rows(session, endpoint, query, cancel, read_timeout)


def _reporter(
    on_page: Callable[[ResumePoint | None], None] | None, label: str
) -> Callable[[str | None, int, bool], None] | None:
    if on_page is None:
        return None
    report = on_page
    return lambda key, size, more: report(ResumePoint(label, key, size) if more else None)


def _clean(rows: Iterator[ListedCapture], query: ListingQuery, max_rows: int) -> Iterator[ListedCapture]:
    seen: set[tuple[str, str, str | None, int | None]] = set()
    # a listing repeats a handful of URL variants: check each once (a 100k-row listing stays fast)
    variants: dict[str, str | None] = {}
    count = 0
    for row in rows:
        ts = repair_timestamp(row.timestamp)
        if ts is None:
            log.warning("skipped a row with a malformed timestamp %r", row.timestamp)
            continue
        if row.original not in variants:
            cleaned = clean_original(row.original)
            if cleaned is None:
                log.warning("skipped a row with a malformed URL %r", row.original)
            elif policy_key(cleaned) != query.key:
                log.info("skipped %s: another URL than %s", cleaned, query.url)
                cleaned = None
            variants[row.original] = cleaned
        original = variants[row.original]
        if original is None:
            continue
        if query.from_ts and ts < query.from_ts or query.to_ts and ts > query.to_ts:
            continue
        dedupe = (ts, original, row.digest, row.status)
        if dedupe in seen:
            continue
        seen.add(dedupe)
        count += 1
        if count > max_rows:
            log.warning("stopped listing after %d captures (the per-job cap); narrow --from/--to", max_rows)
            return
        yield ListedCapture(
            ts, original, row.mimetype, row.status, row.digest, row.length, row.urlkey, row.endpoint
        )


def repair_timestamp(value: str) -> str | None:
    """14 digits; a "00" inserted before the month or day (bad 2000-era crawls) removed.

    IA found the "00" was always an insertion that pushed the rest out by two digits, so it is
    dropped and the truncated seconds padded (edgi's wayback ``parse_timestamp``): 20000008241731
    is 2000-08-24 17:31.
    """
    digits = value.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        return None
    if len(digits) < 14:
        digits += "00000101000000"[len(digits) :]
    if digits[6:8] == "00":
        digits = digits[:6] + digits[8:] + "00"
    if digits[4:6] == "00":
        digits = digits[:4] + digits[6:] + "00"
    if digits != value.strip():
        log.warning("repaired malformed timestamp %s to %s", value, digits)
    try:
        to_datetime(digits)
    except ValueError:
        return None
    return digits


def clean_original(value: str) -> str | None:
    """The captured URL with a default port stripped, or None for junk (mailto:, data:, hostless)."""
    text = value.strip()
    if not text.lower().startswith(("http://", "https://")):
        return None
    try:
        normalize_url(text)
        parts = urlsplit(text)
        port = parts.port
    except (InvalidURLError, ValueError):
        return None
    if not parts.hostname or "@" in parts.netloc:
        return None
    if port is not None and (parts.scheme.lower(), port) in (("http", 80), ("https", 443)):
        text = urlunsplit((parts.scheme, parts.netloc.rsplit(":", 1)[0], parts.path, parts.query, ""))
    return text.split("#", 1)[0]
