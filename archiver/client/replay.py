"""Fetching one capture's raw bytes: {PREFIX}{timestamp}id_/{url}, redirects followed by hand.

Memento-Datetime is the only sign that a response is archived content (docs/protocols.md §2): a 200
without it is an archive error page and never policy text. Nearest-capture redirects are followed
only within a window; archived redirects are kept as evidence and followed; bodies are streamed
with a cap and a truncated, stalled or badly chunked body is retried, then reported, never returned
as good. A body compressed in a way extraction cannot undo (brotli) is refused rather than stored
as garbled text (docs/fault-cases.md case 20).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import zlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ..errors import (
    ArchiveResponseError,
    BlockedError,
    BrokenBodyError,
    CancelledError,
    ErrorKind,
    NoMementoError,
    PlaybackError,
    RedirectTargetError,
    TooLargeError,
    TruncatedBodyError,
    UnsupportedEncodingError,
)
from ..models import Flag
from ..timestamps import display, from_datetime, to_datetime
from .endpoints import ArchiveEndpoint
from .linkformat import parse_http_date, parse_link_format
from .listing import clean_original
from .pacer import MEMENTO
from .session import READ_TIMEOUT, Session

log = logging.getLogger(__name__)

MAX_BYTES = 25_000_000
MAX_HOPS = 10
WINDOW = timedelta(hours=24)
TRUNCATION_RETRIES = 2
CHUNK = 64 * 1024
#: Content-Encodings extraction cannot undo (it gunzips only): such a body is refused, not stored
UNDECODABLE = {"br": "brotli", "zstd": "zstd", "deflate": "deflate", "compress": "compress"}
_SIGNATURES = (b"\x1f\x8b", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # gzip, BOMs: see plain_kind
_CONTROL = bytes(sorted(set(range(32)) - set(b"\t\n\r\x0c\x1b")))  # ESC: ISO-2022 text has it


@dataclass(frozen=True, slots=True)
class Memento:
    """One archived response exactly as the archive served it in id_ mode."""

    memento_url: str  # the id_ URL of the capture served (Content-Location if the archive gives it)
    original_url: str  # Link rel="original" (the URL actually captured), else the asked-for URL
    timestamp: str  # from Memento-Datetime, 14-digit UTC
    status: int  # the archived HTTP status
    headers: tuple[tuple[str, str], ...]  # every response header, in order (x-archive-orig-* included)
    content_type: str
    body: bytes
    sha256: str  # of the raw body as received
    decoded_sha256: str | None = None  # when the body arrived gzip-compressed despite identity
    content_encoding: str = ""

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400 and self.header("Location") is not None

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The capture's content and how we got there."""

    final: Memento
    via: tuple[Memento, ...]  # archived redirects followed, oldest first: stored as evidence
    chain: tuple[str, ...]  # every URL requested, in order, the final one last

    @property
    def flags(self) -> tuple[str, ...]:
        return (str(Flag.ERROR_PAGE),) if self.final.is_error else ()


def fetch_memento(
    session: Session,
    endpoint: ArchiveEndpoint,
    timestamp: str,
    url: str,
    *,
    window: timedelta = WINDOW,
    max_bytes: int = MAX_BYTES,
    cancel: threading.Event | None = None,
    read_timeout: float = READ_TIMEOUT,
) -> FetchResult:
    """Fetch the capture of ``url`` at ``timestamp`` (14 digits) from ``endpoint``.

    Raises NoMementoError, BlockedError, PlaybackError (loop, too many hops, nearest capture outside
    the window), ArchiveResponseError (error page without Memento-Datetime), UnsupportedEncodingError,
    TruncatedBodyError (BrokenBodyError: stalled or badly chunked), TooLargeError, NetworkError,
    CancelledError.
    """
    via: list[Memento] = []
    try:
        return _follow(session, endpoint, timestamp, url, window, max_bytes, cancel, read_timeout, via)
    except (ArchiveResponseError, BlockedError) as exc:
        if not via:
            raise
        # The archived redirect is evidence of where the policy pointed, even when the archive
        # cannot serve its target: hand the redirect over, with a message that names the target.
        raise RedirectTargetError(url, via[-1].header("Location") or "?", str(exc), tuple(via)) from None


def _follow(
    session: Session,
    endpoint: ArchiveEndpoint,
    timestamp: str,
    url: str,
    window: timedelta,
    max_bytes: int,
    cancel: threading.Event | None,
    read_timeout: float,
    via: list[Memento],
) -> FetchResult:
    anchor = timestamp
    current = endpoint.replay_url(timestamp, url)
    chain: list[str] = []
    for _hop in range(MAX_HOPS + 1):
        if current in chain:
            raise PlaybackError(url, f"redirect loop at {current}")
        chain.append(current)
        resp, body = read_body(
            session, current, group=MEMENTO, max_bytes=max_bytes, cancel=cancel, read_timeout=read_timeout
        )
        location = resp.headers.get("Location")
        if "Memento-Datetime" not in resp.headers:
            if 300 <= resp.status_code < 400 and location:
                current = _nearest_target(endpoint, url, urljoin(current, location), anchor, window)
                continue
            raise _not_a_memento(resp, body, url, timestamp)
        memento = _memento(resp, body, current, url)
        if memento.is_redirect and location:
            via.append(memento)
            current = _archived_redirect_target(endpoint, memento, location, current)
            anchor = memento.timestamp
            continue
        if not _within(memento.timestamp, anchor, window):
            raise PlaybackError(
                url,
                f"the archive served the capture of {display(memento.timestamp)} UTC instead "
                f"of {display(anchor)} UTC; fetch that one by its own timestamp",
            )
        # the final body only: a redirect's body is kept raw as evidence and never extracted
        refuse_undecodable(current, memento.content_encoding, memento.body)
        return FetchResult(memento, tuple(via), tuple(chain))
    raise PlaybackError(url, f"more than {MAX_HOPS} redirects")


def _within(ts: str, anchor: str, window: timedelta) -> bool:
    a, b = to_datetime(ts.ljust(14, "0")[:14]), to_datetime(anchor.ljust(14, "0")[:14])
    return abs(a - b) <= window


def _nearest_target(endpoint: ArchiveEndpoint, url: str, target: str, anchor: str, window: timedelta) -> str:
    """A redirect without Memento-Datetime: the archive points at its nearest capture."""
    parsed = endpoint.parse_replay_url(target)
    if parsed is None:
        raise PlaybackError(url, f"the archive redirected to {target}, which is not a capture")
    ts, _mod, target_url = parsed
    padded = ts.ljust(14, "0")
    try:
        to_datetime(padded)
    except ValueError:
        raise PlaybackError(url, f"the archive redirected to a malformed capture URL {target}") from None
    if not _within(padded, anchor, window):
        raise PlaybackError(
            url,
            f"no capture at {display(anchor)} UTC; the nearest is {display(padded)} UTC, "
            f"more than {_hours(window)} away; fetch it by that timestamp if you want it",
        )
    return endpoint.replay_url(ts, target_url)


def _archived_redirect_target(
    endpoint: ArchiveEndpoint, memento: Memento, location: str, replay_url: str
) -> str:
    """Where an archived 3xx points, as an id_ replay URL. The archive may have rewritten Location
    into a replay URL (absolute, or relative to its own host, as the Wayback Machine does), or passed
    the site's own value through (pywb in id_ mode): then it is relative to the page's original URL,
    not to the archive's."""
    candidates = [location]
    if location.startswith("/") and not location.startswith("//"):  # relative to the archive's host
        candidates.append(urljoin(replay_url, location))
    for candidate in candidates:
        parsed = endpoint.parse_replay_url(candidate)
        if parsed is not None:
            return endpoint.replay_url(parsed[0], parsed[2])
    target = urljoin(memento.original_url, location)
    if not target.lower().startswith(("http://", "https://")):
        raise PlaybackError(memento.original_url, f"archived redirect to a non-web URL {location}")
    return endpoint.replay_url(memento.timestamp, target)


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g} h"


def _not_a_memento(resp: requests.Response, body: bytes, url: str, timestamp: str) -> Exception:
    """Classify an answer without Memento-Datetime from Wayback's runtime-error header and its text.

    Never content (docs/fault-cases.md case 17): the error says what the archive sent, and the job reports that.
    """
    runtime = resp.headers.get("X-Archive-Wayback-Runtime-Error", "").strip()
    text = body[:20000].decode("utf-8", "replace").lower()
    if "AdministrativeAccessControlException" in runtime or "has been excluded" in text:
        return BlockedError(
            url,
            "the site is excluded from the Wayback Machine (takedown or owner's request)",
            ErrorKind.EXCLUDED,
            "try another archive with --archive-url",
        )
    if "RobotAccessControlException" in runtime or "due to robots.txt" in text:
        return BlockedError(
            url, "blocked by the site's robots.txt at this archive", ErrorKind.ROBOTS, "try another archive"
        )
    if resp.status_code == 404 or "ResourceNotInArchiveException" in runtime:
        return NoMementoError(url, timestamp)
    if runtime:
        what = f"the archive reported {_runtime_error(runtime)}"
    elif "maintenance" in text:
        what = "a maintenance notice; try again later"
    else:
        what = "an archive error or notice page"
    return ArchiveResponseError(
        f"{resp.url}: the archive answered HTTP {resp.status_code} without Memento-Datetime ({what}), "
        "so it is not a capture; nothing stored",
        resp.url,
    )


def _runtime_error(value: str) -> str:
    """'org.archive.wayback.exception.XException: text' as 'XException: text' (at most 200 chars)."""
    head, _, detail = value.partition(":")
    name = head.strip().rsplit(".", 1)[-1]
    return (f"{name}: {detail.strip()}" if detail.strip() else name)[:200]


def _memento(resp: requests.Response, body: bytes, requested: str, url: str) -> Memento:
    when = parse_http_date(resp.headers["Memento-Datetime"])
    if when is None:
        raise ArchiveResponseError(
            f"{requested}: unreadable Memento-Datetime {resp.headers['Memento-Datetime']!r}"
        )
    original = url
    for link in parse_link_format(resp.headers.get("Link", "")):
        if "original" in link.rels:
            original = clean_original(link.uri) or url
            break
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    decoded = None
    if body[:2] == b"\x1f\x8b":
        try:
            decoded = hashlib.sha256(gzip.decompress(body)).hexdigest()
        except (OSError, EOFError, zlib.error):
            log.warning("%s: body starts like gzip but does not decompress", requested)
    headers = tuple((str(k), str(v)) for k, v in resp.raw.headers.items())
    # pywb names the capture it really served (a nearest one, a fuzzy match) in Content-Location
    located = resp.headers.get("Content-Location")
    return Memento(
        memento_url=urljoin(requested, located) if located else requested,
        original_url=original,
        timestamp=from_datetime(when),
        status=resp.status_code,
        headers=headers,
        content_type=resp.headers.get("Content-Type", ""),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        decoded_sha256=decoded,
        content_encoding=encoding,
    )


def refuse_undecodable(url: str, encoding: str, body: bytes, sender: str = "the archive") -> None:
    """Raise UnsupportedEncodingError for a body compressed in a way extraction cannot undo.

    The header alone is not trusted (archives replay stale Content-Encoding headers): a body that
    plainly is not compressed (no control bytes; gzip's or a BOM's signature; a PDF, an image or
    another binary type known by its magic number, or an HTML document, as extraction sniffs them)
    passes.
    """
    for token in encoding.lower().split(","):
        name = UNDECODABLE.get(token.strip())
        if name and not _plainly_uncompressed(body):
            raise UnsupportedEncodingError(url, encoding, name, sender)


def _plainly_uncompressed(body: bytes) -> bool:
    head = body[:512]
    if head.startswith(_SIGNATURES) or head.translate(None, _CONTROL) == head:
        return True
    from ..extraction.pipeline import plain_kind  # here: rare, and the client need not load extraction

    return plain_kind(body) is not None


def read_body(
    session: Session,
    url: str,
    *,
    group: str,
    max_bytes: int = MAX_BYTES,
    cancel: threading.Event | None = None,
    retries: int = TRUNCATION_RETRIES,
    read_timeout: float = READ_TIMEOUT,
) -> tuple[requests.Response, bytes]:
    """GET ``url`` with Accept-Encoding: identity and return the raw body, exactly as sent.

    Streams with a size cap; a body cut short (reset, Content-Length mismatch, broken chunking, a
    stall longer than ``read_timeout``) is fetched again up to ``retries`` times, then
    TruncatedBodyError (BrokenBodyError when it stalled or its chunking broke).
    """
    reason = ""
    for attempt in range(retries + 1):
        resp = session.request(
            url,
            group=group,
            stream=True,
            headers={"Accept-Encoding": "identity"},
            cancel=cancel,
            read_timeout=read_timeout,
        )
        expected = resp.headers.get("Content-Length")
        chunked = "chunked" in resp.headers.get("Transfer-Encoding", "").lower()
        try:
            with session.watch(cancel):
                body = _stream(resp, url, max_bytes, cancel)
        except _Truncated as exc:
            got = exc.got
            if exc.stalled:
                reason = f"stalled, no data for {read_timeout:g} s"
            else:
                reason = "broken chunked transfer encoding" if chunked else ""
        else:
            got = len(body)
            if expected is None or not expected.isdigit() or int(expected) == got:
                return resp, body
            reason = ""
        finally:
            resp.close()
        log.warning(
            "%s: body truncated (%d of %s bytes%s), attempt %d",
            url,
            got,
            expected or "?",
            f"; {reason}" if reason else "",
            attempt + 1,
        )
    length = int(expected) if expected and expected.isdigit() else -1
    if reason:
        raise BrokenBodyError(url, length, got, reason)
    raise TruncatedBodyError(url, length, got)


class _Truncated(Exception):
    def __init__(self, got: int, stalled: bool) -> None:
        self.got = got
        self.stalled = stalled


def _stream(resp: requests.Response, url: str, max_bytes: int, cancel: threading.Event | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    try:
        # read1: whatever has arrived, so a stall or a break is reported with the bytes really received
        while chunk := resp.raw.read1(CHUNK, decode_content=False):
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            size += len(chunk)
            if size > max_bytes:
                raise TooLargeError(url, max_bytes)
            parts.append(chunk)
    except (Urllib3Error, requests.exceptions.RequestException, OSError) as exc:
        if cancel is not None and cancel.is_set():
            raise CancelledError() from None
        log.info("%s: read failed: %s", url, exc)
        raise _Truncated(size, isinstance(exc, Urllib3Timeout | TimeoutError)) from None
    return b"".join(parts)
