"""The main window: tracked policies, their versions and timeline, the compare view and capture details.

No business logic and no I/O here: every archive read, fetch, import, diff and export runs through
``ui.workers.run_task`` and comes back on the GUI thread. Results of superseded requests are dropped
(each request carries a generation number).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from archiver.errors import CancelledError
from archiver.models import Policy, Version, baseline
from archiver.storage import Archive

from .archive_work import ArchiveWork
from .details import CaptureDetails
from .jobs import (
    job_change_sizes,
    job_diff,
    job_policies,
    job_versions,
)
from .menus import WindowMenus
from .messages import MessageBar, ProgressPanel
from .models import PolicyListModel, VersionTableModel, change_note, short_date
from .settings import Settings
from .timeline import Point, TimelineWidget
from .workers import Task, cancel_all, run_task

if TYPE_CHECKING:
    from archiver.diffing import DiffOptions, DiffResult

    from .compare import CompareView
    from .dialogs import PolicyRequest

log = logging.getLogger(__name__)

DIFF_CACHE_SIZE = 16
SIZES_PROGRESS_FROM = 20  # versions; fewer are measured in well under a second
BUSY_DELAY_MS = 150  # a diff still running after this greys the compare view


class MainWindow(ArchiveWork, WindowMenus, QMainWindow):
    """Signals:
    versionsLoaded(int): versions of the selected policy are shown (their number).
    diffShown(object): a DiffResult was handed to the compare view.
    changeSizesDone(): every version's change size is known.
    """

    versionsLoaded = Signal(int)
    diffShown = Signal(object)
    changeSizesDone = Signal()
    policiesLoaded = Signal(int)

    def __init__(
        self, archive: Archive, settings: Settings | None = None, *, fetch_factory: Any = None
    ) -> None:
        super().__init__()
        self.archive = archive
        self.settings = settings or Settings()
        self.fetch_factory = fetch_factory  # tests inject the client's session (its pacer, its clock)
        self.keys_dialog: Any = None  # the Internet Archive key dialog Save Page Now opened last
        self._generation = 0  # bumped on policy change: results of older loads are dropped
        self._diff_generation = 0
        self._diff_task: Task | None = None
        self._sizes_task: Task | None = None
        self._diff_cache: OrderedDict[tuple[str, str, DiffOptions], DiffResult] = OrderedDict()
        self._text_cache: dict[str, str] = {}
        self._options: DiffOptions | None = None  # set with the compare view (archiver.diffing is lazy)
        self._compare: CompareView | None = None
        self._pending_policy: int | None = None
        self._suggested_for: PolicyRequest | None = None  # the fetch whose nearby URLs the bar offers
        self._opening = 0  # Open Archive requests so far (see ArchiveWork.open_archive)
        self.setWindowTitle(f"policydiff — {archive.root}")
        self.setAcceptDrops(True)  # drop HTML, PDF, Princeton-Leuven, WARC or WACZ files to import them
        self._build()
        self._make_actions()
        from . import rules_dialog

        self.rules_dialog: Any = None  # the last Extraction Rules dialog opened
        self.rules_action = rules_dialog.install(self)
        self._restore()
        self.reload_policies()
        from .app import settle_gc

        QTimer.singleShot(0, settle_gc)  # once the window is up: see settle_gc

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.message_bar = MessageBar()
        self.message_bar.linkActivated.connect(self.fetch_suggested)
        self.policy_model = PolicyListModel(self)
        self.policy_view = QListView()
        self.policy_view.setModel(self.policy_model)
        self.policy_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.policy_view.setAccessibleName("Tracked policies")
        self.policy_view.selectionModel().selectionChanged.connect(self._policy_selected)
        add = QPushButton("Add Policy…")
        add.clicked.connect(self.add_policy)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(QLabel("<b>Policies</b>"))
        lbox.addWidget(self.policy_view, 1)
        lbox.addWidget(add)

        self.timeline = TimelineWidget()
        self.timeline.pointClicked.connect(self.compare_with_previous)
        self.version_model = VersionTableModel(self)
        self.version_view = QTableView()
        self.version_view.setModel(self.version_model)
        self.version_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.version_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.version_view.verticalHeader().hide()
        self.version_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.version_view.setAlternatingRowColors(True)
        self.version_view.setAccessibleName("Versions of the selected policy")
        header = self.version_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.version_view.selectionModel().currentRowChanged.connect(self._version_selected)

        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.compare.setEnabled(False))
        self.left_combo = QComboBox()
        self.right_combo = QComboBox()
        for combo in (self.left_combo, self.right_combo):
            combo.setMinimumContentsLength(24)
            combo.setAccessibleName("Older version" if combo is self.left_combo else "Newer version")
            combo.activated.connect(lambda _i: self._combo_changed())
        swap = QToolButton()
        swap.setText("⇄")
        swap.setToolTip("Swap the two versions")
        swap.clicked.connect(self._swap)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Compare"))
        pick.addWidget(self.left_combo, 1)
        pick.addWidget(swap)
        pick.addWidget(QLabel("with"))
        pick.addWidget(self.right_combo, 1)
        compare_page = QWidget()
        cbox = QVBoxLayout(compare_page)
        cbox.setContentsMargins(4, 4, 4, 0)
        cbox.addLayout(pick)
        self._compare_box = cbox  # the compare view joins after the first paint: see compare
        self.details = CaptureDetails()
        self.details.exportRequested.connect(self.export_capture)
        self.details.saveRawRequested.connect(self.save_raw)
        self.tabs = QTabWidget()
        self.tabs.addTab(compare_page, "&Compare")
        self.tabs.addTab(self.details, "Cap&tures")

        top = QWidget()
        tbox = QVBoxLayout(top)
        tbox.setContentsMargins(0, 0, 0, 0)
        tbox.addWidget(self.timeline)
        tbox.addWidget(self.version_view, 1)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(top)
        self.right_splitter.addWidget(self.tabs)
        self.right_splitter.setStretchFactor(1, 1)
        self.right_splitter.setSizes([260, 520])
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(left)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([240, 1000])

        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(6, 6, 6, 0)
        box.addWidget(self.message_bar)
        box.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self.progress = ProgressPanel()
        self.stats_label = QLabel()
        self.statusBar().addWidget(self.stats_label, 1)
        self.statusBar().addPermanentWidget(self.progress)

    def _run(self, job: Any, **kwargs: Any) -> Task:
        """run_task with this window as context: results arriving after it is gone are dropped."""
        return run_task(job, context=self, **kwargs)

    # --- the compare view, built after the first paint -----------------------------------------

    @property
    def compare(self) -> CompareView:
        """The compare view (ui.compare). Importing it and the diff engine costs ~50-100 ms, so it is
        built once the window has painted, or at once when something needs it earlier."""
        if self._compare is None:
            self._attach_compare()
        assert self._compare is not None
        return self._compare

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest and self._compare is None:
            QTimer.singleShot(0, self._attach_compare)  # after this first paint
        return handled

    def _attach_compare(self) -> None:
        if self._compare is not None:
            return
        from archiver.diffing import DiffOptions

        from .compare import CompareView

        view = CompareView()
        self._compare = view
        if self._options is None:
            self._options = DiffOptions()
        view.optionsChanged.connect(self._options_changed)
        view.statsChanged.connect(self._show_stats)
        self._compare_box.addWidget(view, 1)
        self.edit_menu.addAction(view.find_action)
        menu = self.view_menu
        for a in (view.previous_action, view.next_action):
            menu.addAction(a)
        menu.addSeparator()
        for a in (
            view.ignore_whitespace_action,
            view.ignore_case_action,
            view.ignore_punctuation_action,
            view.changes_only_action,
            view.unified_action,
            view.wrap_action,
        ):
            menu.addAction(a)
        menu.addSeparator()
        for a in (view.zoom_in_action, view.zoom_out_action, view.zoom_reset_action):
            menu.addAction(a)
        saved = self.settings.state("splitter/compare")
        if saved is not None:
            view.splitter.restoreState(saved)

    # --- settings -----------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.state("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state = self.settings.state("window/state")
        if state is not None:
            self.restoreState(state)
        for name, splitter in self._splitters().items():
            saved = self.settings.state(name)
            if saved is not None:
                splitter.restoreState(saved)

    def _splitters(self) -> dict[str, QSplitter]:
        splitters = {
            "splitter/main": self.main_splitter,
            "splitter/right": self.right_splitter,
            "splitter/details": self.details.splitter,
        }
        if self._compare is not None:  # restored when it is built
            splitters["splitter/compare"] = self._compare.splitter
        return splitters

    def save_settings(self) -> None:
        self.settings.set_state("window/geometry", self.saveGeometry())
        self.settings.set_state("window/state", self.saveState())
        for name, splitter in self._splitters().items():
            self.settings.set_state(name, QByteArray(splitter.saveState()))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self._generation += 1
        self._diff_generation += 1
        if cancel_all(wait_ms=5000):
            self.archive.close()  # checkpoints SQLite's WAL; reads reopen it if the window is shown again
        else:
            log.warning("background jobs still running after cancel")
        super().closeEvent(event)

    def show_archive(self, archive: Archive) -> None:
        """Show ``archive`` instead of the current one (opened by File → Open Archive): whatever the
        window shows or is still loading of the old one is dropped. The caller closes the old one."""
        self._generation += 1
        self._drop_diff()
        if self._sizes_task is not None:
            self._sizes_task.cancel()
        self.archive = archive
        self._pending_policy = None
        self._text_cache.clear()
        self._diff_cache.clear()
        self.policy_model.set_policies([])
        self.version_model.set_versions([])
        self.timeline.set_points([])
        for combo in (self.left_combo, self.right_combo):
            combo.clear()
        if self._compare is not None:
            self._compare.clear()
        self.details.set_version(None)
        self.report_action.setEnabled(False)
        self.stats_label.clear()
        self.setWindowTitle(f"policydiff — {archive.root}")
        self.reload_policies()

    # --- policies -----------------------------------------------------------------------------

    def current_policy(self) -> Policy | None:
        rows = self.policy_view.selectionModel().selectedRows()
        return self.policy_model.policy(rows[0].row()) if rows else None

    def reload_policies(self, select: int | None = None) -> Task:
        if select is None:
            current = self.current_policy()
            select = current.id if current else None
        archive = self.archive
        task = self._run(
            job_policies(archive),
            name="load policies",
            # the policies of an archive no longer shown (File → Open Archive) are dropped
            on_finished=lambda ps: self._policies_loaded(ps, select) if archive is self.archive else None,
            on_failed=self._failed,
        )
        return task

    def _policies_loaded(self, policies: list[Policy], select: int | None) -> None:
        current = self.current_policy()
        self.policy_model.set_policies(policies)
        row = self.policy_model.row_of(select) if select is not None else -1
        if row < 0 and policies:
            row = 0
        if row >= 0:
            self.policy_view.setCurrentIndex(self.policy_model.index(row))
            if current is not None and current.id == self.policy_model.policy(row).id:
                self._load_versions(self.policy_model.policy(row))
        self.policiesLoaded.emit(len(policies))

    def _policy_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        policy = self.current_policy()
        if policy is not None:
            self._load_versions(policy)

    def _load_versions(self, policy: Policy) -> None:
        self._generation += 1
        generation = self._generation
        if self._sizes_task is not None:
            self._sizes_task.cancel()
        self._drop_diff()  # a diff of the previous policy's versions must not land on this one's
        self._run(
            job_versions(self.archive, policy.id),
            name="load versions",
            on_finished=lambda vs: self._versions_loaded(generation, vs),
            on_failed=self._failed,
        )

    def _versions_loaded(self, generation: int, versions: list[Version]) -> None:
        if generation != self._generation:
            return
        self.version_model.set_versions(versions)
        self.timeline.set_points(
            [Point(v.index, v.timestamp, None, change_note(versions, v.index)) for v in versions]
        )
        for combo in (self.left_combo, self.right_combo):
            combo.clear()
            for v in versions:
                combo.addItem(self._version_title(v), v.index)
        self.report_action.setEnabled(bool(versions))  # a single version is compared with itself
        if versions:
            # the newest version that holds policy text (an error page or shell is no place to start)
            texts = [v.index for v in versions if v.is_policy_text]
            self.version_view.selectRow(texts[-1] if texts else len(versions) - 1)
            # selectRow scrolled within the range the table had before the reset: scroll again once
            # the table has laid out its new rows
            QTimer.singleShot(0, self, lambda: self._scroll_to_current(generation))
        else:
            self.compare.clear()
            self.details.set_version(None)
            self.stats_label.setText("No versions with text yet: fetch or import captures.")
        self.versionsLoaded.emit(len(versions))
        pairs = []  # (baseline, version): no change size for an error page or a shell
        for version in versions:
            base = baseline(versions, version.index)
            if base is not None and version.is_policy_text:
                pairs.append((versions[base], version))
        if not pairs:
            self.changeSizesDone.emit()  # nothing to measure
        else:
            self._sizes_task = self._run(
                job_change_sizes(self.archive, pairs, self._text_cache),
                name="change sizes",
                on_progress=lambda p: self._change_size(generation, p),
                on_finished=lambda _r: self._sizes_done(generation),
                on_failed=self._failed_quietly,
            )
            if len(versions) > SIZES_PROGRESS_FROM:  # long enough to show, and to offer a cancel
                self.progress.add(
                    self._sizes_task, f"Measuring the changes between {len(versions)} versions…"
                )

    def _scroll_to_current(self, generation: int) -> None:
        if generation == self._generation:
            self.version_view.scrollTo(self.version_view.currentIndex())

    def _change_size(self, generation: int, item: object) -> None:
        if generation == self._generation and isinstance(item, tuple):
            index, words = item
            self.version_model.set_change(index, words)
            self.timeline.set_change(index, words)

    def _sizes_done(self, generation: int) -> None:
        if generation == self._generation:
            self.changeSizesDone.emit()

    @staticmethod
    def _version_title(v: Version) -> str:
        return f"v{v.index + 1} · {short_date(v.timestamp)} · {v.words:,} words"

    # --- versions and comparison --------------------------------------------------------------

    def current_version(self) -> Version | None:
        index = self.version_view.currentIndex()
        return self.version_model.version(index.row()) if index.isValid() else None

    def _version_selected(self, current: Any, _previous: Any) -> None:
        version = self.current_version()
        self.details.set_version(version)
        if version is not None:
            self.timeline.set_selected(version.index)
            self.compare_with_previous(version.index)

    def _compare_current(self) -> None:
        version = self.current_version()
        if version is not None:
            self.compare_with_previous(version.index)

    def compare_with_previous(self, index: int) -> None:
        """Compare version ``index`` with the previous one holding policy text (error pages and
        JavaScript shells are skipped, see archiver.models.baseline); the first: with itself."""
        if not 0 <= index < self.version_model.rowCount():
            return
        if self.version_view.currentIndex().row() != index:
            self.version_view.selectRow(index)  # comes back here through _version_selected
            return
        left = baseline(self.version_model.versions(), index)
        self.compare_versions(index if left is None else left, index)

    def compare_versions(self, left: int, right: int) -> Task | None:
        """Diff two versions in the background and hand the result to the compare view."""
        versions = self.version_model.versions()
        if not (0 <= left < len(versions) and 0 <= right < len(versions)):
            return None
        self.left_combo.setCurrentIndex(left)
        self.right_combo.setCurrentIndex(right)
        a, b = versions[left], versions[right]
        compare = self.compare  # builds it (and the default options) if the window has not painted yet
        assert self._options is not None and compare is not None
        self._diff_generation += 1
        generation = self._diff_generation
        titles = (self._version_title(a), self._version_title(b))
        key = (a.text_sha256, b.text_sha256, self._options)
        cached = self._diff_cache.get(key)
        if cached is not None:
            self._diff_cache.move_to_end(key)
            self._show_diff(generation, cached, titles)
            return None
        if self._diff_task is not None:
            self._diff_task.cancel()
        self.stats_label.setText(f"Comparing {titles[0]} with {titles[1]}…")
        self._busy_timer.start()
        self._diff_task = self._run(
            job_diff(self.archive, a.text_sha256, b.text_sha256, self._options, self._text_cache),
            name="diff",
            on_finished=lambda r: self._diff_ready(generation, key, r, titles),
            on_failed=lambda exc: self._diff_failed(generation, exc),
        )
        return self._diff_task

    def _drop_diff(self) -> None:
        """Forget the diff being computed: its result or error is dropped, the view is no longer busy."""
        self._diff_generation += 1
        if self._diff_task is not None:
            self._diff_task.cancel()
            self._diff_task = None
        self._busy_timer.stop()
        if self._compare is not None:
            self._compare.setEnabled(True)

    def _diff_ready(self, generation: int, key: Any, result: DiffResult, titles: tuple[str, str]) -> None:
        self._diff_cache[key] = result
        while len(self._diff_cache) > DIFF_CACHE_SIZE:
            self._diff_cache.popitem(last=False)
        self._show_diff(generation, result, titles)

    def _show_diff(self, generation: int, result: DiffResult, titles: tuple[str, str]) -> None:
        if generation != self._diff_generation:
            return
        self._busy_timer.stop()
        self.compare.setEnabled(True)
        self.compare.set_result(result, *titles)
        self.diffShown.emit(result)

    def _combo_changed(self) -> None:
        self.compare_versions(self.left_combo.currentIndex(), self.right_combo.currentIndex())

    def _swap(self) -> None:
        self.compare_versions(self.right_combo.currentIndex(), self.left_combo.currentIndex())

    def _options_changed(self, options: object) -> None:
        from archiver.diffing import DiffOptions

        if isinstance(options, DiffOptions) and options != self._options:
            self._options = options
            self._combo_changed()

    def _show_stats(self, text: str) -> None:
        self.stats_label.setText(text)

    # --- errors -------------------------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        self.message_bar.show_error(exc)

    def _diff_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._diff_generation:  # replaced or dropped: the current request is still busy
            log.info("superseded diff failed: %r", exc)
            return
        self._busy_timer.stop()
        self.compare.setEnabled(True)
        if not isinstance(exc, CancelledError):
            self._failed(exc)

    def _failed_quietly(self, exc: BaseException) -> None:
        log.info("change sizes not computed: %s", exc)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About policydiff",
            "<b>policydiff</b><br>Archived privacy-policy versions and their word-level "
            "differences, from the Wayback Machine or any Memento/pywb archive.",
        )
