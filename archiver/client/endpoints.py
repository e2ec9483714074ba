"""An archive named by its Wayback-style replay prefix, and the URLs derived from it.

``--archive-url PREFIX``: https://web.archive.org/web/ (the default), or a pywb collection
http://HOST:PORT/COLL/. Replay is {PREFIX}{timestamp}id_/{url}; the listing endpoint depends on the
kind of archive: the IA CDX server, pywb's {PREFIX}cdx, or the Memento TimeMap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from ..errors import InvalidURLError
from ..models import Source

DEFAULT_PREFIX = "https://web.archive.org/web/"


class ArchiveKind(StrEnum):
    IA = "ia"  # Internet Archive (or any server with IA's /cdx/search/cdx beside /web/)
    PYWB = "pywb"  # pywb collection: {prefix}cdx, NDJSON
    TIMEMAP = "timemap"  # any Memento archive: {prefix}timemap/link/{url}
    AUTO = "auto"  # IA for archive.org; else pywb's CDX if it answers, else the TimeMap


@dataclass(frozen=True, slots=True)
class ArchiveEndpoint:
    """A web archive: its replay prefix (always ending in '/') and how to list its captures."""

    prefix: str
    kind: ArchiveKind

    @property
    def host(self) -> str:
        return (urlsplit(self.prefix).hostname or "").lower()

    @property
    def source(self) -> Source:
        return Source.WAYBACK if self.kind is ArchiveKind.IA else Source.MEMENTO

    @property
    def cdx_url(self) -> str:
        if self.kind is ArchiveKind.IA:
            parts = urlsplit(self.prefix)
            return f"{parts.scheme}://{parts.netloc}/cdx/search/cdx"
        return self.prefix + "cdx"

    @property
    def timemap_json_url(self) -> str:
        """IA's CDX-like TimeMap (same JSON format; ignores robots.txt like playback)."""
        parts = urlsplit(self.prefix)
        return f"{parts.scheme}://{parts.netloc}/web/timemap/json"

    def timemap_url(self, url: str) -> str:
        return f"{self.prefix}timemap/link/{url}"

    def replay_url(self, timestamp: str, url: str) -> str:
        """The raw (id_) replay URL: the archived bytes, unrewritten."""
        return f"{self.prefix}{timestamp}id_/{url}"

    def parse_replay_url(self, url: str) -> tuple[str, str, str] | None:
        """(timestamp, modifier, original) if ``url`` is a replay URL of this archive, else None.

        Scheme differences are ignored: IA's Location headers switch between http and https.
        """
        base = re.sub(r"^https?://", "", self.prefix, flags=re.I)
        m = re.match(
            r"^https?://" + re.escape(base) + r"(\d{1,14})([a-z]{2}_)?/(.+)$", url, flags=re.I | re.S
        )
        if not m:
            return None
        return m.group(1), m.group(2) or "", m.group(3)


def archive_endpoint(
    prefix: str = DEFAULT_PREFIX, kind: str | ArchiveKind = ArchiveKind.AUTO
) -> ArchiveEndpoint:
    """Validate ``--archive-url`` and decide the listing kind (raises InvalidURLError)."""
    text = prefix.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidURLError(
            prefix, "an archive is named by its replay prefix, e.g. https://web.archive.org/web/"
        )
    if parts.query or parts.fragment:
        raise InvalidURLError(prefix, "an archive prefix has no query or fragment")
    if not text.endswith("/"):
        text += "/"
    try:
        wanted = ArchiveKind(kind)
    except ValueError:
        raise InvalidURLError(prefix, f"unknown archive kind {kind!r}") from None
    host = parts.hostname.lower()
    if wanted is ArchiveKind.AUTO and (host == "web.archive.org" or host.endswith(".web.archive.org")):
        wanted = ArchiveKind.IA
    return ArchiveEndpoint(text, wanted)
