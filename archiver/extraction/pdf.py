"""PDF policies -> text, with page breaks kept as ``<!-- page N -->`` markers.

pypdf's default mode emits many PDFs one word per line; its layout mode keeps lines and the blank
lines between paragraphs, so we take that, collapse the alignment spaces, rejoin the lines of a
paragraph (and words hyphenated across lines) and drop running headers and footers: lines that
repeat at the top or bottom of most pages (page numbers included).
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from ..errors import ExtractionError

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|sur|of|von|de)\s*\d{1,4})?$", re.I)


def pdf_to_text(body: bytes) -> tuple[str, str]:
    """(text, title) of a PDF; raises ExtractionError when pypdf cannot read it."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported encryption
                raise ExtractionError(f"encrypted PDF: {exc}") from None
        pages: list[list[str]] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text(extraction_mode="layout") or ""
            except Exception as exc:  # one broken page must not lose the others
                log.warning("PDF page %d: %s", number, exc)
                try:
                    text = page.extract_text() or ""
                except Exception:
                    text = ""
            pages.append([_SPACES.sub(" ", line).strip() for line in text.splitlines()])
        title = ""
        try:
            meta = reader.metadata
            if meta is not None and meta.title:
                title = str(meta.title)
        except Exception:  # metadata is optional and often malformed
            title = ""
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise ExtractionError(f"cannot read PDF: {type(exc).__name__}: {exc}") from None
    _drop_running_lines(pages)
    parts = []
    for number, lines in enumerate(pages, start=1):
        paragraphs = _reflow(lines)
        parts.append("\n\n".join([f"<!-- page {number} -->", *paragraphs]))
    return "\n\n".join(parts), title


def _edge_lines(lines: list[str]) -> list[int]:
    """Indexes of the first two and last two non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line]
    return sorted(set(filled[:2] + filled[-2:]))


def _drop_running_lines(pages: list[list[str]]) -> None:
    if len(pages) < 3:
        return
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_DIGITS.sub("#", lines[i]) for i in _edge_lines(lines)})
    running = {key for key, n in seen.items() if n >= max(3, 0.4 * len(pages))}
    for lines in pages:
        for i in _edge_lines(lines):
            if _DIGITS.sub("#", lines[i]) in running or _PAGE_NUMBER.match(lines[i]):
                lines[i] = ""


def _reflow(lines: list[str]) -> list[str]:
    """Join the lines of each paragraph (paragraphs are separated by blank lines)."""
    paragraphs: list[str] = []
    current = ""
    for line in [*lines, ""]:
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if not current:
            current = line
        elif current.endswith("-") and not current.endswith(" -") and line[:1].islower():
            current += line  # a word hyphenated across lines keeps its hyphen (French compounds)
        else:
            current += " " + line
    return paragraphs
