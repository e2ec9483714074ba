"""What a listing yields, and the checks made before any listing request."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from ..errors import ArchiveResponseError, BlockedError, ErrorKind, InvalidDateError
from ..timestamps import parse_date_arg
from ..urls import normalize_url, policy_key

LISTING_READ_TIMEOUT = 120.0  # CDX range queries are slow (docs/protocols.md §8)


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
class ResumePoint:
    """Where an interrupted IA listing goes on: the next page's resume key, and how to ask for it.

    ``key`` None: at the first page, only the page size carried over (a first page that timed out
    at every size, so the next run does not step down from 1000 rows again).
    """

    endpoint: str  # ia-cdx, or ia-timemap (the robots fallback, whose keys are its own)
    key: str | None
    page_size: int  # possibly halved after timeouts: the next run starts at this size


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


def int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value not in ("", "-") else None


def raise_for_cdx_error(resp: requests.Response, url: str) -> None:
    """Turn a listing error (blocked site, robots, bad parameters) into its one-line message."""
    text = resp.text[:2000] if resp.status_code != 200 else ""
    runtime = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
    both = runtime + " " + text
    if "AdministrativeAccessControlException" in both or "Blocked Site" in both:
        raise BlockedError(
            url,
            "the site is excluded from the Wayback Machine (takedown or owner's request)",
            ErrorKind.EXCLUDED,
            "try another archive with --archive-url",
        )
    if "RobotAccessControlException" in both:
        raise BlockedError(
            url,
            "blocked by the site's robots.txt at the Wayback Machine",
            ErrorKind.ROBOTS,
            "try another archive with --archive-url",
        )
    if resp.status_code != 200:
        first = text.strip().splitlines()[0][:200] if text.strip() else ""
        raise ArchiveResponseError(
            f"the archive's CDX server answered HTTP {resp.status_code}" + (f": {first}" if first else ""),
            resp.url,
        )
