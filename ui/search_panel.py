"""Search across every version of every policy, in a panel; a result opens that version at that paragraph.

Edit → Search All Versions (Ctrl+Shift+F) shows the panel: a query (words, "a phrase", prefix*,
OR / NOT, folded for case and accents, as ``policydiff search``), then per policy when it first
appeared and when it was last seen (with the captures around: the windows), and under it each
version that says it with the matching paragraph. Activating a version selects its policy and
version in the window and scrolls the compare view to the paragraph.

The search runs in a worker (``archiver.index.search``; texts stored before the index existed are
indexed first). The main window's hook is one line (``SearchController(window)``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from archiver.errors import ArchiverError, CancelledError
from archiver.index.search import PolicyMatch, search, snippet, update_index
from archiver.storage import Archive

from .models import short_date
from .workers import Task, run_task

if TYPE_CHECKING:
    from archiver.diffing import DiffResult


log = logging.getLogger(__name__)

TARGET_ROLE = Qt.ItemDataRole.UserRole + 1  # (policy id, version timestamp, block)
SNIPPET_CHARS = 200


def job_search(archive: Archive, query: str) -> Any:
    def run(cancel: threading.Event, report: Any) -> list[PolicyMatch]:
        for done, total in update_index(archive):
            if cancel.is_set():
                raise CancelledError()
            report((done, total))
        return search(archive, query)

    return run


class SearchPanel(QWidget):
    """The query box, a status line and the results tree.

    Signals:
        searchRequested(str): the user asked to search (Enter or the button).
        openRequested(int, str, int): open policy id, version timestamp, block index.
    """

    searchRequested = Signal(str)
    openRequested = Signal(int, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query = QLineEdit()
        self.query.setPlaceholderText('words, "a phrase", prefix*  (any case, any accents)')
        self.query.setAccessibleName("Search every version of every policy")
        self.query.setClearButtonEnabled(True)
        self.button = QPushButton("Search")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Policy / version", "First appeared", "Last seen", "Paragraph"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("Search results")
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(self.button)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(row)
        box.addWidget(self.status)
        box.addWidget(self.tree, 1)
        self.query.returnPressed.connect(self._request)
        self.button.clicked.connect(self._request)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)

    def _request(self) -> None:
        self.searchRequested.emit(self.query.text())

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        target = item.data(0, TARGET_ROLE)
        if target is not None:
            self.openRequested.emit(*target)

    def show_matches(self, query: str, matches: list[PolicyMatch]) -> None:
        self.tree.clear()
        versions = sum(len(m.versions) for m in matches)
        n = len(matches)
        self.status.setText(
            f"{query}: in {versions} version{'s' * (versions != 1)} of {n} polic{'ies' if n != 1 else 'y'}"
            if matches
            else f"{query}: no version of any policy says it"
        )
        for m in matches:
            before = (
                f"(not in {short_date(m.absent_before)})" if m.absent_before else "(in the first capture)"
            )
            after = f"(gone in {short_date(m.absent_after)})" if m.absent_after else "(still there)"
            top = QTreeWidgetItem(
                [
                    f"{m.label or m.url}  —  {len(m.versions)} of {m.total_versions} versions",
                    f"{short_date(m.first_appeared)} {before}",
                    f"{short_date(m.last_seen)} {after}",
                    snippet(m.paragraph, query, SNIPPET_CHARS),
                ]
            )
            top.setToolTip(0, m.url)
            top.setToolTip(3, m.paragraph)
            latest = m.versions[-1]
            top.setData(0, TARGET_ROLE, (m.policy_id, latest.timestamp, latest.block))
            for v in m.versions:
                child = QTreeWidgetItem(
                    [short_date(v.timestamp), "", "", snippet(v.paragraph, query, SNIPPET_CHARS)]
                )
                child.setToolTip(3, v.paragraph)
                child.setData(0, TARGET_ROLE, (m.policy_id, v.timestamp, v.block))
                top.addChild(child)
            self.tree.addTopLevelItem(top)
        for column in range(3):
            self.tree.resizeColumnToContents(column)


class SearchController(QObject):
    """Owns the search dock and action; runs searches and opens results in the window.

    Signals:
        searched(int): a search ended with this many policies (-1: it failed); for tests.
        opened(): a result's version is shown at its paragraph.
    """

    searched = Signal(int)
    opened = Signal()

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window: Any = cast(Any, window)  # ui.mainwindow.MainWindow (not imported: no import cycle)
        self.panel = SearchPanel()
        self.dock = QDockWidget("Search All Versions", window)
        self.dock.setObjectName("search-all-versions")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.action = QAction("&Search All Versions…", self)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.action.setStatusTip("Search every version of every policy")
        self.action.triggered.connect(self.open_panel)
        window.addAction(self.action)
        self._task: Task | None = None
        self._pending: tuple[int, str, int] | None = None  # what to open once it is loaded
        self.panel.searchRequested.connect(self.run_search)
        self.panel.openRequested.connect(self.open_result)
        self.window.versionsLoaded.connect(self._versions_loaded)
        self.window.diffShown.connect(self._diff_shown)

    def open_panel(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.panel.query.setFocus()
        self.panel.query.selectAll()

    def run_search(self, query: str) -> None:
        if not query.strip():
            return
        if self._task is not None:
            self._task.cancel()
        self.panel.status.setText(f"Searching for {query!r}…")
        archive = self.window.archive
        self._task = run_task(
            job_search(archive, query),
            name="search",
            context=self,
            on_progress=lambda p: self.panel.status.setText(
                f"Indexing texts stored before the index: {p[0]}/{p[1]}"
            ),
            on_finished=lambda ms: self._found(archive, query, ms),
            on_failed=self._failed,
        )

    def _found(self, archive: Archive, query: str, matches: list[PolicyMatch]) -> None:
        self._task = None
        if archive is self.window.archive:
            self.panel.show_matches(query, matches)
            self.searched.emit(len(matches))

    def _failed(self, exc: BaseException) -> None:
        self._task = None
        if isinstance(exc, CancelledError):
            return
        self.panel.tree.clear()
        if isinstance(exc, ArchiverError):
            self.panel.status.setText(str(exc))
        else:  # a bug: logged with its traceback
            log.error("search failed", exc_info=exc)
            self.panel.status.setText(f"The search failed unexpectedly ({type(exc).__name__}: {exc}).")
        self.searched.emit(-1)

    # --- opening a result ---------------------------------------------------------------------

    def open_result(self, policy_id: int, timestamp: str, block: int) -> None:
        """Select the policy and the version first captured at ``timestamp``, then show ``block``."""
        self._pending = (policy_id, timestamp, block)
        window = self.window
        current = window.current_policy()
        if current is not None and current.id == policy_id:
            self._select_version()
            return
        row = window.policy_model.row_of(policy_id)
        if row < 0:
            self._pending = None
            self.panel.status.setText("That policy is not in the archive shown now; search again.")
            return
        window.policy_view.setCurrentIndex(window.policy_model.index(row))  # loads its versions

    def _versions_loaded(self, _count: int) -> None:
        if self._pending is not None:
            self._select_version()

    def _select_version(self) -> None:
        assert self._pending is not None
        policy_id, timestamp, _block = self._pending
        window = self.window
        current = window.current_policy()
        if current is None or current.id != policy_id:
            return  # its versions are still loading
        versions = window.version_model.versions()
        index = next((v.index for v in versions if v.timestamp == timestamp), None)
        if index is None:
            self._pending = None
            self.panel.status.setText("That version is no longer in the archive; search again.")
            return
        window.versions.choose(index)  # compares it with its predecessor, then see _diff_shown

    def _diff_shown(self, _result: DiffResult) -> None:
        if self._pending is None:
            return
        versions = self.window.version_model.versions()
        right = self.window.right_combo.currentIndex()
        if 0 <= right < len(versions) and versions[right].timestamp == self._pending[1]:
            self._scroll()

    def _scroll(self) -> None:
        assert self._pending is not None
        block = self._pending[2]
        self._pending = None
        compare = self.window.compare
        result = compare.result
        if result is not None:
            row = next(
                (k for k, r in enumerate(result.rows) if r.right is not None and r.right.index == block), None
            )
            if row is not None:
                compare.expand_at(row)
        self.opened.emit()
