"""SURT keys for a CDX(J) index, the same keys pywb computes, without the ``surt`` package.

pywb 2.10 finds a capture by ``pywb.utils.canonicalize.canonicalize(url)``, which is
``surt.surt(url)`` of internetarchive/surt 0.3.1 with default options: a URL is canonicalized
(Google's rules, then the Internet Archive's) and its host written in reverse order, e.g.
``http://www.Example.com:80/Path/?b=2&a=1#top`` -> ``com,example)/path?a=1&b=2``. A WACZ index
must use exactly those keys or ReplayWeb.page and pywb do not find the captures.

This module is a port of the behaviour of internetarchive/surt's default canonicalizer
(``DefaultIAURLCanonicalizer``: ``GoogleURLCanonicalizer`` then ``IAURLCanonicalizer``, parsed by
``handyurl`` and ordered by ``URLRegexTransformer.hostToSURT``), written from its source. We do
not depend on that package: it is AGPL and pulls in tldextract, which fetches the public-suffix
list from the network (the default options never use it).

Where the library raises instead of returning a key, ``surt`` still returns one (see its
docstring); everything else, odd input included, matches the library byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, unquote_to_bytes

__all__ = ["surt"]

# --- parsing (handyurl.parse) ------------------------------------------------------------------

_SCHEME = re.compile(rb"[a-zA-Z][a-zA-Z0-9+.-]*:")
_REPEATED_HTTP = re.compile(rb"^(https?://)+")  # "http://https://host/" is a crawler artefact
_CONTROL = re.compile(rb"[\n\r\t]")  # removed anywhere; other spaces only at the ends
# RFC 3986 appendix B, scheme restricted to scheme characters; nothing can fail to match.
_PARTS = re.compile(rb"(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?", re.S)


@dataclass
class _Url:
    """The parts the default canonicalizer keeps (user info and fragment are always dropped)."""

    scheme: bytes
    host: bytes | None
    port: int | bytes | None  # bytes: a port the library cannot parse (it raises); kept as text
    path: bytes | None
    query: bytes | None


def _parse(url: bytes) -> _Url | None:
    """Split like handyurl.parse; None when nothing is left to parse (the library raises)."""
    url = _CONTROL.sub(b"", url.strip())
    if not url:
        return None
    if not _SCHEME.match(url):
        url = b"http://" + url
    url = _REPEATED_HTTP.sub(lambda m: m.group(1), url, count=1)
    parts = _PARTS.fullmatch(url)
    assert parts is not None  # every group is optional
    scheme, netloc, path, query = parts.group(1), parts.group(2) or b"", parts.group(3), parts.group(4)
    host, port = _split_netloc(netloc.rstrip(b":"))
    path_or_none = path or None
    if host is None and path_or_none is not None and scheme.startswith(b"http"):
        # "http:////www.example.com/a": the host is the first path segment, taken as it is
        # (scheme compared case-sensitively, as the library does: "HTTP:////x" has no host)
        host, _, rest = path_or_none.lstrip(b"/").partition(b"/")
        path_or_none = b"/" + rest
    return _Url(scheme, host, port, path_or_none, query or None)


def _split_netloc(netloc: bytes) -> tuple[bytes | None, int | bytes | None]:
    """Host (ASCII-lowercased up to any '%', as urllib's ``hostname``) and port (0 means none)."""
    hostinfo = netloc.rpartition(b"@")[2]
    if b"[" in hostinfo:
        host, _, after = hostinfo.partition(b"[")[2].partition(b"]")
        port_text = after.partition(b":")[2]
    else:
        host, _, port_text = hostinfo.partition(b":")
    port: int | bytes | None = None
    if port_text:
        port = port_text  # the library raises ValueError here; we keep the text in the key
        number = port_text.lstrip(b"0") or b"0"
        if port_text.isdigit() and len(number) <= 5 and int(number) <= 65535:
            port = int(number) or None
    if not host:
        return None, port
    name, percent, zone = host.partition(b"%")
    return name.lower() + percent + zone, port


# --- escaping (GoogleURLCanonicalizer) ---------------------------------------------------------

# escapeOnce leaves every printable ASCII byte alone except space, '#' and '%'.
_SAFE = b"!\"$&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _escape(data: bytes) -> bytes:
    return quote_from_bytes(data, safe=_SAFE).encode("ascii") if data else data


def _unescape(data: bytes) -> bytes:
    """Percent-decode until nothing changes, so ``%2541`` and ``%41`` both become ``A``."""
    while True:
        decoded = unquote_to_bytes(data)
        if decoded == data:
            return data
        data = decoded


def _google(url: _Url) -> None:
    """Minimal escaping of query and path, host normalisation (IDNA, dots, IPv4), path dots."""
    if url.query:
        url.query = _escape(_unescape(url.query))
    if url.host:
        host = _unescape(url.host)
        if not host.isascii():
            try:
                host = host.decode("utf-8", "ignore").encode("idna")
            except ValueError:
                pass
        host = host.replace(b"..", b".").strip(b".")
        url.host = _ipv4(host) or _escape(host.lower())
    if url.path is not None:
        path = _unescape(url.path)
        url.path = _escape(_normalize_path(path) if url.host else path)
    elif url.host:
        url.path = b"/"


def _normalize_path(path: bytes) -> bytes:
    """Resolve '.' and '..' and drop empty segments, keeping a trailing slash.

    A '..' above the root is kept; the first segment is skipped (paths begin with '/').
    """
    kept: list[bytes] = []
    for segment in path.split(b"/")[1:]:
        if segment == b".":
            continue
        if segment == b".." and kept:
            kept.pop()
        else:
            kept.append(segment)
    if not kept:
        return b"/"
    return b"/" + b"".join(s + b"/" for s in kept[:-1] if s) + kept[-1]


_DECIMAL_IP = re.compile(rb"[1-9][0-9]*(?:\.[0-9]+){0,3}")
_OCTAL_IP = re.compile(rb"0[0-7]*(?:\.[0-7]+){0,3}")


def _ipv4(host: bytes) -> bytes | None:
    """Dotted-quad form of a numeric host, as the library gets it from the C resolver.

    A bare number is taken modulo 2**32 ("liveweb" ARC files); 2 to 4 dotted parts follow
    inet_aton (a leading 0 means octal, the last part fills the remaining bytes). Hex parts
    (0x7f) are not recognised by the library, so not here either.
    """
    if host.isdigit():
        value: int | None = _low_32_bits(host)
    elif _DECIMAL_IP.fullmatch(host) or _OCTAL_IP.fullmatch(host):
        value = _inet_aton(host.split(b"."))
    else:
        return None
    if value is None:
        return None  # the library's lookup fails and the host is kept as it is
    return b".".join(b"%d" % (value >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _low_32_bits(digits: bytes) -> int:
    """``int(digits) & 0xFFFFFFFF``, also past Python's limit on the length of int strings."""
    value = 0
    for start in range(0, len(digits), 1000):
        chunk = digits[start : start + 1000]
        value = (value * 10 ** len(chunk) + int(chunk)) & 0xFFFFFFFF
    return value


def _inet_aton(parts: list[bytes]) -> int | None:
    numbers: list[int] = []
    for part in parts:
        if len(part.lstrip(b"0")) > 11:
            return None  # more than 32 bits in either base
        if len(part) > 1 and part.startswith(b"0"):
            if part.strip(b"01234567"):
                return None  # "09": C's strtoul stops at the 9, so the address is invalid
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *head, last = numbers
    if any(n > 0xFF for n in head) or last > 0xFFFFFFFF >> (8 * len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value |= n << (24 - 8 * i)
    return value


# --- IAURLCanonicalizer ------------------------------------------------------------------------

_WWW = re.compile(rb"www\d*\.")
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
# ASP.NET cookieless session ids in the path: /(S(24 chars))/page.aspx and /(24 chars)/page.aspx
_PATH_SESSION_IDS = (
    re.compile(rb"(.*/)\((?:[a-z]\([0-9a-z]{24}\))+\)/([^?]+\.aspx.*)", re.I),
    re.compile(rb"(.*/)\([0-9a-z]{24}\)/([^?]+\.aspx.*)", re.I),
)
# Session ids in the query; each pattern removes one (the last) occurrence and its '&'.
_QUERY_SESSION_IDS = tuple(
    re.compile(rb"(.*)(?:" + pattern + rb")(?:&(.*))?", re.I)
    for pattern in (
        rb"jsessionid=[0-9a-z]{32}",
        rb"phpsessid=[0-9a-z]{32}",
        rb"sid=[0-9a-z]{32}",
        rb"aspsessionid[a-z]{8}=[a-z]{24}",
        rb"cfid=[^&]+&cftoken=[^&]+",
    )
)


def _ia(url: _Url) -> None:
    """Lowercase everything, drop www prefixes, default ports, session ids; sort the query."""
    if url.host:
        url.host = url.host.lower()
        www = _WWW.match(url.host)
        if www and url.scheme != b"dns":
            url.host = url.host[www.end() :]
    if url.port == _DEFAULT_PORTS.get(url.scheme.lower()):
        url.port = None
    if url.path:
        path = url.path.lower()
        for pattern in _PATH_SESSION_IDS:
            if m := pattern.fullmatch(path):
                path = m.group(1) + m.group(2)
        url.path = path[:-1] if len(path) > 1 and path.endswith(b"/") else path
    if url.query:
        query = url.query
        for pattern in _QUERY_SESSION_IDS:
            if m := pattern.fullmatch(query):
                query = m.group(1) + (m.group(2) or b"")
        url.query = _sort_query(query.lower()) or None


def _sort_query(query: bytes) -> bytes:
    """Arguments in byte order of (name, value); 'a' and 'a=' stay distinct."""
    if len(query) <= 1:
        return query
    args = sorted(tuple(arg.split(b"=", 1)) for arg in query.split(b"&"))
    return b"&".join(b"=".join(arg) for arg in args)


# --- output (handyurl.geturl_bytes with surt=True, with_scheme=False) ----------------------------


def _render(url: _Url) -> bytes:
    if url.host:
        key = b",".join(reversed(url.host.split(b".")))
        if isinstance(url.port, int):
            key += b":%d" % url.port
        elif url.port is not None:
            key += b":" + _escape(_unescape(url.port)).lower()
        key += b")"
    else:
        key = url.scheme + b":"  # no host (urn:, mailto:, "http:///"): scheme kept, as typed
    if url.path:
        key += url.path
    elif url.query is not None:
        key += b"/"
    if url.query is not None:
        key += b"?" + url.query
    return key


def surt(url: str) -> str:
    """The SURT key of ``url``, as ``surt.surt(url)`` (surt 0.3.1, default options) returns it.

    ``""`` gives ``"-"`` and ``filedesc...`` comes back unchanged, as from the library. Where the
    library raises, a key is returned anyway, so one odd URL cannot stop an export:

    * blank input (only whitespace) gives ``"-"``;
    * a port that is not a number from 0 to 65535 is kept as text: ``com,example:abc)/``;
    * a numeric host or port too long for Python's ``int()`` (over 4300 digits) is still read;
    * lone surrogates, which UTF-8 cannot encode, are escaped as if it could (``%ed%b2%80``).
    """
    raw = url.encode("utf-8", "surrogatepass")
    if not raw:
        return "-"
    if raw.startswith(b"filedesc"):
        return url
    parsed = _parse(raw)
    if parsed is None:
        return "-"
    _google(parsed)
    _ia(parsed)
    return _render(parsed).decode("ascii")
