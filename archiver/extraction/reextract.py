"""Re-extracting stored captures after an upgrade of the extractor or of a library that shapes the
text: raw bytes untouched, changes named.

A capture is out of date when its extraction was made by another extractor version or with another
extraction fingerprint (:mod:`.fingerprint`). Storage owns the bytes and the extraction rows; this
module only computes, so the caller decides whether to report what would change or to store it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ..errors import ExtractionError
from ..models import Capture, Extraction, ExtractionRule
from .fingerprint import current_fingerprint
from .pipeline import EXTRACTOR_VERSION, extract, from_markdown
from .quality import capture_flags


@dataclass(frozen=True, slots=True)
class Reextraction:
    """One capture's extraction before and after; ``new`` is None when extraction now fails."""

    capture: Capture
    old: Extraction | None
    new: Extraction | None
    error: str = ""

    @property
    def changed(self) -> bool:
        """The text (hence the version identity) changed."""
        old_sha = self.old.text_sha256 if self.old else None
        new_sha = self.new.text_sha256 if self.new else None
        return old_sha != new_sha


def extract_capture(capture: Capture, body: bytes, rules: tuple[ExtractionRule, ...] = ()) -> Extraction:
    """A stored capture's text: the rules in force at its time, plus the flags its HTTP facts give."""
    new = extract(body, capture.content_type, capture.original_url, rules, capture.timestamp)
    flags = capture_flags(capture, new)
    return new if flags == new.flags else replace(new, flags=flags)


def is_outdated(old: Extraction | None, fingerprint: str | None = None) -> bool:
    """Whether a stored extraction was made by another extractor or with another fingerprint
    (``fingerprint``: the current one, by default this process's)."""
    current = current_fingerprint() if fingerprint is None else fingerprint
    return old is None or old.extractor_version != EXTRACTOR_VERSION or old.fingerprint != current


def reextract(
    items: Iterable[tuple[Capture, bytes | None, Extraction | None]],
    rules: tuple[ExtractionRule, ...] = (),
    only_outdated: bool = True,
    fingerprint: str | None = None,
) -> Iterator[Reextraction]:
    """Extract each ``(capture, raw body or None, stored extraction)`` again with this extractor.

    Text-only captures (no raw bytes, e.g. Princeton-Leuven imports) are re-normalised from their
    stored text. With ``only_outdated``, extractions made by this extractor version with the current
    ``fingerprint`` (by default this process's) are skipped; the new extractions record it.
    """
    current = current_fingerprint() if fingerprint is None else fingerprint
    for capture, body, old in items:
        if only_outdated and not is_outdated(old, current):
            continue
        try:
            if body is None:
                if old is None:
                    continue
                new = from_markdown(old.text)
            else:
                new = extract_capture(capture, body, rules)
        except ExtractionError as exc:
            yield Reextraction(capture, old, None, str(exc))
            continue
        yield Reextraction(capture, old, replace(new, fingerprint=current))
