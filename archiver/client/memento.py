"""Listing other archives: pywb's CDX (NDJSON, its own field names) and Memento TimeMaps.

See docs/pywb.md and docs/protocols.md §4: allowFuzzy=false always, fuzzy rows dropped anyway,
corrupt lines skipped; TimeMap pages followed at most 20 times.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

from ..errors import ArchiveResponseError
from ..timestamps import from_datetime, is_timestamp
from .endpoints import ArchiveEndpoint, ArchiveKind
from .linkformat import parse_http_date, parse_link_format
from .pacer import LISTING
from .rows import (
    LISTING_READ_TIMEOUT,
    ListedCapture,
    ListingQuery,
    int_or_none,
    raise_for_cdx_error,
    str_or_none,
)
from .session import Session

log = logging.getLogger(__name__)

MAX_TIMEMAP_PAGES = 20


def pywb_cdx_rows(
    session: Session,
    endpoint: ArchiveEndpoint,
    query: ListingQuery,
    cancel: threading.Event | None,
    read_timeout: float = LISTING_READ_TIMEOUT,
) -> Iterator[ListedCapture] | None:
    """pywb's NDJSON rows, or None if {prefix}cdx is not a pywb CDX endpoint (then try the TimeMap)."""
    params: dict[str, str | int] = {"url": query.url, "output": "json", "allowFuzzy": "false"}
    if query.from_ts:
        params["from"] = query.from_ts
    if query.to_ts:
        params["to"] = query.to_ts
    resp = session.request(
        endpoint.cdx_url, group=LISTING, params=params, read_timeout=read_timeout, cancel=cancel
    )
    ctype = resp.headers.get("Content-Type", "").lower()
    if resp.status_code == 200 and ("ndjson" in ctype or "json" in ctype or not resp.content.strip()):
        return iter(parse_pywb_ndjson(resp.content))
    if endpoint.kind is ArchiveKind.AUTO and resp.status_code in (200, 400, 403, 404, 405, 501):
        return None
    raise_for_cdx_error(resp, query.url)
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
        rows.append(
            ListedCapture(
                str(obj["timestamp"]),
                str(obj["url"]),
                str_or_none(obj.get("mime")),
                int_or_none(obj.get("status")),
                str_or_none(obj.get("digest")),
                int_or_none(obj.get("length")),
                str(obj.get("urlkey", "")),
                "pywb-cdx",
            )
        )
    return rows


def timemap_rows(
    session: Session,
    endpoint: ArchiveEndpoint,
    query: ListingQuery,
    cancel: threading.Event | None,
    read_timeout: float = LISTING_READ_TIMEOUT,
) -> Iterator[ListedCapture]:
    todo = [endpoint.timemap_url(query.url)]
    visited: set[str] = set()
    while todo and len(visited) < MAX_TIMEMAP_PAGES:
        page = todo.pop(0)
        if page in visited:
            continue
        visited.add(page)
        resp = session.request(page, group=LISTING, read_timeout=read_timeout, cancel=cancel)
        if resp.status_code == 404:
            continue  # pywb and others: no captures of this URL
        if resp.status_code != 200:
            raise ArchiveResponseError(f"the archive's TimeMap {page} answered HTTP {resp.status_code}", page)
        ctype = resp.headers.get("Content-Type", "").lower()
        if "html" in ctype or resp.text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
            raise ArchiveResponseError(
                f"{endpoint.host} answered a web page instead of a TimeMap (a CAPTCHA, a login or an error "
                "page); the archive is unavailable now, try again later or another archive",
                page,
            )
        rows, more = parse_timemap(resp.text, endpoint)
        yield from rows
        todo += [m for m in more if m not in visited]
    if todo:
        log.warning(
            "stopped after %d TimeMap pages (the cap), %d more not followed; the listing may be incomplete",
            MAX_TIMEMAP_PAGES,
            len(todo),
        )


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
        if not is_timestamp(ts):  # a year before 1000 (found by benchmarks/fuzz.py) is no capture time
            log.warning("skipped a TimeMap memento dated %s, not a capture time: %s", ts, link.uri)
            continue
        rows.append(ListedCapture(ts, url or original, None, None, None, None, "", "timemap"))
    return rows, pages
