"""The topic marks of the compare panes: where a change's topic words stand, the "Topics" toggle,
the marks put on and taken off, their tooltips.

The view does not tag: the owner (``ui.answers.AnswersController``) has the topics of each row of the
diff from ``archiver.analysis.topics.tag_diff``, each with the words that matched and which of them
lie inside the highlighted change (``changed_words``). :func:`word_marks` finds those words again,
in the changed text only: the whole block of an added or removed row, the highlighted spans of an
edited or moved one; a topic word in unchanged text says nothing about the change. They are found as
the matcher found them: case-insensitively (the matcher reads the text in lower case; it does not
fold diacritics, so neither do we), the words of a term separated by any run of spaces, at word
boundaries (anywhere in the scripts written without spaces).

A :class:`TopicMarker` owns what the panes show of them, as ``find.PaneFinder`` owns the search
highlights: the tags the owner handed in, the topic filter, the marks found once per tags and filter,
and the topic names shown when the pointer rests on a marked word. The view owns one and tells it
when the tags go stale (another result, a cleared view) and when the panes have new text
(:meth:`TopicMarker.show`, after each layout).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import QToolTip, QWidget

from archiver.diffing import DiffResult, RowKind

from .layout import Layout
from .panes import DiffPane, topic_format

if TYPE_CHECKING:
    from archiver.analysis.topics import TopicMatch

#: (start, end) in the block's text, and the names of the topics the word stands for
Mark = tuple[int, int, tuple[str, ...]]
#: (row index, side: 0 the older block, 1 the newer block)
BlockKey = tuple[int, int]

_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One expression for ``words`` (longest first, so a longer term wins as in the matcher)."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        body = r"\s+".join(re.escape(token) for token in word.split())
        parts.append(body if _UNSPACED.search(word) else rf"(?<!\w){body}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


def word_marks(
    result: DiffResult, tags: Sequence[Sequence[TopicMatch]], topic: str = ""
) -> dict[BlockKey, list[Mark]]:
    """The changed words of each tagged row found in its blocks, by (row, side); only the words of
    ``topic`` (a topic id) when it is given."""
    out: dict[BlockKey, list[Mark]] = {}
    rows = result.rows
    for k, matches in enumerate(tags[: len(rows)]):
        if not matches:
            continue
        names: dict[str, list[str]] = {}
        for match in matches:
            if topic and match.topic != topic:
                continue
            for word in match.changed_words:
                seen = names.setdefault(word, [])
                if match.name not in seen:
                    seen.append(match.name)
        if not names:
            continue
        row = rows[k]
        pattern = _pattern(tuple(sorted(names)))
        whole = row.kind in (RowKind.INSERT, RowKind.DELETE)
        for side, block, spans in ((0, row.left, row.left_spans), (1, row.right, row.right_spans)):
            if block is None or not (whole or spans):
                continue
            found: list[Mark] = []
            for m in pattern.finditer(block.body):
                start, end = m.span()
                if not whole and not any(s.start < end and start < s.end for s in spans):
                    continue
                topics = names.get(" ".join(m.group().lower().split()))
                if topics:
                    found.append((start, end, tuple(topics)))
            if found:
                out[(k, side)] = found
    return out


def has_changed_words(tags: Sequence[Sequence[TopicMatch]]) -> bool:
    """Whether any row has a topic word inside its change (something to mark)."""
    return any(match.changed_words for matches in tags for match in matches)


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
