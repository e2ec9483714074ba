"""Listing captures: the IA CDX server, pywb's CDX, or any Memento TimeMap, as one lazy iterator.

Rows are cleaned on the way (PROTOCOLS.md §1.4, §8.3 cases 9-13, 33, 34): repeated rows dropped,
malformed rows skipped with a warning, bad 00 months/days repaired, default ports stripped, and
only variants of the asked-for policy (scheme, www., utm_*) kept.

Deviation from PROTOCOLS.md §8.3 case 11: we do not send ``resolveRevisits=true``. It would
replace a revisit's ``warc/revisit`` marker with the original's type and status, and the marker is
what lets the fetch job reuse bytes it already has instead of downloading a revisit again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests

from ..errors import ArchiveResponseError, BlockedError, InvalidDateError, InvalidURLError
from ..timestamps import from_datetime, parse_date_arg, to_datetime
from ..urls import normalize_url, policy_key
from .endpoints import ArchiveEndpoint, ArchiveKind
from .linkformat import parse_http_date, parse_link_format
from .pacer import LISTING
from .session import ServerError, Session

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
MIN_PAGE_SIZE = 100
MAX_ROWS = 100_000
MAX_TIMEMAP_PAGES = 20
LISTING_READ_TIMEOUT = 120.0
IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True, slots=True)
class ListedCapture:
    """One capture an archive lists (nothing downloaded yet)."""

    timestamp: str  # 14-digit UTC
    original: str  # the URL as captured (default port stripped): the variant
    mimetype: str | None  # None when the archive gives none (TimeMaps)
    status: int | None  # None for revisits ('-') and TimeMaps
    digest: str | None  # the archive's digest of the stored payload; not a fixity check
    length: int | None = None
    urlkey: str = ""
    endpoint: str = ""  # which listing produced it: ia-cdx, pywb-cdx, timemap

    @property
    def is_revisit(self) -> bool:
        return self.mimetype == "warc/revisit"

    @property
    def key(self) -> str:
        """Identifies the row across runs (the resume record of a fetch job)."""
        return f"{self.timestamp} {self.original}"


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """A validated listing request: built before any network call, so bad input never reaches one."""

    url: str  # normalised display form
    key: str  # policy_key of url
    from_ts: str | None
    to_ts: str | None


def make_query(url: str, from_date: str | None = None, to_date: str | None = None) -> ListingQuery:
    """Validate the URL and the 4-14 digit dates (raises InvalidURLError / InvalidDateError)."""
    display = normalize_url(url)
    from_ts = parse_date_arg(from_date, pad="down") if from_date else None
    to_ts = parse_date_arg(to_date, pad="up") if to_date else None
    if from_ts and to_ts and from_ts > to_ts:
        raise InvalidDateError(f"{from_date}..{to_date}", "--from is after --to")
    return ListingQuery(display, policy_key(display), from_ts, to_ts)


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
) -> Iterator[ListedCapture]:
    """Every capture of ``url``'s policy in the archive, oldest first as the archive sends them.

    Validation happens here, eagerly; the rows come lazily. ``filters`` and ``collapse`` are IA CDX
    syntax, sent to IA only (pywb treats them differently; PYWB.md).
    """
    query = make_query(url, from_date, to_date)
    return _clean(_raw_rows(session, endpoint, query, cancel, page_size, filters, collapse), query, max_rows)


def _raw_rows(
    session: Session,
    endpoint: ArchiveEndpoint,
    query: ListingQuery,
    cancel: threading.Event | None,
    page_size: int,
    filters: tuple[str, ...],
    collapse: tuple[str, ...],
) -> Iterator[ListedCapture]:
    if endpoint.kind is ArchiveKind.IA:
        try:
            yield from _ia_cdx(session, endpoint.cdx_url, query, cancel, page_size, filters, collapse, "ia-cdx")
        except BlockedError as exc:
            if "robots.txt" not in str(exc):
                raise
            # IA staff: /web/timemap ignores robots.txt the way playback does (edgi#8)
            log.warning("CDX honours robots.txt for %s; listing from the Wayback TimeMap instead", query.url)
            yield from _ia_cdx(session, endpoint.timemap_json_url, query, cancel, page_size, filters, collapse,
                               "ia-timemap")
    elif endpoint.kind is ArchiveKind.PYWB:
        rows = _pywb_cdx(session, endpoint, query, cancel)
        if rows is None:
            raise ArchiveResponseError(f"{endpoint.cdx_url} is not a pywb CDX endpoint; try --archive-kind timemap")
        yield from rows
    elif endpoint.kind is ArchiveKind.TIMEMAP:
        yield from _timemap(session, endpoint, query, cancel)
    else:
        rows = _pywb_cdx(session, endpoint, query, cancel)
        yield from rows if rows is not None else _timemap(session, endpoint, query, cancel)


def _clean(rows: Iterator[ListedCapture], query: ListingQuery, max_rows: int) -> Iterator[ListedCapture]:
    seen: set[tuple[str, str, str | None, int | None]] = set()
    count = 0
    for row in rows:
        ts = repair_timestamp(row.timestamp)
        if ts is None:
            log.warning("skipped a row with a malformed timestamp %r", row.timestamp)
            continue
        original = clean_original(row.original)
        if original is None:
            log.warning("skipped a row with a malformed URL %r", row.original)
            continue
        if query.from_ts and ts < query.from_ts or query.to_ts and ts > query.to_ts:
            continue
        if policy_key(original) != query.key:
            log.info("skipped %s: another URL than %s", original, query.url)
            continue
        dedupe = (ts, original, row.digest, row.status)
        if dedupe in seen:
            continue
        seen.add(dedupe)
        count += 1
        if count > max_rows:
            log.warning("stopped listing after %d captures (the per-job cap); narrow --from/--to", max_rows)
            return
        yield ListedCapture(ts, original, row.mimetype, row.status, row.digest, row.length, row.urlkey,
                            row.endpoint)


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


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) and value not in ("", "-") else None


# --- Internet Archive CDX ------------------------------------------------------------------------


def _scheme_less(url: str) -> str:
    """SURT ignores the scheme: query CDX without it, so http and https captures both come back."""
    return url.split("://", 1)[1]


def _ia_cdx(
    session: Session,
    cdx_url: str,
    query: ListingQuery,
    cancel: threading.Event | None,
    page_size: int,
    filters: tuple[str, ...],
    collapse: tuple[str, ...],
    label: str,
) -> Iterator[ListedCapture]:
    base: list[tuple[str, str]] = [
        ("url", _scheme_less(query.url)),
        ("output", "json"),
        ("fl", ",".join(IA_FIELDS)),
        ("showResumeKey", "true"),
    ]
    if query.from_ts:
        base.append(("from", query.from_ts))
    if query.to_ts:
        base.append(("to", query.to_ts))
    base += [("filter", f) for f in filters] + [("collapse", c) for c in collapse]
    resume: str | None = None
    seen_keys: set[str] = set()
    limit = page_size
    while True:
        params = [*base, ("limit", str(limit))] + ([("resumeKey", resume)] if resume else [])
        try:
            resp = session.request(cdx_url, group=LISTING, params=_Params(params),
                                   read_timeout=LISTING_READ_TIMEOUT, cancel=cancel)
        except ServerError as exc:
            if exc.status == 504 and limit > MIN_PAGE_SIZE:
                limit = max(MIN_PAGE_SIZE, limit // 2)
                log.warning("CDX timed out; asking for pages of %d rows", limit)
                continue
            raise
        _raise_for_cdx_error(resp, query.url)
        rows, next_key = parse_ia_json(resp.content, label)
        yield from rows
        if not next_key:
            return
        if next_key in seen_keys or not rows:
            log.warning("CDX resume key repeated or page empty; stopped paging to avoid a loop")
            return
        seen_keys.add(next_key)
        resume = next_key


class _Params(dict[str, list[str]]):
    """Repeated query parameters (filter, collapse) for requests, in order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        for key, value in pairs:
            self.setdefault(key, []).append(value)


def _raise_for_cdx_error(resp: requests.Response, url: str) -> None:
    text = resp.text[:2000] if resp.status_code != 200 else ""
    runtime = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
    both = runtime + " " + text
    if "AdministrativeAccessControlException" in both or "Blocked Site" in both:
        raise BlockedError(url, "the site is excluded from the Wayback Machine (takedown or owner's request); "
                                "try another archive with --archive-url")
    if "RobotAccessControlException" in both:
        raise BlockedError(url, "blocked by the site's robots.txt at the Wayback Machine; "
                                "try another archive with --archive-url")
    if resp.status_code != 200:
        first = text.strip().splitlines()[0][:200] if text.strip() else ""
        raise ArchiveResponseError(f"the archive's CDX server answered HTTP {resp.status_code}"
                                   + (f": {first}" if first else ""), resp.url)


def parse_ia_json(body: bytes, label: str = "ia-cdx") -> tuple[list[ListedCapture], str | None]:
    """IA CDX output=json: [header, rows..., [], [resumeKey]]; empty body or [] means no rows."""
    if not body.strip():
        return [], None
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ArchiveResponseError(f"the CDX server sent malformed JSON ({exc}); try again later") from None
    if not isinstance(data, list) or not data:
        return [], None
    header = data[0]
    if not isinstance(header, list) or not all(isinstance(h, str) for h in header):
        raise ArchiveResponseError("the CDX server sent JSON without a header row")
    rows: list[ListedCapture] = []
    resume: str | None = None
    body_rows = data[1:]
    for i, row in enumerate(body_rows):
        if row == []:
            tail = body_rows[i + 1] if i + 1 < len(body_rows) else None
            if isinstance(tail, list) and tail and isinstance(tail[0], str):
                resume = tail[0]
            break
        if not isinstance(row, list) or len(row) != len(header) or not all(isinstance(v, str) for v in row):
            log.warning("skipped a malformed CDX row %r", row)
            continue
        f = dict(zip(header, row, strict=True))
        if "timestamp" not in f or "original" not in f:
            log.warning("skipped a CDX row without timestamp/original %r", row)
            continue
        rows.append(ListedCapture(f["timestamp"], f["original"], _opt(f.get("mimetype")),
                                  _int(f.get("statuscode")), _opt(f.get("digest")), _int(f.get("length")),
                                  f.get("urlkey", ""), label))
    return rows, resume


# --- pywb CDX ------------------------------------------------------------------------------------


def _pywb_cdx(
    session: Session, endpoint: ArchiveEndpoint, query: ListingQuery, cancel: threading.Event | None
) -> Iterator[ListedCapture] | None:
    """pywb's NDJSON rows, or None if {prefix}cdx is not a pywb CDX endpoint (then try the TimeMap)."""
    params: dict[str, str | int] = {"url": query.url, "output": "json", "allowFuzzy": "false"}
    if query.from_ts:
        params["from"] = query.from_ts
    if query.to_ts:
        params["to"] = query.to_ts
    resp = session.request(endpoint.cdx_url, group=LISTING, params=params,
                           read_timeout=LISTING_READ_TIMEOUT, cancel=cancel)
    ctype = resp.headers.get("Content-Type", "").lower()
    if resp.status_code == 200 and ("ndjson" in ctype or "json" in ctype or not resp.content.strip()):
        return iter(parse_pywb_ndjson(resp.content))
    if endpoint.kind is ArchiveKind.AUTO and resp.status_code in (200, 400, 403, 404, 405, 501):
        return None
    _raise_for_cdx_error(resp, query.url)
    return None


def parse_pywb_ndjson(body: bytes) -> list[ListedCapture]:
    """One JSON object per line; pywb names (url, mime, status); fuzzy and corrupt lines dropped."""
    rows: list[ListedCapture] = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            log.warning("skipped a corrupt pywb CDX line %r", line[:200])
            continue
        if not isinstance(obj, dict) or "timestamp" not in obj or "url" not in obj:
            log.warning("skipped a pywb CDX line without timestamp/url %r", line[:200])
            continue
        if str(obj.get("is_fuzzy", "0")) in ("1", "true"):
            continue
        rows.append(ListedCapture(str(obj["timestamp"]), str(obj["url"]), _opt(obj.get("mime")),
                                  _int(obj.get("status")), _opt(obj.get("digest")), _int(obj.get("length")),
                                  str(obj.get("urlkey", "")), "pywb-cdx"))
    return rows


# --- Memento TimeMap -----------------------------------------------------------------------------


def _timemap(
    session: Session, endpoint: ArchiveEndpoint, query: ListingQuery, cancel: threading.Event | None
) -> Iterator[ListedCapture]:
    todo = [endpoint.timemap_url(query.url)]
    visited: set[str] = set()
    while todo and len(visited) < MAX_TIMEMAP_PAGES:
        page = todo.pop(0)
        if page in visited:
            continue
        visited.add(page)
        resp = session.request(page, group=LISTING, read_timeout=LISTING_READ_TIMEOUT, cancel=cancel)
        if resp.status_code == 404:
            continue  # pywb and others: no captures of this URL
        if resp.status_code != 200:
            raise ArchiveResponseError(f"the archive's TimeMap {page} answered HTTP {resp.status_code}", page)
        rows, more = parse_timemap(resp.text, endpoint)
        yield from rows
        todo += [m for m in more if m not in visited]
    if todo:
        log.warning("stopped after %d TimeMap pages", MAX_TIMEMAP_PAGES)


def parse_timemap(text: str, endpoint: ArchiveEndpoint) -> tuple[list[ListedCapture], list[str]]:
    """Mementos of a link-format TimeMap and the further TimeMap pages it links to."""
    links = parse_link_format(text)
    original = next((lk.uri for lk in links if "original" in lk.rels), "")
    rows: list[ListedCapture] = []
    pages: list[str] = []
    for link in links:
        if "timemap" in link.rels and "self" not in link.rels:
            pages.append(link.uri)
        if "memento" not in link.rels:
            continue
        parsed = endpoint.parse_replay_url(link.uri)
        stamp = link.param("datetime")
        when = parse_http_date(stamp) if stamp else None
        if parsed and len(parsed[0]) == 14:
            ts, url = parsed[0], parsed[2]
        elif when is not None:
            ts, url = from_datetime(when), (parsed[2] if parsed else original)
        else:
            log.warning("skipped a TimeMap memento without a usable datetime: %s", link.uri)
            continue
        rows.append(ListedCapture(ts, url or original, None, None, None, None, "", "timemap"))
    return rows, pages
