"""The Internet Archive's CDX server: output=json pages chained by resume keys (docs/protocols.md §1).

A page that times out (504 or no answer) twice is asked for again at half the size, from the same
resume key (docs/protocols.md §8); ``on_page`` hears the next key after each page, so a job that fails later can
keep what it has and resume there (docs/fault-cases.md case 8).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator

from ..errors import ArchiveResponseError
from .pacer import LISTING
from .rows import (
    LISTING_READ_TIMEOUT,
    ListedCapture,
    ListingQuery,
    int_or_none,
    raise_for_cdx_error,
    str_or_none,
)
from .session import ServerError, ServerTimeoutError, Session

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
MIN_PAGE_SIZE = 100
IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


def _scheme_less(url: str) -> str:
    """SURT ignores the scheme: query CDX without it, so http and https captures both come back."""
    return url.split("://", 1)[1]


def ia_cdx_rows(
    session: Session,
    cdx_url: str,
    query: ListingQuery,
    cancel: threading.Event | None,
    page_size: int,
    filters: tuple[str, ...],
    collapse: tuple[str, ...],
    label: str,
    *,
    resume: str | None = None,
    on_page: Callable[[str | None, int, bool], None] | None = None,
    read_timeout: float = LISTING_READ_TIMEOUT,
) -> Iterator[ListedCapture]:
    """Rows from ``resume`` (a key an earlier listing stopped at) on; None starts at the first page.

    After each page's rows, ``on_page(next_key, page_size, more)`` is called (more False: the end),
    and again with the same key (None at the first page) when the page size is halved, so a run that
    stops then goes on at the smaller size, even before the first page came.
    """
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
    seen_keys: set[str] = {resume} if resume else set()
    limit = page_size
    pages = 0
    while True:
        params = [*base, ("limit", str(limit))] + ([("resumeKey", resume)] if resume else [])
        shrinkable = limit > MIN_PAGE_SIZE
        try:
            resp = session.request(
                cdx_url,
                group=LISTING,
                params=_Params(params),
                read_timeout=read_timeout,
                cancel=cancel,
                slow_retries=1 if shrinkable else None,
            )
        except (ServerError, ServerTimeoutError) as exc:
            if shrinkable and (isinstance(exc, ServerTimeoutError) or exc.status == 504):
                limit = max(MIN_PAGE_SIZE, limit // 2)
                log.warning("CDX timed out; asking for pages of %d rows from the same resume key", limit)
                if on_page is not None:  # a run that stops here goes on at the smaller size
                    on_page(resume, limit, True)
                continue
            raise
        raise_for_cdx_error(resp, query.url)
        rows, next_key = parse_ia_json(resp.content, label)
        pages += 1
        yield from rows
        if next_key and next_key in seen_keys:
            log.warning(
                "CDX resume key repeated (%r after page %d); stopped paging to avoid a loop "
                "(the listing may be incomplete)",
                next_key,
                pages,
            )
            next_key = None
        elif next_key and not rows:
            log.warning(
                "CDX page %d brought no rows, only a new resume key; stopped paging as it makes no "
                "progress (the listing may be incomplete)",
                pages,
            )
            next_key = None
        if on_page is not None:
            on_page(next_key, limit, next_key is not None)
        if not next_key:
            return
        seen_keys.add(next_key)
        resume = next_key


class _Params(dict[str, list[str]]):
    """Repeated query parameters (filter, collapse) for requests, in order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        for key, value in pairs:
            self.setdefault(key, []).append(value)


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
        rows.append(
            ListedCapture(
                f["timestamp"],
                f["original"],
                str_or_none(f.get("mimetype")),
                int_or_none(f.get("statuscode")),
                str_or_none(f.get("digest")),
                int_or_none(f.get("length")),
                f.get("urlkey", ""),
                label,
            )
        )
    return rows, resume
