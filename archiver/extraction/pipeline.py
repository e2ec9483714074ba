"""extract(): sniff the kind of body, decode, convert, normalise, flag."""

from __future__ import annotations

import hashlib
import re

from ..errors import ExtractionError, UnsupportedContentError
from ..models import Extraction, ExtractionRule, Flag
from .dates import stated_date
from .decoding import decode, gunzip_if_needed
from .markdown import count_words, normalize_text
from .quality import guess_language, text_flags

#: Bump whenever the text extracted from the same bytes can change.
EXTRACTOR_VERSION = "extract-5"

_BINARY_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"RIFF", "application/octet-stream"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
    (b"wOFF", "font/woff"),
    (b"wOF2", "font/woff2"),
    (b"%!PS", "application/postscript"),
    (b"\x7fELF", "application/octet-stream"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
)
_HTML_HINT = re.compile(rb"<(?:html|head|body|meta|title|p|div|h[1-6]|table|ul|ol|li|a\s)[\s>/]", re.I)


def sniff_kind(body: bytes, content_type: str = "") -> str:
    """html | pdf | markdown | text, or raises UnsupportedContentError (images, binaries...).

    The archived Content-Type is a hint: a PDF is known by its magic, a document that starts like
    HTML is HTML whatever it was served as, and Markdown or plain text stays text even when it
    holds a few tags (``<br>`` in a Markdown table)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    for magic, kind in _BINARY_MAGIC:
        if head.startswith(magic):
            # name what the bytes are (a scan served or imported as text/html is still a PNG)
            if kind == "application/octet-stream" and mime and not mime.startswith("text/"):
                kind = mime  # RIFF, ELF: the declared type says more (image/webp, audio/wav...)
            served = f", served as {mime}" if mime and mime != kind else ""
            raise UnsupportedContentError(kind, f"binary content{served}")
    if mime == "application/pdf":
        raise ExtractionError("declared PDF but the body has no %PDF- header (truncated or an error page?)")
    probe = body[:8192]
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at the characters, not the bytes
        probe = probe.decode("utf-16", "ignore").encode("ascii", "ignore")
    starts_like_html = _HTML_START.match(probe) is not None
    if starts_like_html:
        return "html"
    if _looks_binary(head):  # random bytes named .html or served as text/html are still binary
        raise UnsupportedContentError(content_type or "application/octet-stream", "binary content")
    if mime in ("text/html", "application/xhtml+xml"):
        return "html"
    if mime.startswith(("image/", "audio/", "video/", "font/", "model/")) or mime in _NOT_DOCUMENTS:
        raise UnsupportedContentError(content_type, "not a document")
    if mime in ("text/markdown", "text/x-markdown") or mime.endswith("+markdown"):
        return "markdown"
    if mime.startswith("text/"):
        return "text"
    looks_html = probe.lstrip()[:1] == b"<" or len(_HTML_HINT.findall(probe)) >= 3
    return "html" if looks_html else "text"


def plain_kind(body: bytes) -> str | None:
    """What the first bytes plainly are, from signatures alone, whatever the headers say: "pdf", a
    binary type from its magic number ("image/png"...), "html" for a body that starts like an HTML
    document; None when the bytes do not say. For callers that must not trust a stale header (a
    PNG replayed with ``Content-Encoding: br`` is a PNG, not a brotli stream)."""
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    for magic, kind in _BINARY_MAGIC:
        if head.startswith(magic):
            return kind
    return "html" if _HTML_START.match(body[:8192]) else None


_NOT_DOCUMENTS = frozenset(
    {
        "application/octet-stream",
        "application/zip",
        "application/javascript",
        "text/javascript",
        "text/css",
        "application/json",
        "application/gzip",
        "application/wasm",
    }
)
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|\?xml)[\s>]", re.I | re.S)


_CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13, 27}


def _looks_binary(head: bytes) -> bool:
    """Control bytes text never has (UTF-16 with a BOM aside): more than 1 in 20 is binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) or not head:
        return False
    return sum(b in _CONTROL_BYTES for b in head) > len(head) / 20


def _finish(
    markdown: str,
    *,
    title: str = "",
    declared_language: str = "",
    charset: str = "",
    rule: str = "",
    confidence: float = 1.0,
    replacements: int = 0,
    script_chars: int = 0,
    html_chars: int = 0,
    app_root: bool = False,
    wall: str = "",
    extra_flags: tuple[str, ...] = (),
) -> Extraction:
    text = normalize_text(markdown)
    words = count_words(text)
    flags = text_flags(
        text, words, title, replacements or text.count("\ufffd"), script_chars, html_chars, app_root, wall
    )
    flags.extend(f for f in extra_flags if f not in flags)
    language = guess_language(text, declared_language.split("-")[0])
    # the declared tag keeps its region ("en-gb"), which decides how numeric dates read
    locale = declared_language if declared_language.split("-")[0] == language else language
    return Extraction(
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        extractor_version=EXTRACTOR_VERSION,
        words=words,
        title=" ".join(title.split()),
        language=language,
        charset=charset,
        charset_rule=rule,
        charset_confidence=confidence,
        stated_date=stated_date(text, locale),
        flags=tuple(flags),
        fingerprint=_fingerprint(),
    )


def _fingerprint() -> str:
    from .fingerprint import current_fingerprint  # it imports this module: here, not at the top

    return current_fingerprint()


def extract(
    body: bytes,
    content_type: str = "",
    url: str = "",
    rules: tuple[ExtractionRule, ...] = (),
    timestamp: str = "",
) -> Extraction:
    """Policy text of one capture's raw bytes.

    ``rules`` are the policy's override rules; the latest whose ``valid_from`` is not after
    ``timestamp`` applies. Raises UnsupportedContentError for images and other binaries, and
    ExtractionError (one-line message) for a document that cannot be read.
    """
    del url  # reserved: relative link targets are not kept in the text
    if not body or not body.strip():
        raise ExtractionError("empty body: nothing to extract")
    body = gunzip_if_needed(body)
    kind = sniff_kind(body, content_type)
    if kind == "pdf":
        from .pdf import pdf_to_text

        text, title = pdf_to_text(body)
        return _finish(text, title=title, charset="", rule="pdf")
    decoded = decode(body, content_type)
    if kind == "html":
        from .html import html_to_markdown

        page = html_to_markdown(decoded.text, rules, timestamp)
        return _finish(
            page.markdown,
            title=page.title,
            declared_language=page.declared_language,
            charset=decoded.charset,
            rule=decoded.rule,
            confidence=decoded.confidence,
            replacements=decoded.replacements,
            script_chars=page.script_chars,
            html_chars=page.html_chars,
            app_root=page.app_root,
            wall=page.wall,
            extra_flags=tuple(
                flag.value
                for flag, on in (
                    (Flag.RULE_UNMATCHED, page.rule_unmatched),
                    (Flag.LOW_CONFIDENCE, page.low_confidence),
                )
                if on
            ),
        )
    return _finish(
        decoded.text,
        charset=decoded.charset,
        rule=decoded.rule,
        confidence=decoded.confidence,
        replacements=decoded.replacements,
    )


def from_markdown(text: str) -> Extraction:
    """An extraction for text-only imports (Princeton-Leuven Markdown): normalised, idempotent."""
    return _finish(text, charset="utf-8", rule="text", extra_flags=(Flag.NO_RAW_BYTES.value,))
