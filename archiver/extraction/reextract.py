"""Re-extracting stored captures after an extractor upgrade: raw bytes untouched, changes named.

Storage owns the bytes and the extraction rows; this module only computes, so the archive can run
it inside its own transaction and report which versions' text changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ..errors import ExtractionError
from ..models import Capture, Extraction, ExtractionRule
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

    @property
    def outdated(self) -> bool:
        """Made by another extractor version (whether or not the text changed)."""
        return self.old is None or self.old.extractor_version != EXTRACTOR_VERSION


def extract_capture(capture: Capture, body: bytes, rules: tuple[ExtractionRule, ...] = ()) -> Extraction:
    """A stored capture's text: the rules in force at its time, plus the flags its HTTP facts give."""
    new = extract(body, capture.content_type, capture.original_url, rules, capture.timestamp)
    flags = capture_flags(capture, new)
    return new if flags == new.flags else replace(new, flags=flags)


def reextract(
    items: Iterable[tuple[Capture, bytes | None, Extraction | None]],
    rules: tuple[ExtractionRule, ...] = (),
    only_outdated: bool = True,
) -> Iterator[Reextraction]:
    """Extract each ``(capture, raw body or None, stored extraction)`` again with this extractor.

    Text-only captures (no raw bytes, e.g. Princeton-Leuven imports) are re-normalised from their
    stored text. With ``only_outdated``, extractions already made by this version are skipped.
    """
    for capture, body, old in items:
        if only_outdated and old is not None and old.extractor_version == EXTRACTOR_VERSION:
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
        yield Reextraction(capture, old, new)
