"""The topic marks of the compare panes: the "Topics" toggle, the marks put on and taken off, their tooltips.

``topicmarks`` finds where the topic words stand in a result's blocks (no Qt); a ``TopicMarker`` owns
what the panes show of them, as ``find.PaneFinder`` owns the search highlights: the tags the owner
handed in, the topic filter, the marks found once per tags and filter, and the topic names shown when
the pointer rests on a marked word. The view owns one and tells it when the tags go stale (another
result, a cleared view) and when the panes have new text (:meth:`show`, after each layout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import QToolTip, QWidget

from archiver.diffing import DiffResult

from .layout import Layout
from .panes import DiffPane, topic_format
from .topicmarks import BlockKey, Mark, has_changed_words, word_marks

if TYPE_CHECKING:
    from archiver.analysis.topics import TopicMatch

_MAX_MARKS = 1_000  # per pane, as find caps its highlights (docs/performance.md)


class TopicMarker(QObject):
    """Underlines the changed topic words in ``panes`` while ``action`` (the "Topics" toggle) is on.

    ``view`` is the parent, and its palette gives the marks' colour (the palette the panes' text was
    shown in). The action starts checked and disabled: there is nothing to mark before the owner's tags.
    """

    def __init__(self, view: QWidget, action: QAction, panes: tuple[DiffPane, DiffPane]) -> None:
        super().__init__(view)
        self._view = view
        self._action = action
        self._panes = panes
        self._result: DiffResult | None = None  # what the panes show, as of the last show()
        self._layout: Layout | None = None
        self._tags: Sequence[Sequence[TopicMatch]] = ()  # per row of the result, from the owner
        self._filter = ""  # a topic id: only its words are marked
        self._found: dict[BlockKey, list[Mark]] | None = None  # found in the blocks, once per tags
        action.setChecked(True)
        action.setEnabled(False)  # until a comparison has topic words
        action.toggled.connect(lambda _on: self.apply())
        for pane in panes:
            pane.viewport().installEventFilter(self)  # a marked word's topics as its tooltip

    def forget_tags(self) -> None:
        """The tags were those of another result: nothing to mark until the owner tags this one anew."""
        self._tags, self._found = (), None
        self._action.setEnabled(False)

    def clear(self) -> None:
        """The view was cleared (the panes' text, and so their marks, are gone already)."""
        self.forget_tags()
        self._result, self._layout = None, None

    def set_tags(self, tags: Sequence[Sequence[TopicMatch]]) -> None:
        """The topics of each row of the result shown: underline their changed words."""
        self._tags, self._found = tuple(tags), None
        self._action.setEnabled(has_changed_words(self._tags))
        self.apply()

    def set_filter(self, topic: str) -> None:
        """Mark only the words of ``topic`` (a topic id; "" for every topic)."""
        if topic != self._filter:
            self._filter, self._found = topic, None
            self.apply()

    def show(self, result: DiffResult, layout: Layout) -> None:
        """The panes have just been given ``layout``'s text (a fresh document, no marks): mark it."""
        self._result, self._layout = result, layout
        self.apply()

    def apply(self) -> None:
        """Underline the topic words in the panes shown (or take the marks away)."""
        lay, result = self._layout, self._result
        on = self._action.isChecked() and self._tags and lay is not None and result is not None
        found: dict[BlockKey, list[Mark]] = {}
        if on and result is not None:
            if self._found is None:
                self._found = word_marks(result, self._tags, self._filter)
            found = self._found
        shown = lay.panes if on and lay is not None else []
        fmt = topic_format(self._view.palette())
        for p, pane in enumerate(self._panes):
            marks: list[tuple[int, int, str]] = []
            if p < len(shown):
                text = shown[p]
                for key, words in found.items():
                    base = text.starts.get(key)
                    if base is None:  # hidden (changes only), or the other pane's block
                        continue
                    for start, end, names in words:
                        a, b = text.text_range(base + start, base + end)
                        label = "Topic" if len(names) == 1 else "Topics"
                        marks.append((a, b, f"{label}: {', '.join(names)}"))
                marks.sort()
                del marks[_MAX_MARKS:]
            pane.show_marks(marks, fmt)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            # a topic's word under the pointer (the owner may add to the newer pane's tooltip)
            pane = self._panes[0] if watched is self._panes[0].viewport() else self._panes[1]
            tip = pane.mark_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, pane)
                return True
        return False
