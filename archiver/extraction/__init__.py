"""Raw capture bytes -> normalised policy Markdown, with charset provenance and quality flags.

Public surface::

    extract(body, content_type, url, rules, timestamp) -> Extraction
    from_markdown(text) -> Extraction            # text-only imports; idempotent
    normalize_text(text) -> str                  # the form that decides version identity
    sequence_flags(items) -> list[tuple[str, ...]]
    capture_flags(capture, extraction) -> tuple[str, ...]
    extract_capture(capture, body, rules) -> Extraction  # extract + the capture's HTTP flags
    reextract(items, rules) -> Iterator[Reextraction]   # after an extractor upgrade: what changed

No Qt here; lxml (with cssselect for rules), charset-normalizer, pypdfium2 (PDF) and py3langid (language).
"""

from __future__ import annotations

from .dates import stated_date
from .markdown import normalize_text
from .pipeline import EXTRACTOR_VERSION, extract, from_markdown, sniff_kind
from .quality import SequenceItem, capture_flags, guess_language, section_keys, sequence_flags
from .reextract import Reextraction, extract_capture, reextract

__all__ = [
    "EXTRACTOR_VERSION",
    "Reextraction",
    "SequenceItem",
    "capture_flags",
    "extract",
    "extract_capture",
    "from_markdown",
    "guess_language",
    "normalize_text",
    "reextract",
    "section_keys",
    "sequence_flags",
    "sniff_kind",
    "stated_date",
]
