"""A tolerant parser for RFC 6690 link-format (Memento TimeMaps) and HTTP dates.

Real TimeMaps have combined rels ("first last memento"), commas and semicolons inside <URLs>,
extra attributes (pywb's collection=) and RFC 850 dates (docs/protocols.md §4), so we split on
'>, <' boundaries outside quotes, never on bare commas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Link:
    uri: str
    rels: frozenset[str]
    params: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None


def parse_link_format(text: str) -> list[Link]:
    """Every <uri>; params entry of a link-format document or Link header, in order."""
    links: list[Link] = []
    i, n = 0, len(text)
    while True:
        start = text.find("<", i)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:
            break
        uri = text[start + 1 : end].strip()
        # parameters run to the next '<' that follows a comma outside quotes
        j, quoted, seen_comma = end + 1, False, False
        while j < n:
            c = text[j]
            if c == '"':
                quoted = not quoted
            elif not quoted and c == ",":
                seen_comma = True
            elif not quoted and c == "<" and seen_comma:
                break
            elif not quoted and not c.isspace() and c != ",":
                seen_comma = False
            j += 1
        raw = text[end + 1 : j].strip().rstrip(",").strip()
        params = tuple(_params(raw))
        rels = frozenset(r.lower() for key, value in params if key == "rel" for r in value.split())
        links.append(Link(uri, rels, params))
        i = j
    return links


def _params(raw: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    buf, quoted, parts = "", False, []
    for c in raw:
        if c == '"':
            quoted = not quoted
        if c == ";" and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += c
    parts.append(buf)
    for part in parts:
        part = part.strip()
        if not part:
            continue
        key, _, value = part.partition("=")
        out.append((key.strip().lower(), value.strip().strip('"')))
    return out


_FORMATS = ("%A, %d-%b-%y %H:%M:%S GMT", "%a, %d-%b-%Y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y")


def parse_http_date(value: str) -> datetime | None:
    """RFC 1123, RFC 850 or asctime date → aware UTC datetime (None if unreadable)."""
    value = value.strip()
    try:
        dt = parsedate_to_datetime(value)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
