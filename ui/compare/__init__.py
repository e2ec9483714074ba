"""The compare view: side-by-side or unified word-level diff of two archived versions (PySide6).

Wiring: run ``archiver.diffing.diff_texts`` in a worker, then ``view.set_result(result, left_title,
right_title)``; on ``optionsChanged(DiffOptions)`` diff again with those options and call ``set_result``
with the same titles (the view keeps its place). ``statsChanged(str)`` feeds a status bar,
``currentChangeChanged(index, total)`` a "change 3 of 7" label. The view's QActions (``view.actions()``,
also as attributes such as ``next_action``) can go into menus as they are.
"""

from __future__ import annotations

from .changes import ChangeListModel, stats_text
from .view import CompareView

__all__ = ["ChangeListModel", "CompareView", "stats_text"]
