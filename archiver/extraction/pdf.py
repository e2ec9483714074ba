"""PDF policies -> text, with page breaks kept as ``<!-- page N -->`` markers."""

from __future__ import annotations

import io
import logging

from ..errors import ExtractionError

log = logging.getLogger(__name__)


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
        pages: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one broken page must not lose the others
                log.warning("PDF page %d: %s", number, exc)
                text = ""
            pages.append(f"<!-- page {number} -->\n\n{text.strip()}" if text.strip() else f"<!-- page {number} -->")
        title = ""
        try:
            meta = reader.metadata
            if meta is not None and meta.title:
                title = str(meta.title)
        except Exception:  # metadata is optional and often malformed
            title = ""
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError(f"cannot read PDF: {exc}") from None
    return "\n\n".join(pages), title
