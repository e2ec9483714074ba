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

_LINK = re.compile(r"\]\((https?://[^)\s]*?/web/(\d{14})(?:[a-z]{2}_)?/([^)\s]+))\)")
_HEADER_TEMPLATE = (
    "> *The following text is extracted and transformed from the {site} privacy policy that was archived "
    "on {date}. Please check the [original snapshot on the Wayback Machine]({link}) for the most accurate "
    "reproduction.*"
)


@dataclass(frozen=True, slots=True)
class PllcDocument:
    url: str  # the original page URL
    timestamp: str  # 14-digit capture time
    memento_url: str  # the header's Wayback link, as written
    site: str
    text: str  # the policy Markdown after the header


class PllcFormatError(ValueError):
    """The text is not a Princeton-Leuven document; the message says which part is missing."""


def looks_like_pllc(data: bytes) -> bool:
    head = data[:2000].lstrip()
    return head.startswith(b">") and b"/web/" in head and b"archived on" in head


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
    match = _LINK.search(header)
    if match is None:
        raise PllcFormatError("the header has no Wayback link of the form …/web/YYYYMMDDhhmmss…/URL")
    link, timestamp, target = match.groups()
    url = unquote(target)
    if not urlsplit(url).scheme:
        url = "http://" + url
    site_match = re.search(r"from the (\S+) privacy policy", header)
    site = site_match.group(1) if site_match else (urlsplit(url).hostname or "")
    body = "".join(lines[end + 1 :]).lstrip("\n")
    return PllcDocument(url=url, timestamp=timestamp, memento_url=link, site=site, text=body)


def format_pllc(
    url: str, timestamp: str, text: str, archive_prefix: str = "https://web.archive.org/web/"
) -> str:
    """A Princeton-Leuven document for ``text``; :func:`parse_pllc` reads it back."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    # percent-encode what would end the Markdown link or change on reading back (parse_pllc unquotes)
    quoted = url.replace("%", "%25").replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    link = f"{archive_prefix}{timestamp}id_/{quoted.replace('://', '%3A//', 1)}"
    date = f"{timestamp[:4]}-{timestamp[4:6]}-{timestamp[6:8]}"
    return _HEADER_TEMPLATE.format(site=host, date=date, link=link) + "\n\n" + text
