"""URL input rules: what counts as a web page URL, and when two URLs name the same policy.

Checked before any request is made, so a typo never reaches an archive.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .errors import InvalidURLError

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|_ga)$", re.I)
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "=&%:@!$'()*+,;/?-._~"


def normalize_url(raw: str) -> str:
    """Return the canonical display form of a user-given URL, or raise InvalidURLError.

    Trims space, drops the fragment, adds ``https://`` when no scheme is given, encodes IDN hosts
    as IDNA and non-ASCII paths as percent-escapes. Refuses mailto:, javascript:, hostless and
    other non-http(s) input.
    """
    text = raw.strip()
    if not text:
        raise InvalidURLError(raw, "empty")
    if any(c in text for c in "\r\n\t") or " " in text:
        raise InvalidURLError(raw, "contains spaces or line breaks")
    m = _SCHEME.match(text)
    if m and re.match(r"\d", text[m.end() :]):  # host:port, not a scheme
        m = None
    if m and not text[m.end() :].startswith("//") and m.group(1).lower() not in ("http", "https"):
        raise InvalidURLError(raw, f"{m.group(1).lower()}: is not a web address")
    if m and m.group(1).lower() not in ("http", "https"):
        raise InvalidURLError(raw, f"only http and https are supported, not {m.group(1).lower()}:")
    if not m:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # an unclosed [IPv6 literal: urlsplit refuses it
        raise InvalidURLError(raw, str(exc)) from None
    if "@" in parts.netloc:
        raise InvalidURLError(raw, "contains a user name or password; leave them out")
    host = parts.hostname or ""
    if not host or host.startswith(".") or ".." in host:
        raise InvalidURLError(raw, "no host name")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise InvalidURLError(raw, f"bad host name ({exc})") from None
    if ":" in ascii_host:  # an IPv6 literal: urlsplit strips its brackets
        if not re.fullmatch(r"[0-9a-f:.]+", ascii_host):
            raise InvalidURLError(raw, f"bad IPv6 address {host!r}")
        ascii_host = f"[{ascii_host}]"
    elif not re.fullmatch(r"[a-z0-9.-]+", ascii_host) or ascii_host.endswith("-"):
        raise InvalidURLError(raw, f"bad host name {host!r}")
    try:
        port = parts.port
    except ValueError:
        raise InvalidURLError(raw, "bad port number") from None
    netloc = ascii_host + (f":{port}" if port else "")
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def policy_key(url: str) -> str:
    """The key under which variants of one policy URL are grouped.

    Scheme, ``www.``, default ports, a trailing slash, the fragment, percent-encoding case and
    tracking parameters (``utm_*``, ``fbclid``…) do not matter; other query parameters do.
    """
    parts = urlsplit(normalize_url(url))
    host = (parts.hostname or "").removeprefix("www.")
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port not in (80, 443):
        host += f":{parts.port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE).rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    q = urlencode(sorted(query))
    return host + path + (f"?{q}" if q else "")


def display_url(url: str) -> str:
    """The readable form of a normalised URL: Unicode host names, and percent-escapes that stand for
    non-ASCII text shown as that text. Escapes of ASCII (``%2F``, ``%20``…) stay, so the URL still
    says exactly which page it is."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if "xn--" in host:
        try:
            host = host.encode("ascii").decode("idna")
        except UnicodeError:
            pass  # not valid IDNA after all: show it as it is
        netloc = parts.netloc.replace(parts.hostname or "", host, 1)
    else:
        netloc = parts.netloc
    path, query = _readable(parts.path), _readable(parts.query)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


_ESCAPED_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _readable(text: str) -> str:
    def decode(m: re.Match[str]) -> str:
        raw = m.group(0)
        try:
            decoded = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return raw
        # keep ASCII escapes (and anything unprintable) escaped; show the rest
        return "".join(ch if ord(ch) > 127 and ch.isprintable() else quote(ch, safe="") for ch in decoded)

    return _ESCAPED_RUN.sub(decode, text)
