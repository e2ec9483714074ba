"""PDF policies -> text, with page breaks kept as ``<!-- page N -->`` markers.

The engine is PDFium (pypdfium2), chosen by measurement (benchmarks/pdf_engines.py): on the corpus
PDFs it scores as well as pdfplumber and pypdf's layout mode at 20-30x their speed, and it is the
only one of the three that reads a table cell by cell, so an edit in one cell stays in that cell
(pypdf and pdfplumber read a table line by line across its columns, interleaving the cells).

PDFium gives the page's text as runs ("rects") in reading order, each with its box. Runs on the
same line are joined (with a space, unless they touch); a wide gap between two runs on one line
separates table cells. Lines become paragraphs, split where the next line starts a new block: a
vertical gap, a move up (the next column or table cell) or a jump sideways past the line above. Paragraphs that start
side by side on one row are a table row, written as a Markdown table row (``| a | b | c |``), so a
row is one line of the text. Then the lines of a paragraph are joined (and words hyphenated across
lines), and running headers and footers are dropped: lines that repeat at the top or bottom of
most pages (page numbers included).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import ExtractionError

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|sur|of|von|de)\s*\d{1,4})?$", re.I)
#: Gaps, in font sizes: between words of one line that separates table cells, and between a
#: line's bottom and the next line's top that starts a new paragraph (lines of a paragraph are
#: about 1.2 sizes apart, baseline to baseline).
_CELL_GAP = 1.5
_PARAGRAPH_GAP = 0.45


def pdf_to_text(body: bytes) -> tuple[str, str]:
    """(text, title) of a PDF; raises ExtractionError when PDFium cannot read it."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "password" in reason.lower():
            raise ExtractionError(f"encrypted PDF: {reason}") from None
        raise ExtractionError(f"cannot read PDF: {reason}") from None
    try:
        pages = [_page_lines(pdf[i]) for i in range(len(pdf))]
        title = str(pdf.get_metadata_dict().get("Title", "") or "")
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"cannot read PDF: {exc}") from None
    finally:
        pdf.close()
    _drop_running_lines(pages)
    parts = []
    for number, lines in enumerate(pages, start=1):
        paragraphs = _reflow(lines)
        parts.append("\n\n".join([f"<!-- page {number} -->", *paragraphs]))
    return "\n\n".join(parts), title


def _letter_spaced(text: str) -> bool:
    """Text set with wide letter spacing, which PDFium reads as one letter per word."""
    words = text.split()
    return len(words) >= 4 and sum(len(w) == 1 for w in words) > 0.6 * len(words)


def _respace(textpage: object, text: str, first: int, last: int, size: float) -> str:
    """A letter-spaced line with only the spaces that are wider than the letter spacing."""
    box = textpage.get_charbox  # type: ignore[attr-defined]
    gaps: dict[int, float] = {}
    for k in range(first + 1, last):
        if text[k] == " " and text[k - 1] != " " and text[k + 1] != " ":
            gaps[k] = box(k + 1)[0] - box(k - 1)[2]
    if not gaps:
        return text[first : last + 1]
    spacing = sorted(gaps.values())[len(gaps) // 3]
    keep = max(1.8 * spacing, 0.2 * size)
    return "".join(
        ch
        for k, ch in enumerate(text[first : last + 1], start=first)
        if ch != " " or gaps.get(k, keep + 1) > keep
    )


def _origin(textpage: object, index: int) -> tuple[float, float, float]:
    """(x, baseline y, font size) of a character: its box would follow its glyph's shape."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    x, y = ctypes.c_double(), ctypes.c_double()
    raw = textpage.raw  # type: ignore[attr-defined]
    pdfium_c.FPDFText_GetCharOrigin(raw, index, ctypes.byref(x), ctypes.byref(y))
    return x.value, y.value, float(pdfium_c.FPDFText_GetFontSize(raw, index)) or 10.0


@dataclass
class _Line:
    left: float
    bottom: float
    right: float
    top: float
    cells: list[str] = field(default_factory=list)

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)


@dataclass
class _Block:
    lines: list[_Line]

    @property
    def top(self) -> float:
        return self.lines[0].top

    @property
    def left(self) -> float:
        return min(line.left for line in self.lines)


def _page_lines(page: object) -> list[str]:
    """One page as lines, "" between paragraphs; a table row is one ``| a | b |`` line."""
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    text: str = textpage.get_text_range()
    box = textpage.get_charbox
    lines: list[_Line] = []
    start = 0
    for raw in text.split("\r\n"):  # PDFium's own lines; one character per index
        first, last = start, start + len(raw) - 1
        start += len(raw) + 2
        stripped = raw.strip()
        if not stripped:
            continue
        first += len(raw) - len(raw.lstrip())
        last -= len(raw) - len(raw.rstrip())
        left, baseline, size = _origin(textpage, first)
        right = box(last)[2]
        line = _Line(left, baseline - 0.25 * size, right, baseline + 0.75 * size)
        # a wide gap at a space separates table cells (checked only there: boxes cost time)
        cut = first
        for offset, char in enumerate(raw):
            k = first - (len(raw) - len(raw.lstrip())) + offset
            if char != " " or k <= first or k >= last or raw[offset - 1] == " ":
                continue
            after = k + 1
            while after < last and text[after] == " ":
                after += 1
            if box(after)[0] - box(k - 1)[2] > _CELL_GAP * line.height:
                line.cells.append(text[cut:k].strip())
                cut = after
        line.cells.append(text[cut : last + 1].strip())
        if any(_letter_spaced(c) for c in line.cells):
            line.cells = [_respace(textpage, text, first, last, size)]
        prev = lines[-1] if lines else None
        if prev is not None and abs(prev.bottom - line.bottom) < 0.3 * size and line.left >= prev.right - 1:
            # PDFium cut a line where the letters are spaced out: put it back together
            gap = line.left - prev.right
            if gap > _CELL_GAP * size:
                prev.cells.extend(line.cells)
            else:
                joint = "" if gap < 0.15 * size else " "
                prev.cells[-1] += joint + line.cells[0]
                prev.cells.extend(line.cells[1:])
            prev.right = line.right
            continue
        lines.append(line)
    blocks: list[_Block] = []
    for line in lines:
        prev = blocks[-1].lines[-1] if blocks else None
        if (
            prev is None
            or len(line.cells) > 1
            or len(prev.cells) > 1
            or prev.bottom - line.top > _PARAGRAPH_GAP * prev.height
            or line.top > prev.top
            or line.left > prev.right
            or line.right < prev.left
        ):
            blocks.append(_Block([line]))
        else:
            blocks[-1].lines.append(line)
    return _rows(blocks)


def _rows(blocks: list[_Block]) -> list[str]:
    """Blocks as lines: side-by-side blocks starting on one row become a table row."""
    out: list[str] = []
    in_table = False
    i = 0
    while i < len(blocks):
        row = [blocks[i]]
        while (
            i + len(row) < len(blocks)
            and abs(blocks[i + len(row)].top - row[0].top) < 0.5 * row[0].lines[0].height
            and blocks[i + len(row)].left > row[-1].left
        ):
            row.append(blocks[i + len(row)])
        cells = [cell for block in row for cell in _cells(block)]
        if len(cells) > 1:
            if not in_table:
                out.append("")
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            if not in_table:
                out.append("|" + " --- |" * len(cells))
            in_table = True
        else:
            if out:
                out.append("")
            out.extend(" ".join(line.cells) for line in row[0].lines)
            in_table = False
        i += len(row)
    return out


def _cells(block: _Block) -> list[str]:
    if len(block.lines) == 1 and len(block.lines[0].cells) > 1:
        return block.lines[0].cells
    return [_join_lines([" ".join(line.cells) for line in block.lines])]


def _join_lines(lines: list[str]) -> str:
    current = ""
    for line in lines:
        if not current:
            current = line
        elif current.endswith("-") and not current.endswith(" -") and line[:1].islower():
            current += line
        else:
            current += " " + line
    return current


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
    """Join the lines of each paragraph (paragraphs are separated by blank lines); the rows of a
    table stay one line each. A word hyphenated across lines keeps its hyphen (French compounds)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            table = all(row.startswith("|") for row in current)
            paragraphs.append("\n".join(current) if table else _join_lines(current))
            current = []
    return paragraphs
