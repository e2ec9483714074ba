"""The compare view: side-by-side or unified word-level diff of two archived versions (PySide6)."""

from __future__ import annotations

from .changes import ChangeListModel
from .view import CompareView, stats_text

__all__ = ["ChangeListModel", "CompareView", "stats_text"]
