"""Pure layout of a DiffResult into pane text (no Qt): aligned rows, filler lines, soft wrapping.

Both panes of the side-by-side layout get exactly the same number of lines: every row is padded to the
height of its taller side, so one scroll position serves both panes (filler lines and one shared
scrollbar: read-only panes need no interpolated scroll sync).
Lines are wrapped here, not by Qt: a soft wrap turns a space into the line break, and only a word
longer than the line gets a line break inserted ("hard" break). ``PaneText.search_text`` is the text as
written (soft wraps back as spaces, hard breaks removed); ``to_text``/``to_source`` map offsets between
it and the pane text, so spans, find and copy work on the text as written.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from archiver.diffing import Block, DiffResult, DiffRow, RowKind, Skipped, Span, SpanKind, changes_only

# Line styles (block backgrounds) and span styles (character backgrounds).
INSERT, DELETE, REPLACE, MOVE, FILLER, SKIPPED = "insert", "delete", "replace", "move", "filler", "skipped"
SPAN_INS, SPAN_DEL = "ins", "del"

_ROW_STYLE = {
    RowKind.INSERT: INSERT,
    RowKind.DELETE: DELETE,
    RowKind.REPLACE: REPLACE,
    RowKind.MOVE: MOVE,
}
_SPAN_STYLE = {SpanKind.INSERT: SPAN_INS, SpanKind.DELETE: SPAN_DEL}
CHANGES_ONLY_CONTEXT = 2


@dataclass(frozen=True, slots=True)
class Hunk:
    """A run of consecutive changed rows of one kind: what next/previous change steps through."""

    first: int  # index of the first row in DiffResult.rows
    last: int  # index of the last row (inclusive)
    kind: RowKind


@dataclass(slots=True)
class PaneText:
    """What one pane shows: its text, line styles, span styles and a source line number per line."""

    lines: list[str] = field(default_factory=list)
    # what follows each line in the text as written: "\n", " " (a soft wrap) or "" (a hard break)
    seps: list[str] = field(default_factory=list)
    styles: list[tuple[int, int, str]] = field(default_factory=list)  # (first line, stop line, style)
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end) offsets into text
    numbers: list[int] = field(default_factory=list)  # 1-based source line number, 0 for none
    numbers2: list[int] = field(default_factory=list)  # unified view: the new version's line numbers
    unified: bool = False  # show both number columns
    source_offset: int = 0  # offset in search_text of the next line
    hard: list[int] = field(default_factory=list)  # search_text offsets where a hard break was inserted
    # (row index, side: 0 older, 1 newer) -> search_text offset where that block's text begins
    starts: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def search_text(self) -> str:
        """The text as written: soft wraps back as spaces, hard breaks removed."""
        if not self.lines:
            return ""
        parts = [line + sep for line, sep in zip(self.lines, self.seps, strict=True)]
        parts[-1] = self.lines[-1]
        return "".join(parts)

    def to_text(self, pos: int) -> int:
        """The offset in ``text`` of the character at ``pos`` in ``search_text``."""
        return pos + bisect_right(self.hard, pos) if self.hard else pos

    def text_range(self, start: int, end: int) -> tuple[int, int]:
        """``search_text[start:end]`` as a range of ``text`` (a hard break inside it included)."""
        if end <= start:
            return self.to_text(start), self.to_text(start)
        return self.to_text(start), self.to_text(end - 1) + 1

    def to_source(self, pos: int) -> int:
        """The offset in ``search_text`` of the character at ``pos`` in ``text``."""
        if not self.hard:
            return pos
        # the k-th inserted line break sits at text offset hard[k] + k
        lo, hi = 0, len(self.hard)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.hard[mid] + mid < pos:
                lo = mid + 1
            else:
                hi = mid
        return pos - lo

    def line_offsets(self) -> list[int]:
        out, pos = [], 0
        for line in self.lines:
            out.append(pos)
            pos += len(line) + 1
        return out

    def add(self, line: str, number: int = 0, sep: str = "\n", number2: int = 0) -> None:
        self.lines.append(line)
        self.seps.append(sep)
        self.numbers.append(number)
        self.numbers2.append(number2)
        self.source_offset += len(line) + len(sep)
        if not sep:
            self.hard.append(self.source_offset)

    def style(self, first: int, stop: int, style: str | None) -> None:
        if style is not None and stop > first:
            self.styles.append((first, stop, style))


@dataclass(slots=True)
class Layout:
    """The laid-out panes (one in the unified view) and where each row and hunk landed."""

    panes: list[PaneText]
    row_lines: dict[int, tuple[int, int]]  # row index -> (first view line, line count)
    hunks: list[Hunk]
    hunk_lines: list[tuple[int, int]]  # per hunk: (first view line, line count)
    skipped: dict[int, int] = field(default_factory=dict)  # marker line -> first hidden row

    @property
    def total_lines(self) -> int:
        return len(self.panes[0].lines)

    def row_at_line(self, line: int) -> int | None:
        """The row shown at a view line (the last shown row starting at or above it)."""
        rows = list(self.row_lines)
        starts = [self.row_lines[r][0] for r in rows]
        k = bisect_right(starts, line) - 1
        return rows[k] if k >= 0 else (rows[0] if rows else None)


def wrap_line(line: str, width: int | None) -> list[tuple[str, str]]:
    """Greedy wrap: ``(piece, sep)`` pairs, ``sep`` " " where a space became the break, "" where a word
    longer than ``width`` was cut, and "\n" after the last piece; ``"".join(p + s)`` gives the line back."""
    if not width or len(line) <= width:
        return [(line, "\n")]
    pieces, start, n = [], 0, len(line)
    while n - start > width:
        brk = line.rfind(" ", start + 1, start + width + 1)
        if brk > start:
            pieces.append((line[start:brk], " "))
            start = brk + 1
        else:
            pieces.append((line[start : start + width], ""))
            start += width
    pieces.append((line[start:], "\n"))
    return pieces


def hunks_of(result: DiffResult) -> list[Hunk]:
    hunks: list[Hunk] = []
    prev_kind: RowKind | None = None
    for k, row in enumerate(result.rows):
        kind = row.kind
        if kind is RowKind.EQUAL:
            prev_kind = None
            continue
        if kind is prev_kind and hunks and hunks[-1].last == k - 1:
            hunks[-1] = Hunk(hunks[-1].first, k, kind)
        else:
            hunks.append(Hunk(k, k, kind))
        prev_kind = kind
    return hunks


class _Side:
    """One block of one side, split into wrapped body lines and trailing blank lines."""

    __slots__ = ("block", "body", "pieces", "numbers", "seps", "blanks")

    def __init__(self, block: Block | None, width: int | None) -> None:
        self.block = block
        self.pieces: list[str] = []
        self.numbers: list[int] = []
        self.seps: list[str] = []
        self.blanks = 0
        self.body = ""
        if block is None:
            return
        text = block.text
        self.body = body = text.rstrip()
        total = text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0
        body_lines = body.split("\n") if body else []
        self.blanks = max(0, total - len(body_lines))
        for i, src in enumerate(body_lines):
            wrapped = wrap_line(src, width)
            for j, (piece, sep) in enumerate(wrapped):
                self.pieces.append(piece)
                self.numbers.append(block.line + i + 1 if j == 0 else 0)
                self.seps.append(sep)


def _iter_rows(result: DiffResult, only_changes: bool) -> list[tuple[int, DiffRow] | Skipped]:
    if not only_changes:
        return list(enumerate(result.rows))
    out: list[tuple[int, DiffRow] | Skipped] = []
    k = 0
    for item in changes_only(result, CHANGES_ONLY_CONTEXT):
        if isinstance(item, Skipped):
            out.append(item)
            k = item.stop
        else:
            out.append((k, item))
            k += 1
    return out


def _skipped_label(item: Skipped, width: int | None) -> str:
    n = item.count
    for label in (
        f"⋯ {n} unchanged blocks hidden (double-click to show) ⋯",
        f"⋯ {n} unchanged blocks hidden ⋯",
    ):
        if not width or len(label) <= width:
            return label
    return f"⋯ {n} hidden ⋯"[:width]


def _blank_number(side: _Side) -> int:
    block = side.block
    if block is None:
        return 0
    return block.line + (side.body.count("\n") + 1 if side.body else 0)


def layout_side_by_side(result: DiffResult, width: int | None = None, only_changes: bool = False) -> Layout:
    left, right = PaneText(), PaneText()
    row_lines: dict[int, tuple[int, int]] = {}
    skipped: dict[int, int] = {}
    for item in _iter_rows(result, only_changes):
        if isinstance(item, Skipped):
            skipped[len(left.lines)] = item.start
            for pane in (left, right):
                pane.add(_skipped_label(item, width))
                pane.style(len(pane.lines) - 1, len(pane.lines), SKIPPED)
            continue
        k, row = item
        start = len(left.lines)
        ls, rs = _Side(row.left, width), _Side(row.right, width)
        body = max(len(ls.pieces), len(rs.pieces))
        blanks = max(ls.blanks, rs.blanks)
        style = _ROW_STYLE.get(row.kind)
        for n, (side, pane, spans) in enumerate(((ls, left, row.left_spans), (rs, right, row.right_spans))):
            _emit(side, pane, style, spans, body - len(side.pieces), blanks, key=(k, n))
        row_lines[k] = (start, len(left.lines) - start)
    assert len(left.lines) == len(right.lines)
    return _finish([left, right], row_lines, result, skipped)


def layout_unified(result: DiffResult, width: int | None = None, only_changes: bool = False) -> Layout:
    """One column: equal rows once; a changed row shows its left block, then its right block."""
    pane = PaneText(unified=True)
    row_lines: dict[int, tuple[int, int]] = {}
    skipped: dict[int, int] = {}
    for item in _iter_rows(result, only_changes):
        if isinstance(item, Skipped):
            skipped[len(pane.lines)] = item.start
            pane.add(_skipped_label(item, width))
            pane.style(len(pane.lines) - 1, len(pane.lines), SKIPPED)
            continue
        k, row = item
        start = len(pane.lines)
        ls, rs = _Side(row.left, width), _Side(row.right, width)
        if row.kind is RowKind.EQUAL:
            _emit(ls, pane, None, (), 0, ls.blanks, mirror=rs, key=(k, 0))
        else:
            moved = row.kind is RowKind.MOVE
            if row.left is not None:
                blanks = 0 if row.right else ls.blanks
                _emit(ls, pane, MOVE if moved else DELETE, row.left_spans, 0, blanks, key=(k, 0))
            if row.right is not None:
                blanks = max(ls.blanks, rs.blanks)
                _emit(rs, pane, MOVE if moved else INSERT, row.right_spans, 0, blanks, column=1, key=(k, 1))
        row_lines[k] = (start, len(pane.lines) - start)
    return _finish([pane], row_lines, result, skipped)


def _emit(
    side: _Side,
    pane: PaneText,
    style: str | None,
    spans: tuple[Span, ...],
    fill: int,
    blanks: int,
    column: int = 0,
    mirror: _Side | None = None,
    key: tuple[int, int] | None = None,
) -> None:
    """Body lines, ``fill`` filler lines, then ``blanks`` separator lines. The line numbers go to
    ``column`` (0: old, 1: new, the unified view's second column); ``mirror`` (an equal row's other
    side) numbers the second column too when its lines match; ``key`` (row, side) records where the
    block begins (``PaneText.starts``)."""
    first, base = len(pane.lines), pane.source_offset
    if key is not None and side.block is not None:
        pane.starts[key] = base
    twin = mirror is not None and len(mirror.pieces) == len(side.pieces)
    for k, (piece, number, sep) in enumerate(zip(side.pieces, side.numbers, side.seps, strict=True)):
        if column:
            pane.add(piece, 0, sep, number)
        else:
            pane.add(piece, number, sep, mirror.numbers[k] if twin and mirror is not None else 0)
    pane.style(first, len(pane.lines), style)
    limit = len(side.body)
    for s in spans:
        end = min(s.end, limit)
        if end > s.start:
            pane.spans.append((base + s.start, base + end, _SPAN_STYLE[s.kind]))
    start = len(pane.lines)
    for _ in range(fill):
        pane.add("")
    pane.style(start, len(pane.lines), FILLER)
    number = _blank_number(side)
    other = _blank_number(mirror) if mirror is not None else 0
    for j in range(blanks):
        n = number + j + 1 if j < side.blanks else 0
        n2 = other + j + 1 if mirror is not None and twin and j < mirror.blanks else 0
        pane.add("", 0, "\n", n) if column else pane.add("", n, "\n", n2)


def _finish(
    panes: list[PaneText], row_lines: dict[int, tuple[int, int]], result: DiffResult, skipped: dict[int, int]
) -> Layout:
    for pane in panes:  # spans were collected in source offsets
        if pane.hard:
            pane.spans = [(*pane.text_range(start, end), style) for start, end, style in pane.spans]
    hunks = hunks_of(result)
    hunk_lines = []
    for h in hunks:
        first = row_lines[h.first][0]
        last_start, last_n = row_lines[h.last]
        hunk_lines.append((first, last_start + last_n - first))
    return Layout(panes, row_lines, hunks, hunk_lines, skipped)


def matching_row(result: DiffResult, old: DiffRow) -> int | None:
    """The row of ``result`` showing the source line where ``old`` (a row of another diff of the same
    pair) starts: rows are in source order on each side."""
    use_left = old.left is not None
    block = old.left if use_left else old.right
    if block is None:
        return None
    best = None
    for k, row in enumerate(result.rows):
        other = row.left if use_left else row.right
        if other is None:
            continue
        if other.line > block.line:
            break
        best = k
    return best


def line_of_row(lay: Layout, row: int) -> int:
    """The view line of ``row``, or of the next shown row when it is hidden (changes only)."""
    if row in lay.row_lines:
        return lay.row_lines[row][0]
    rows = sorted(lay.row_lines)
    k = bisect_right(rows, row)
    if k < len(rows):
        return lay.row_lines[rows[k]][0]
    return max(0, lay.total_lines - 1)
