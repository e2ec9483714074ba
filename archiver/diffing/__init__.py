"""Structure-aware, word-level diff of two extracted policy texts (pure functions, no Qt)."""

from __future__ import annotations

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
]
