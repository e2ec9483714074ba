"""The compare view: side-by-side or unified word-level diff of two archived versions (PySide6)."""

from __future__ import annotations

from .changes import ChangeListModel, stats_text
from .view import CompareView

__all__ = ["ChangeListModel", "CompareView", "stats_text"]
