"""Issue 14's answers in the app: the version table filtered by date flags, the changes of the
comparison by topic (a filter on the change list, the matched words on hover, a list by topic), a
plot of a measure over the versions, and the topic watchlist editor.

One controller owns its dock, its row above the timeline (the flag filter; what the timeline plots)
and its actions; the window only creates it. The dock's measure and the timeline's are one choice:
choosing a measure in either shows it in both ("Words changed", the timeline's default, leaves the
dock's as it was). Each version is measured once, in a worker, for both plots. Tagging, measuring
and saving the watchlist run in workers. The measure labels, the measuring job and the plot widget
are in ui/measure_plot.py (stateless pieces, apart to keep this module under the size guideline).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QHelpEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from archiver.analysis.dateflags import DATE_FLAGS
from archiver.analysis.measures import MEASURES, Measures
from archiver.analysis.topics import (
    DEFAULT_WATCHLIST,
    WATCHLIST_NAME,
    TopicMatch,
    Watchlist,
    load_watchlist,
    merge,
    parse_watchlist,
    priority,
    save_watchlist,
    tag_diff,
    watchlist_path,
)
from archiver.diffing import DiffResult
from archiver.errors import CancelledError, WatchlistError
from archiver.models import Version

from .measure_plot import CHANGE_SIZE_LABEL, MEASURE_AXES, MEASURE_LABELS, MeasurePlot, job_measures
from .models import short_date
from .workers import run_task

if TYPE_CHECKING:
    from .compare import CompareView
    from .context import WindowContext
    from .versions import VersionList

ANY_DATE_FLAG = "any date flag"


def job_tags(root: Path, result: DiffResult) -> Any:
    """The watchlist in use and the topics of each row of ``result``."""

    def run(cancel: threading.Event, report: Any) -> tuple[Watchlist, tuple[tuple[TopicMatch, ...], ...]]:
        from archiver.extraction.quality import guess_language

        watchlist = load_watchlist(watchlist_path(root))
        if cancel.is_set():
            raise CancelledError()
        language = guess_language(result.right_text or result.left_text)
        return watchlist, tag_diff(result, watchlist, language)

    return run


def hunk_topics(tags: tuple[tuple[TopicMatch, ...], ...], first: int, count: int) -> tuple[TopicMatch, ...]:
    """The topics of one change of the list: rows ``first`` .. ``first + count - 1`` together."""
    return merge(tags[first : first + count])


def topics_tip(matches: tuple[TopicMatch, ...]) -> str:
    """Rich text for a tooltip: each topic with its words, the changed ones in bold."""
    if not matches:
        return ""
    lines = []
    for m in matches:
        words = ", ".join(f"<b>{escape(w)}</b>" if w in m.changed_words else escape(w) for w in m.words)
        lines.append(f"{escape(m.name)}: {words}")
    found = priority(matches)
    return "<p>Topics (priority " + str(found.score) + "):<br>" + "<br>".join(lines) + "</p>"


class WatchlistDialog(QDialog):
    """The watchlist as JSON, checked before it is saved into the archive folder."""

    def __init__(self, watchlist: Watchlist, target: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Topic Watchlist")
        self.target = target
        self.watchlist: Watchlist | None = None  # what Save accepted
        self.editor = QPlainTextEdit()
        self.editor.setPlainText(json.dumps(watchlist.as_json(), ensure_ascii=False, indent=1))
        self.note = QLabel(
            f"Topics and their terms per language; a term ending in * matches the words it begins. "
            f"Saved as {WATCHLIST_NAME} in the archive folder, used by the app, diff, exports and reports."
        )
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet("color: #cf222e")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.reset_button = buttons.addButton("Shipped Watchlist", QDialogButtonBox.ButtonRole.ResetRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        self.reset_button.clicked.connect(self._reset)
        box = QVBoxLayout(self)
        box.addWidget(self.note)
        box.addWidget(self.editor, 1)
        box.addWidget(self.error)
        box.addWidget(buttons)
        self.resize(720, 560)

    def _reset(self) -> None:
        """Back to the shipped watchlist (read in a worker; shown when it arrives)."""
        run_task(
            lambda cancel, report: DEFAULT_WATCHLIST.read_text(encoding="utf-8"),
            name="read watchlist",
            on_finished=self.editor.setPlainText,
            context=self,
        )

    def _check(self) -> None:
        try:
            self.watchlist = parse_watchlist(json.loads(self.editor.toPlainText()), str(self.target))
        except json.JSONDecodeError as exc:
            self.error.setText(f"Not valid JSON: {exc}")
            return
        except WatchlistError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class AnswersController(QObject):
    """Owns the Answers dock, the flag filter above the version table and the watchlist action.

    The measures of the shown policy's versions feed both the dock's plot and, when a measure is
    chosen under "Plot:", the timeline (through :meth:`ui.versions.VersionList.plot_measure`).

    Signals:
        tagged(int): the shown comparison's changes were tagged (how many have a topic); for tests.
        measured(int): every version of the shown policy is measured (their number).
    """

    tagged = Signal(int)
    measured = Signal(int)

    def __init__(
        self,
        window: QMainWindow,
        ctx: WindowContext,
        versions: VersionList,
        compare: Callable[[], CompareView],
    ) -> None:
        """``compare`` gives the window's compare view (built on first use); the window connects its
        ``diffShown`` to :meth:`diff_shown`."""
        super().__init__(window)
        self.window = window
        self._ctx = ctx
        self._version_list = versions
        self._compare = compare
        self._tags_request = ctx.latest()
        self._measures_request = ctx.latest()
        self._tags: tuple[tuple[TopicMatch, ...], ...] = ()
        self._result: DiffResult | None = None
        self._measures: dict[int, Measures] = {}
        self._versions: list[Version] = []
        self.watchlist: Watchlist | None = None
        self._filtered_list: Any = None  # the compare view's change list, once hooked

        # the filter row above the version table
        self.flag_filter = QComboBox()
        self.flag_filter.addItems(["All versions", ANY_DATE_FLAG, *DATE_FLAGS])
        self.flag_filter.setAccessibleName("Show versions with this flag")
        self.flag_filter.currentTextChanged.connect(lambda _t: self.apply_flag_filter())
        self.timeline_choice = QComboBox()  # what the timeline plots
        self.timeline_choice.addItem(CHANGE_SIZE_LABEL, "")
        for name in MEASURES:
            self.timeline_choice.addItem(MEASURE_LABELS[name], name)
        self.timeline_choice.setAccessibleName("Plot this per version on the timeline")
        self.timeline_choice.setCurrentIndex(
            max(0, self.timeline_choice.findData(ctx.settings.timeline_plot))
        )
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(QLabel("Show:"))
        line.addWidget(self.flag_filter)
        line.addSpacing(16)
        line.addWidget(QLabel("Plot:"))
        line.addWidget(self.timeline_choice)
        line.addStretch(1)
        layout = versions.panel.layout()
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(0, row)

        # the dock
        self.topic_filter = QComboBox()
        self.topic_filter.addItem("All changes", "")
        self.topic_filter.setAccessibleName("Show changes about this topic")
        self.topic_filter.currentIndexChanged.connect(lambda _i: self._show_topics())
        self.measure_choice = QComboBox()
        for name in MEASURES:
            self.measure_choice.addItem(MEASURE_LABELS[name], name)
        if self.timeline_choice.currentData():  # one choice: the dock starts on the timeline's measure
            self.measure_choice.setCurrentIndex(
                self.measure_choice.findData(self.timeline_choice.currentData())
            )
        self.measure_choice.currentIndexChanged.connect(lambda _i: self._dock_measure_chosen())
        self.timeline_choice.currentIndexChanged.connect(lambda _i: self._timeline_measure_chosen())
        self.edit_button = QPushButton("Edit Watchlist…")
        self.edit_button.clicked.connect(self.edit_watchlist)
        self.changes = QListWidget()
        self.changes.setAccessibleName("Changes by topic")
        self.changes.setWordWrap(True)
        self.changes.itemActivated.connect(self._go_to_change)
        self.changes.itemClicked.connect(self._go_to_change)
        self.plot = MeasurePlot()
        self.tabs = QTabWidget()
        changes_page = QWidget()
        box = QVBoxLayout(changes_page)
        head = QHBoxLayout()
        head.addWidget(QLabel("Topic:"))
        head.addWidget(self.topic_filter, 1)
        head.addWidget(self.edit_button)
        box.addLayout(head)
        box.addWidget(self.changes, 1)
        measures_page = QWidget()
        box = QVBoxLayout(measures_page)
        head = QHBoxLayout()
        head.addWidget(QLabel("Plot:"))
        head.addWidget(self.measure_choice, 1)
        box.addLayout(head)
        box.addWidget(self.plot, 1)
        self.tabs.addTab(changes_page, "Changes by Topic")
        self.tabs.addTab(measures_page, "Measures over Time")
        self.dock = QDockWidget("Answers", window)
        self.dock.setObjectName("answers")
        self.dock.setWidget(self.tabs)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()

        self.action = QAction("&Topics and Measures", self)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.action.setStatusTip(
            "The changes of the comparison by topic, and measures of the versions over time"
        )
        self.action.triggered.connect(self.open_dock)
        self.watchlist_action = QAction("Topic &Watchlist…", self)
        self.watchlist_action.setStatusTip("Edit the privacy topics changes are tagged with")
        self.watchlist_action.triggered.connect(self.edit_watchlist)
        window.addAction(self.action)

        versions.shown.connect(self._versions_shown)
        self._plot_timeline()  # the measure chosen last time, empty until the versions are measured

    # --- version flags -----------------------------------------------------------------------

    def apply_flag_filter(self) -> None:
        """Hide the versions without the chosen flag (all shown for "All versions")."""
        wanted = self.flag_filter.currentText()
        model, view = self._version_list.model, self._version_list.view
        for row in range(model.rowCount()):
            flags = set(model.version(row).flags)
            if wanted == "All versions":
                show = True
            elif wanted == ANY_DATE_FLAG:
                show = bool(flags & set(DATE_FLAGS))
            else:
                show = wanted in flags
            view.setRowHidden(row, not show)

    def _versions_shown(self, versions: list[Version]) -> None:
        self._versions = list(versions)
        self._measures = {}
        self.apply_flag_filter()
        self._plot()
        self._plot_timeline()
        if not versions:
            self._measures_request.drop()
            return
        self._measures_request.run(
            job_measures(self._ctx.archive, list(versions)),
            name="measures",
            on_progress=self._measured_one,
            on_finished=lambda _r: self.measured.emit(len(self._measures)),
            on_failed=lambda exc: None,  # measures are extra: the versions are shown without them
        )

    def _measured_one(self, item: object) -> None:
        if isinstance(item, tuple):
            index, measures = item
            self._measures[index] = measures
            self._plot()
            name = self._timeline_measure()
            if name and 0 <= index < len(self._versions):
                self._version_list.set_measure_value(index, self._value(self._versions[index], name))

    def _value(self, version: Version, name: str) -> float | None:
        """``version``'s measure ``name``; None for an error page, a shell or a wall (no policy text
        to measure), or where the measure has none (readability in a language without a formula)."""
        measures = self._measures.get(version.index)
        if measures is None or not version.is_policy_text:
            return None
        return measures.value(name)

    def _plot(self) -> None:
        name = str(self.measure_choice.currentData())
        values = [self._value(v, name) for v in self._versions]
        dates = [short_date(v.timestamp) for v in self._versions]
        self.plot.set_series(values, MEASURE_LABELS[name], dates)

    def _timeline_measure(self) -> str:
        """The measure the timeline plots; "" for the change size."""
        return str(self.timeline_choice.currentData() or "")

    def _plot_timeline(self) -> None:
        name = self._timeline_measure()
        if not name:
            self._version_list.plot_measure(None, {})
            return
        measured = (v for v in self._versions if v.index in self._measures)
        self._version_list.plot_measure(MEASURE_AXES[name], {v.index: self._value(v, name) for v in measured})

    def _timeline_measure_chosen(self) -> None:
        name = self._timeline_measure()
        self._ctx.settings.timeline_plot = name
        if name:  # one choice: the dock shows the same measure
            self.measure_choice.setCurrentIndex(self.measure_choice.findData(name))
        self._plot_timeline()

    def _dock_measure_chosen(self) -> None:
        name = self.measure_choice.currentData()
        if self.timeline_choice.currentData() != name:  # one choice: the timeline plots it too
            self.timeline_choice.setCurrentIndex(self.timeline_choice.findData(name))
        self._plot()

    # --- topics --------------------------------------------------------------------------------

    def diff_shown(self, result: object) -> None:
        """A comparison is shown: tag its changes (in a worker)."""
        if not isinstance(result, DiffResult):
            return
        self._result = result
        self._tags = ()
        self._hook_change_list()
        self._tags_request.run(
            job_tags(self._ctx.archive.root, result),
            name="topics",
            on_finished=self._tagged,
            on_failed=self._ctx.failed,
        )

    def _tagged(self, found: tuple[Watchlist, tuple[tuple[TopicMatch, ...], ...]]) -> None:
        watchlist, tags = found
        if watchlist != self.watchlist:
            self.watchlist = watchlist
            chosen = self.topic_filter.currentData()
            self.topic_filter.blockSignals(True)
            self.topic_filter.clear()
            self.topic_filter.addItem("All changes", "")
            for topic in watchlist.topics:
                self.topic_filter.addItem(topic.name, topic.id)
            at = self.topic_filter.findData(chosen)
            self.topic_filter.setCurrentIndex(max(0, at))
            self.topic_filter.blockSignals(False)
        self._tags = tags
        if self._result is not None:  # the compare view underlines the changed words
            self._compare().set_topics(self._result, tags)
        self._show_topics()
        self.tagged.emit(sum(1 for i in range(self._hunk_count()) if self.change_topics(i)))

    def _hunk_count(self) -> int:
        return self._compare().model.rowCount()

    def change_topics(self, change: int) -> tuple[TopicMatch, ...]:
        """The topics of change ``change`` of the compare view's list."""
        model = self._compare().model
        if not self._tags or not 0 <= change < model.rowCount():
            return ()
        index = model.index(change, 0)
        first = index.data(model.RowIndexRole)
        rows = index.data(model.RowsRole)
        if not isinstance(first, int) or rows is None:
            return ()
        return hunk_topics(self._tags, first, len(rows))

    def _show_topics(self) -> None:
        """Fill the dock's list and hide the compare view's changes that miss the chosen topic."""
        wanted = str(self.topic_filter.currentData() or "")
        self._compare().set_topic_filter(wanted)  # only that topic's words underlined
        model = self._compare().model
        self.changes.clear()
        for change in range(model.rowCount()):
            matches = self.change_topics(change)
            keep = not wanted or any(m.topic == wanted for m in matches)
            self._compare().change_list.setRowHidden(change, not keep)
            if not keep or not matches:
                continue
            label = str(model.index(change, 0).data(Qt.ItemDataRole.DisplayRole))
            names = "; ".join(f"{m.name}: {', '.join(m.words)}" for m in matches)
            item = QListWidgetItem(f"{label}\n    {names}")
            item.setData(Qt.ItemDataRole.UserRole, change)
            item.setToolTip(topics_tip(matches))
            self.changes.addItem(item)

    def _go_to_change(self, item: QListWidgetItem) -> None:
        change = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(change, int):
            self._compare().go_to_change(change)

    def _hook_change_list(self) -> None:
        """Show a change's topics and words when the pointer rests on it in the compare view's list."""
        view = self._compare().change_list
        if self._filtered_list is not view:
            view.viewport().installEventFilter(self)
            self._filtered_list = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # the event type first: while the window is torn down, the list may be half gone
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        view = self._filtered_list
        index = view.indexAt(event.pos()) if view is not None else None
        tip = topics_tip(self.change_topics(index.row())) if index is not None and index.isValid() else ""
        if not tip or index is None:
            return False  # the list's own tooltip
        own = index.data(Qt.ItemDataRole.ToolTipRole)
        QToolTip.showText(event.globalPos(), (str(own) if own else "") + tip, view)
        return True

    # --- the watchlist -----------------------------------------------------------------------

    def open_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def edit_watchlist(self) -> None:
        root = self._ctx.archive.root
        current = self.watchlist

        def opened(watchlist: Watchlist) -> None:
            dialog = WatchlistDialog(watchlist, root / WATCHLIST_NAME, self.window)
            self.dialog = dialog  # for tests
            dialog.accepted.connect(lambda: self._save(dialog))
            dialog.open()

        if current is not None:
            opened(current)
        else:
            run_task(
                lambda cancel, report: load_watchlist(watchlist_path(root)),
                name="read watchlist",
                on_finished=opened,
                on_failed=self._ctx.failed,
                context=self,
            )

    def _save(self, dialog: WatchlistDialog) -> None:
        watchlist = dialog.watchlist
        if watchlist is None:
            return
        target = dialog.target

        def saved(_r: object) -> None:
            self.watchlist = None  # re-read with the next comparison
            if self._result is not None:
                self.diff_shown(self._result)

        run_task(
            lambda cancel, report: save_watchlist(watchlist, target),
            name="save watchlist",
            on_finished=saved,
            on_failed=self._ctx.failed,
            context=self,
        )
