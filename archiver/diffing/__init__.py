"""Structure-aware, word-level diff of two extracted policy texts (pure functions, no Qt).

``diff_texts(a, b)`` splits both texts into blocks (headings, paragraphs, list items, table rows),
aligns them (exact matches, then similar blocks, then moves) and diffs words inside paired blocks.
The result is immutable: rows for a side-by-side view plus statistics; ``changes_only`` and
``line_map`` derive what the views need.
"""

from __future__ import annotations

from .blocks import split_blocks
from .engine import diff_texts
from .model import (
    Block,
    BlockKind,
    DiffOptions,
    DiffResult,
    DiffRow,
    DiffStats,
    RowKind,
    RowLines,
    Skipped,
    Span,
    SpanKind,
)
from .views import changes_only, chunk_line_map, line_map

__all__ = [
    "Block",
    "BlockKind",
    "DiffOptions",
    "DiffResult",
    "DiffRow",
    "DiffStats",
    "RowKind",
    "RowLines",
    "Skipped",
    "Span",
    "SpanKind",
    "changes_only",
    "chunk_line_map",
    "diff_texts",
    "line_map",
    "split_blocks",
]
