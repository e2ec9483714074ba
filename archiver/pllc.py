"""The Markdown form of the Princeton-Leuven longitudinal corpus of privacy policies.

A document opens with a quoted header naming the site, the archive date and the Wayback ``id_``
link it came from, then the policy as Markdown::

    > *The following text is extracted and transformed from the example.com privacy policy that was
    archived on 2019-03-10. Please check the [original snapshot on the Wayback Machine](https://web.
    archive.org/web/20190310192643id_/https%3A//www.example.com/privacy) for the most accurate
    reproduction.*

Importing keeps the text (there are no raw bytes) with that link as provenance; exporting writes
the same header so that a round trip gives the same versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .models import Capture, Source
from .timestamps import is_timestamp

#: an archive's replay link: PREFIX + 14-digit time (+ a mode such as id_) + "/" + the page URL
_LINK = re.compile(r"\]\((https?://[^)\s]*?/(\d{14})(?:[a-z]{2}_)?/([^)\s]+))\)")
#: the header of a capture no web archive holds (a local file, a live capture, a WARC record)
_OWN = re.compile(
    r"captured at (\d{14}) UTC from ([a-z][a-z-]*)(?: \([^)]*\))?, of \[[^\]]*\]\((https?://[^)\s]+)\)"
)
_WAYBACK = "https://web.archive.org/web/"
_HEADER_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was archived "
    "on {date}. Please check the [original snapshot on the Wayback Machine]({link}) for the most accurate "
    "reproduction.*"
)
_MEMENTO_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was archived "
    "on {date}. Please check the [original snapshot at {host}]({link}) for the most accurate "
    "reproduction.*"
)
_OWN_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was captured "
    "on {date}, not by a web archive: captured at {timestamp} UTC from {origin} ({described}), of "
    "[{url}]({link}). "
    "There is no archived snapshot to check.*"
)
#: what the origins of a capture no archive holds are called in the header
ORIGINS = {"file": "a local file", "live": "the live site", "warc": "a WARC file"}


@dataclass(frozen=True, slots=True)
class PllcDocument:
    url: str  # the original page URL
    timestamp: str  # 14-digit capture time
    memento_url: str  # the header's archive link, as written ("" when no archive holds it)
    site: str
    text: str  # the policy Markdown after the header
    archive: str = _WAYBACK  # the replay prefix of the archive the link names ("" for none)
    origin: str = "wayback"  # wayback | memento | file | live | warc (where the capture came from)


class PllcFormatError(ValueError):
    """The text is not a Princeton-Leuven document; the message says which part is missing."""


def looks_like_pllc(data: bytes) -> bool:
    head = data[:2000].lstrip()
    return head.startswith(b">") and (
        b"/web/" in head
        and b"archived on" in head
        or b"privacy policy that was archived on" in head
        or b"not by a web archive: captured at" in head
    )


def parse_pllc(text: str) -> PllcDocument:
    text = text.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or not lines[start].lstrip().startswith(">"):
        raise PllcFormatError("no quoted '> *The following text …' header on the first line")
    end = start
    while end + 1 < len(lines) and lines[end + 1].lstrip().startswith(">"):
        end += 1
    header = " ".join(line.strip().lstrip(">").strip() for line in lines[start : end + 1])
    own = _OWN.search(header)
    match = None if own else _LINK.search(header)
    if own is not None:
        timestamp, origin, target = own.groups()
        link, prefix = "", ""
    elif match is not None:
        link, timestamp, target = match.groups()
        prefix = link[: link.index("/" + timestamp) + 1]
        origin = "wayback" if prefix.startswith(_WAYBACK) else "memento"
    else:
        raise PllcFormatError("the header has no Wayback link of the form …/web/YYYYMMDDhhmmss…/URL")
    if not is_timestamp(timestamp):
        raise PllcFormatError(f"the header's capture time {timestamp} is not a real date and time")
    url = unquote(target)
    if not urlsplit(url).scheme:
        url = "http://" + url
    site_match = re.search(r"from the (\S+) privacy policy", header)
    site = site_match.group(1) if site_match else (urlsplit(url).hostname or "")
    body = "".join(lines[end + 1 :]).lstrip("\n")
    return PllcDocument(url, timestamp, link, site, body, prefix, origin)


def format_pllc(url: str, timestamp: str, text: str, archive_prefix: str = _WAYBACK, origin: str = "") -> str:
    """A Princeton-Leuven document for ``text``; :func:`parse_pllc` reads it back.

    The header names where the capture really came from: the Wayback Machine, another web archive
    (``archive_prefix``), or — ``origin`` one of :data:`ORIGINS`, for a capture no archive holds —
    a local file, the live site or a WARC file, with no archive link (none is invented)."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    # percent-encode what would end the Markdown link or change on reading back (parse_pllc unquotes)
    quoted = url.replace("%", "%25").replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    date = f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    if origin in ORIGINS or not archive_prefix:
        shown = url.replace("[", "%5B").replace("]", "%5D")
        header = _OWN_TEMPLATE.format(
            site=host,
            date=date,
            timestamp=timestamp,
            origin=origin or "file",
            described=ORIGINS.get(origin or "file", origin),
            url=shown,
            link=quoted,
        )
    else:
        link = f"{archive_prefix}{timestamp}id_/{quoted.replace('://', '%3A//', 1)}"
        template = _HEADER_TEMPLATE if archive_prefix.startswith(_WAYBACK) else _MEMENTO_TEMPLATE
        header = template.format(site=host, date=date, link=link, host=urlsplit(archive_prefix).netloc)
    return header + "\n\n" + text


def pllc_origin(capture: Capture) -> str:
    """Where a capture no web archive holds came from, as a Princeton-Leuven header says it: its
    source, or for a Princeton-Leuven import the origin its own header named (kept in provenance)."""
    if capture.source is Source.PLLC:
        found = re.search(r"captured from ([a-z][a-z-]*), not by a web archive", capture.provenance)
        return found.group(1) if found else "file"
    return str(capture.source) if str(capture.source) in ORIGINS else "file"
