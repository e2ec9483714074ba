"""CompareView: two aligned read-only panes (or one unified pane), an overview ruler and a change list.

The view never computes a diff: the owner runs ``diff_texts`` in a worker and calls :meth:`set_result`;
when an ignore-option is toggled the view emits ``optionsChanged`` and waits for the next result.
Changes-only, unified and wrapping are pure view transforms, applied here.

The words of a change that matched a privacy topic are underlined where they stand when the owner
hands in the topics of the result's rows (:meth:`set_topics`; the view never tags), narrowed to one
topic by :meth:`set_topic_filter`; the "Topics" toggle turns the marks off and on.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QListView,
    QScrollBar,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from archiver.diffing import DiffOptions, DiffResult, DiffRow

from .changes import ChangeListModel, stats_text
from .find import FindBar, PaneFinder
from .layout import Layout, layout_side_by_side, layout_unified, line_of_row, matching_row
from .panes import DiffPane
from .ruler import OverviewRuler
from .topicmarks import TopicMarker

if TYPE_CHECKING:
    from archiver.analysis.topics import TopicMatch

_ZOOM_LIMITS = (-6, 16)


class CompareView(QWidget):
    """Side-by-side (or unified) word-level comparison of two versions.

    Signals:
        optionsChanged(DiffOptions): an ignore-toggle changed; recompute and call ``set_result``.
        currentChangeChanged(int, int): the current change index (-1: none) and the number of changes.
        statsChanged(str): the status-bar text for the shown result ("" when cleared).
    """

    optionsChanged = Signal(object)
    currentChangeChanged = Signal(int, int)
    statsChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: DiffResult | None = None
        self._titles = ("", "")
        self._layout: Layout | None = None
        self._shown_result: DiffResult | None = None  # the result the layout was built from
        self._current = -1
        self._zoom = 0
        self._syncing = False
        self._following_list = False  # the list's current row is being set from the view
        self._columns = 0
        self._base_font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)

        self.left = DiffPane(self)
        self.right = DiffPane(self)
        self.left.setAccessibleName("Older version")
        self.right.setAccessibleName("Newer version")
        self.left.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.right.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.ruler = OverviewRuler(self)
        self.left_title = QLabel(self)
        self.right_title = QLabel(self)
        for label in (self.left_title, self.right_title):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = ChangeListModel(self)
        self.change_list = QListView(self)
        self.change_list.setModel(self.model)
        self.change_list.setUniformItemSizes(True)
        self.change_list.setIconSize(QSize(10, 10))  # the colour swatch of each change
        self.change_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        self.toolbar = QToolBar(self)
        self._make_actions()

        panes = QWidget(self)
        grid = QGridLayout(panes)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.left_title, 0, 0)
        grid.addWidget(self.right_title, 0, 1)
        grid.addWidget(self.left, 1, 0)
        grid.addWidget(self.right, 1, 1)
        grid.addWidget(self.ruler, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self._grid = grid
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.change_list)
        self.splitter.addWidget(panes)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 900])
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.toolbar)
        box.addWidget(self.splitter, 1)
        box.addWidget(self.find_bar)

        for a, b in ((self.left, self.right), (self.right, self.left)):
            a.verticalScrollBar().valueChanged.connect(lambda v, b=b: self._sync(b.verticalScrollBar(), v))
            a.horizontalScrollBar().valueChanged.connect(
                lambda v, b=b: self._sync(b.horizontalScrollBar(), v)
            )
        self.right.verticalScrollBar().valueChanged.connect(self._update_window)
        self.left.verticalScrollBar().valueChanged.connect(self._update_window)
        self.ruler.markClicked.connect(self.go_to_change)
        self.ruler.lineClicked.connect(self._scroll_center)
        self.ruler.wheeled.connect(lambda event: QApplication.sendEvent(self.right.viewport(), event))
        self.setFocusProxy(self.right)
        self.change_list.clicked.connect(lambda index: self.go_to_change(index.row()))
        self.change_list.activated.connect(lambda index: self.go_to_change(index.row()))
        self.change_list.selectionModel().currentRowChanged.connect(self._list_moved)  # arrow keys
        self.finder = PaneFinder(self.find_bar, (self.left, self.right), self._scroll_center)
        # the topic marks live in an object of their own, as the search highlights do in the finder;
        # the "Topics" toggle is still made here, with the other toolbar actions
        self.topic_marker = TopicMarker(self, self.topics_action, (self.left, self.right))
        self._rewrap_timer = QTimer(self, singleShot=True, interval=60)
        self._rewrap_timer.timeout.connect(self._maybe_rewrap)
        self.left.viewport().installEventFilter(self)  # resizes rewrap; a double click expands
        self.right.viewport().installEventFilter(self)
        self._apply_zoom()
        self._update_actions()

    # -- actions -------------------------------------------------------------------------------
    def _action(
        self, text: str, shortcuts: tuple[str, ...] = (), checkable: bool = False, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setCheckable(checkable)
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip or text} ({keys})" if keys else tip or text)
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.previous_action = self._action("Previous change", ("Shift+F7", "Alt+Up"))
        self.next_action = self._action("Next change", ("F7", "Alt+Down"))
        self.find_action = self._action("Find…", ("Ctrl+F",))
        self.ignore_whitespace_action = self._action("Ignore whitespace", checkable=True)
        self.ignore_case_action = self._action("Ignore case", checkable=True)
        self.ignore_punctuation_action = self._action("Ignore punctuation", checkable=True)
        self.changes_only_action = self._action("Changes only", checkable=True, tip="Hide unchanged text")
        self.unified_action = self._action("Unified", checkable=True, tip="One column: removed, then added")
        self.wrap_action = self._action("Wrap lines", checkable=True)
        self.wrap_action.setChecked(True)
        self.source_action = self._action(
            "Markdown source",
            ("Ctrl+U",),
            checkable=True,
            tip="Show the text as stored (Markdown, in a monospaced font) instead of formatted prose",
        )
        self.topics_action = self._action(
            "Topics",
            checkable=True,
            tip="Underline the words of the changes that matched a topic of the watchlist "
            "(the Topics and Measures dock chooses one topic)",
        )
        self.list_action = self._action("Change list", checkable=True, tip="Show the list of changes")
        self.list_action.setChecked(True)
        self.zoom_in_action = self._action("Zoom in", ("Ctrl+=", "Ctrl++"))
        self.zoom_out_action = self._action("Zoom out", ("Ctrl+-",))
        self.zoom_reset_action = self._action("Reset zoom", ("Ctrl+0",))

        self.previous_action.triggered.connect(self.previous_change)
        self.next_action.triggered.connect(self.next_change)
        self.find_action.triggered.connect(self._open_find)
        for action in (
            self.ignore_whitespace_action,
            self.ignore_case_action,
            self.ignore_punctuation_action,
        ):
            action.toggled.connect(self._emit_options)
        for action in (self.changes_only_action, self.unified_action, self.wrap_action):
            action.toggled.connect(lambda _on: self._rebuild())
        self.source_action.toggled.connect(self._show_source)
        self.list_action.toggled.connect(self.change_list.setVisible)
        self.zoom_in_action.triggered.connect(lambda: self.zoom(1))
        self.zoom_out_action.triggered.connect(lambda: self.zoom(-1))
        self.zoom_reset_action.triggered.connect(lambda: self.zoom(0))

        tb = self.toolbar
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.previous_action, self.next_action):
            tb.addAction(action)
        tb.addSeparator()
        for action in (
            self.ignore_whitespace_action,
            self.ignore_case_action,
            self.ignore_punctuation_action,
        ):
            tb.addAction(action)
        tb.addSeparator()
        for action in (
            self.changes_only_action,
            self.unified_action,
            self.wrap_action,
            self.source_action,
            self.topics_action,
            self.list_action,
        ):
            tb.addAction(action)
        tb.addSeparator()
        for action in (self.find_action, self.zoom_out_action, self.zoom_in_action):
            tb.addAction(action)
        self.previous_action.setIconText("▲ Previous")  # the toolbar; menus show the full text
        self.next_action.setIconText("▼ Next")
        self.zoom_in_action.setIconText("A+")
        self.zoom_out_action.setIconText("A−")

    def options(self) -> DiffOptions:
        """The diff options the toggles ask for (moves and similarity as in the shown result)."""
        base = self._result.options if self._result is not None else DiffOptions()
        return replace(
            base,
            ignore_whitespace=self.ignore_whitespace_action.isChecked(),
            ignore_case=self.ignore_case_action.isChecked(),
            ignore_punctuation=self.ignore_punctuation_action.isChecked(),
        )

    def _emit_options(self) -> None:
        self.optionsChanged.emit(self.options())

    # -- content -------------------------------------------------------------------------------
    @property
    def result(self) -> DiffResult | None:
        return self._result

    @property
    def layout_info(self) -> Layout | None:
        """Where rows and changes landed in the panes (view lines), for tests and tools."""
        return self._layout

    def set_result(
        self, result: DiffResult, left_title: str, right_title: str, keep_position: bool | None = None
    ) -> None:
        """Show a computed diff. A new pair opens at its first change; the same pair recomputed (another
        option) keeps the text at the top. "Same pair" means the same titles unless ``keep_position``
        says otherwise."""
        same_pair = self._result is not None and self._titles == (left_title, right_title)
        if keep_position is not None:
            same_pair = keep_position and self._result is not None
        if result is not self._result:  # the topics of another result: the owner tags this one anew
            self.topic_marker.forget_tags()
        self._result = result
        self._titles = (left_title, right_title)
        for action, on in (
            (self.ignore_whitespace_action, result.options.ignore_whitespace),
            (self.ignore_case_action, result.options.ignore_case),
            (self.ignore_punctuation_action, result.options.ignore_punctuation),
        ):
            with QSignalBlocker(action):
                action.setChecked(on)
        self._rebuild("refresh" if same_pair else "open")
        self.statsChanged.emit(self.stats_text())

    def clear(self) -> None:
        self.topic_marker.clear()
        self._result = None
        self._layout = None
        self._shown_result = None
        self._titles = ("", "")
        self.left.clear_text()
        self.right.clear_text()
        self.left_title.clear()
        self.right_title.clear()
        self.ruler.set_marks([], 0)
        self.model.set_changes(None, [])
        self.finder.set_layout(None)
        self._set_current(-1)
        self._update_actions()
        self.statsChanged.emit("")

    def stats_text(self) -> str:
        return stats_text(self._result, len(self._layout.hunks) if self._layout else 0)

    @property
    def current_change(self) -> int:
        return self._current

    @property
    def change_count(self) -> int:
        return len(self._layout.hunks) if self._layout is not None else 0

    def _rebuild(self, mode: str = "relayout") -> None:
        """Lay out and show the result. ``mode``: "open" (a new pair: go to its first change),
        "refresh" (a new result for the same pair: keep the source text at the top), "relayout"
        (same result, another view mode or width: keep the top row and the current change)."""
        result = self._result
        if result is None:
            return
        old_layout, old_result = self._layout, self._shown_result
        anchor: tuple[int, DiffRow] | None = None
        if mode != "open" and old_layout is not None and old_result is not None:
            top_row = old_layout.row_at_line(self.left.first_visible_line())
            if top_row is not None:
                anchor = (top_row, old_result.rows[top_row])
        unified = self.unified_action.isChecked()
        self.right.setVisible(not unified)
        self.setFocusProxy(self.left if unified else self.right)
        self.right_title.setVisible(not unified)
        self._grid.setColumnStretch(1, 0 if unified else 1)
        self._grid.activate()  # the panes' new widths decide the wrap width
        self.left.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOn if unified else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        left_title, right_title = self._titles
        self.left_title.setText(f"{left_title}  →  {right_title}" if unified else left_title)
        self.right_title.setText(right_title)
        largest = max(result.left_text.count("\n"), result.right_text.count("\n")) + 1
        for pane in (self.left, self.right):
            pane.reserve_numbers(largest, two_columns=unified)
        # no wrapping before the panes have a size (a hidden view): the first resize wraps
        wrap = self.wrap_action.isChecked() and self.left.viewport().width() > 100
        self._columns = self._wrap_columns() if wrap else 0
        only = self.changes_only_action.isChecked()
        build = layout_unified if unified else layout_side_by_side
        lay = self._layout = build(result, self._columns or None, only)
        longest = max((len(line) for pane in lay.panes for line in pane.lines), default=0)
        overflow = (
            Qt.ScrollBarPolicy.ScrollBarAlwaysOn
            if not self._columns or longest > self._columns
            # in a proportional font, a line of wide characters can still overflow
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if self.left.prose
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self._syncing = True
        try:
            for pane, text in zip((self.left, self.right), lay.panes, strict=False):
                pane.setHorizontalScrollBarPolicy(overflow)
                pane.show_text(text, self.palette())
        finally:
            self._syncing = False
        if unified:
            self.right.clear_text()
        self.topic_marker.show(result, lay)  # after show_text: its fresh documents have no marks
        styles = [
            (first, n, hunk.kind.value) for hunk, (first, n) in zip(lay.hunks, lay.hunk_lines, strict=True)
        ]
        self.ruler.set_marks(styles, lay.total_lines)
        if result is not old_result:
            self.model.set_changes(result, lay.hunks)
        self._shown_result = result
        self.finder.set_layout(lay)  # the old offsets are gone: search anew
        if mode == "open" and lay.hunks:
            self.go_to_change(0)
        elif mode == "open":
            self._scroll_to(0)
            self._set_current(-1)
        else:
            current = self._current if mode == "relayout" and 0 <= self._current < len(lay.hunks) else -1
            self._set_current(current)
            target = None
            if anchor is not None:
                target = anchor[0] if mode == "relayout" else matching_row(result, anchor[1])
            if target is not None:
                self._scroll_to(line_of_row(lay, target))
            elif current >= 0:
                self._scroll_to(lay.hunk_lines[current][0])
            else:
                self._scroll_to(0)
        self._update_window()

    # -- topics --------------------------------------------------------------------------------
    def set_topics(self, result: DiffResult, tags: Sequence[Sequence[TopicMatch]]) -> None:
        """The topics of each row of ``result`` (``archiver.analysis.topics.tag_diff``): underline their
        changed words. Ignored unless ``result`` is the one shown (a late answer for an older one)."""
        if result is self._result:
            self.topic_marker.set_tags(tags)

    def set_topic_filter(self, topic: str) -> None:
        """Mark only the words of ``topic`` (a topic id; "" for every topic)."""
        self.topic_marker.set_filter(topic)

    def topic_marks(self, pane: DiffPane) -> list[tuple[int, int, str]]:
        """The marked words of ``pane``: (start, end) in its text and the tooltip (for tests and tools)."""
        return pane.marks()

    def topic_tip(self, pane: DiffPane, point: QPoint) -> str:
        """The topics of the marked word under ``point`` (viewport coordinates of ``pane``), or ""."""
        return pane.mark_at(point)

    # -- navigation ----------------------------------------------------------------------------
    def next_change(self) -> None:
        self._step(+1)

    def previous_change(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        target = self._target(direction)
        if target is not None:
            self.go_to_change(target)

    def _target(self, direction: int) -> int | None:
        """The change next/previous goes to: the neighbour of the current change while it is on
        screen, else the first change below / the last change above the top of the panes."""
        lay = self._layout
        if lay is None or not lay.hunks:
            return None
        top = self.left.first_visible_line()
        starts = [first for first, _n in lay.hunk_lines]
        cur = self._current
        if 0 <= cur < len(starts) and top <= starts[cur] < top + self.left.visible_lines():
            target = cur + direction
        elif direction > 0:
            target = bisect_right(starts, top - 1)
        else:
            target = bisect_right(starts, top - 1) - 1
        return target if 0 <= target < len(starts) else None

    def go_to_change(self, index: int) -> None:
        """Scroll both panes so change ``index`` is at the top, and make it current."""
        lay = self._layout
        if lay is None or not 0 <= index < len(lay.hunks):
            return
        self._scroll_to(lay.hunk_lines[index][0])
        self._set_current(index)

    def _set_current(self, index: int) -> None:
        self._current = index
        lay = self._layout
        frame = lay.hunk_lines[index] if lay is not None and 0 <= index < len(lay.hunks) else None
        self.left.set_frame(frame)
        self.right.set_frame(frame)
        self.ruler.set_current(index)
        if frame is not None:
            model_index = self.model.index(index, 0)
            self._following_list = True
            try:
                self.change_list.setCurrentIndex(model_index)
            finally:
                self._following_list = False
            self.change_list.scrollTo(model_index)
        else:
            self.change_list.clearSelection()
        self._update_actions()
        self.currentChangeChanged.emit(index, self.change_count)

    def _list_moved(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if not self._following_list and index.isValid() and index.row() != self._current:
            self.go_to_change(index.row())

    def _scroll_to(self, line: int) -> None:
        self.left.verticalScrollBar().setValue(line)
        self.right.verticalScrollBar().setValue(line)

    def _scroll_center(self, line: int) -> None:
        self._scroll_to(max(0, line - self.left.visible_lines() // 2))

    def _sync(self, target: QScrollBar, value: int) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            target.setValue(value)
        finally:
            self._syncing = False

    def _update_window(self, _value: int = 0) -> None:
        self.ruler.set_window(self.left.first_visible_line(), self.left.visible_lines())
        self._update_actions()

    def _update_actions(self) -> None:
        self.next_action.setEnabled(self._target(+1) is not None)
        self.previous_action.setEnabled(self._target(-1) is not None)

    # -- find ----------------------------------------------------------------------------------
    def find_text(self, text: str, backwards: bool = False) -> int:
        """Select the next (or previous) case-insensitive match of ``text`` in either pane, in reading
        order; returns the number of matches (the find bar does the same on Enter / Shift+Enter)."""
        return self.finder.find(text, backwards)

    def expand_at(self, row: int) -> None:
        """Leave the changes-only view with ``row`` (an index into the result's rows) at the top: what a
        double click on a "hidden" marker does."""
        if self._layout is None:
            return
        with QSignalBlocker(self.changes_only_action):
            self.changes_only_action.setChecked(False)
        self._rebuild()
        if self._layout is not None:
            self._scroll_to(line_of_row(self._layout, row))

    def _open_find(self) -> None:
        """Open the find bar, seeded with a one-line selection in either pane."""
        for pane in (self.left, self.right):
            selected = pane.textCursor().selectedText()
            if selected and "\u2029" not in selected:
                with QSignalBlocker(self.find_bar.edit):
                    self.find_bar.edit.setText(selected)
                break
        self.find_bar.open_bar()

    # -- zoom and wrapping ---------------------------------------------------------------------
    def zoom(self, step: int) -> None:
        """``step`` > 0 zooms in, < 0 out, 0 resets."""
        self._zoom = 0 if step == 0 else max(_ZOOM_LIMITS[0], min(_ZOOM_LIMITS[1], self._zoom + step))
        self._apply_zoom()
        self._maybe_rewrap()

    def _apply_zoom(self) -> None:
        font = QFont(self._base_font)
        size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
        font.setPointSizeF(max(4.0, size + self._zoom))
        for pane in (self.left, self.right):
            pane.setFont(font)

    def _show_source(self, source: bool) -> None:
        """Markdown source in a monospaced font, or prose in the system's font."""
        kind = QFontDatabase.SystemFont.FixedFont if source else QFontDatabase.SystemFont.GeneralFont
        self._base_font = QFontDatabase.systemFont(kind)
        for pane in (self.left, self.right):
            pane.prose = not source
        self._apply_zoom()
        self._rebuild()

    def font_point_size(self) -> float:
        return self.left.font().pointSizeF()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._result is not None:
            self._rebuild()  # the highlight colours are derived from the palette

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and self.wrap_action.isChecked() and self._result is not None:
            self._rewrap_timer.start()
        if event.type() == QEvent.Type.Resize:
            self._update_window()
        if (
            isinstance(event, QMouseEvent)
            and event.type() == QEvent.Type.MouseButtonDblClick
            and self._layout
        ):
            pane = self.left if watched is self.left.viewport() else self.right
            line = pane.cursorForPosition(event.position().toPoint()).blockNumber()
            row = self._layout.skipped.get(line)
            if row is not None:
                self.expand_at(row)
                return True
        return super().eventFilter(watched, event)

    def _wrap_columns(self) -> int:
        if self.unified_action.isChecked():
            return self.left.columns()
        return min(self.left.columns(), self.right.columns())

    def _maybe_rewrap(self) -> None:
        if self._result is None:
            return
        if self.wrap_action.isChecked() and self._wrap_columns() != self._columns:
            self._rebuild()
