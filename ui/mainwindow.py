"""The main window: it lays out and wires its controllers, each owning its widgets.

* ``policies`` (:class:`ui.policies.PolicyList`): the tracked policies, which one is chosen;
* ``versions`` (:class:`ui.versions.VersionList`): the chosen policy's timeline and versions;
* ``compare_panel`` (:class:`ui.comparing.ComparePanel`): which pair is compared, the diff, the view;
* ``work`` (:class:`ui.archive_work.ArchiveWork`): open, fetch, capture, verify, import, export;
* ``menus`` (:class:`ui.menus.WindowMenus`): the actions and menu bar;
* ``details`` (:class:`ui.details.CaptureDetails`): the captures of the chosen version.

They share a :class:`ui.context.WindowContext` (archive, settings, message bar, progress panel) and
talk through signals connected here, in ``_wire``: a new feature is a controller of its own, made and
wired in a few lines of this module. No business logic and no I/O here: every archive read runs
through ``ui.workers`` and comes back on the GUI thread.

Attributes such as ``version_model`` or ``start_fetch`` are the controllers' own, named here too for
tests and scripts that drive the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from archiver.models import Policy, Version
from archiver.storage import Archive

from .answers import AnswersController
from .archive_work import ArchiveWork
from .cache import TextCache
from .change_windows import ChangeWindows
from .comparing import ComparePanel
from .context import WindowContext
from .details import CaptureDetails
from .menus import WindowMenus
from .policies import PolicyList
from .portfolio import PortfolioController
from .runtime import TRIM_INTERVAL_MS, release_freed_memory
from .search_panel import SearchController
from .settings import Settings
from .versions import VersionList
from .workers import Task, cancel_all, run_task

if TYPE_CHECKING:
    from .compare import CompareView

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Signals:
    policiesLoaded(int): the policy list was (re)loaded (its length).
    versionsLoaded(int): versions of the selected policy are shown (their number).
    diffShown(object): a DiffResult was handed to the compare view.
    changeSizesDone(): every version's change size is known.
    """

    versionsLoaded = Signal(int)
    diffShown = Signal(object)
    changeSizesDone = Signal()
    policiesLoaded = Signal(int)

    def __init__(
        self,
        archive: Archive,
        settings: Settings | None = None,
        *,
        fetch_factory: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        self.ctx = WindowContext(self, archive, settings or Settings(), fetch_factory=fetch_factory)
        self.texts = TextCache()
        self.policies = PolicyList(self.ctx)
        self.versions = VersionList(self.ctx, self.texts)
        self.compare_panel = ComparePanel(self.ctx, self.texts)
        self.details = CaptureDetails()
        self.work = ArchiveWork(self.ctx, self.policies, self.compare_panel)
        self.change_windows = ChangeWindows(self.ctx, self.policies, self.versions, self.work)
        self.portfolio = PortfolioController(self.ctx, self.policies, self.versions, self.work)
        self._build()
        self.menus = WindowMenus(self, self.work, self.details, self.ctx.progress, self._compare_current)
        self.portfolio.add_to(self.menus.policy_menu)
        self._wire()
        self._name_parts()
        self.search_controller = SearchController(self)  # search every version: ui/search_panel.py
        self.menus.edit_menu.addAction(self.search_controller.action)
        from .refetch import RefetchController  # Captures → Re-fetch This Capture: ui/refetch.py

        self.refetch = RefetchController(self.ctx, self.details, self.work._session_factory())
        self.refetch.refetched.connect(lambda c: self.policies.reload(select=c.policy_id))
        # date flags, topics, measures: ui/answers.py
        self.answers = AnswersController(self, self.ctx, self.versions, lambda: self.compare)
        self.diffShown.connect(self.answers.diff_shown)
        self.menus.view_menu.addAction(self.answers.action)
        self.menus.edit_menu.addAction(self.answers.watchlist_action)
        self.setWindowTitle(f"policydiff — {archive.root}")
        self.setAcceptDrops(True)  # drop HTML, PDF, Princeton-Leuven, WARC or WACZ files to import them
        from . import rules_dialog  # Policy → Extraction Rules…: ui/rules_dialog.py

        self.rules_dialog: Any = None  # the last Extraction Rules dialog opened
        self.rules_action = rules_dialog.install(self)
        self._restore()
        self.policies.reload()
        # memory freed when the caches drop texts and diffs goes back to the system: ui/runtime.py
        self._trim_timer = QTimer(self, interval=TRIM_INTERVAL_MS)
        self._trim_timer.timeout.connect(self._release_freed_memory)
        self._trim_timer.start()

    def _release_freed_memory(self) -> None:
        """On a worker: with a fragmented heap, malloc_trim takes 100 ms or more (the GIL is free meanwhile)."""
        run_task(lambda cancel, report: release_freed_memory(), name="release freed memory")

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.addTab(self.compare_panel.page, "&Compare")
        self.tabs.addTab(self.details, "Cap&tures")
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.versions.panel)
        self.right_splitter.addWidget(self.tabs)
        self.right_splitter.setStretchFactor(1, 1)
        self.right_splitter.setSizes([260, 520])
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.policies.panel)
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([240, 1000])
        central = QWidget()
        box = QVBoxLayout(central)
        box.setContentsMargins(6, 6, 6, 0)
        box.addWidget(self.ctx.message_bar)
        box.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self.stats_label = QLabel()
        self.statusBar().addWidget(self.stats_label, 1)
        self.statusBar().addPermanentWidget(self.ctx.progress)

    def _wire(self) -> None:
        policies, versions, compare, work = self.policies, self.versions, self.compare_panel, self.work
        policies.policyChosen.connect(self._policy_chosen)
        policies.loaded.connect(self.policiesLoaded)
        policies.addRequested.connect(work.add_policy)
        versions.shown.connect(compare.set_versions)
        versions.shown.connect(lambda vs: self.menus.set_comparable(bool(vs)))
        versions.versionChosen.connect(self.details.set_version)
        versions.versionChosen.connect(compare.compare_with_previous)
        versions.loaded.connect(self.versionsLoaded)
        versions.sizesDone.connect(self.changeSizesDone)
        versions.status.connect(self.stats_label.setText)
        compare.status.connect(self.stats_label.setText)
        compare.diffShown.connect(self.diffShown)
        compare.viewBuilt.connect(self._compare_built)
        work.archiveOpened.connect(self.show_archive)
        self.details.exportRequested.connect(work.export_capture)
        self.details.saveRawRequested.connect(work.save_raw)

    def _name_parts(self) -> None:
        """The controllers' parts under the names tests and scripts use."""
        self.settings = self.ctx.settings
        self.message_bar = self.ctx.message_bar
        self.progress = self.ctx.progress
        self.policy_model, self.policy_view = self.policies.model, self.policies.view
        self.version_model, self.version_view = self.versions.model, self.versions.view
        self.timeline = self.versions.timeline
        self.left_combo, self.right_combo = self.compare_panel.left_combo, self.compare_panel.right_combo
        self.current_policy = self.policies.current
        self.reload_policies = self.policies.reload
        self.current_version = self.versions.current
        self.compare_versions = self.compare_panel.compare_versions
        work = self.work
        self.start_fetch, self.fetch_selected, self.add_policy = (
            work.start_fetch,
            work.fetch_selected,
            work.add_policy,
        )
        self.capture_live_selected, self.save_page_now_selected = (
            work.capture_live_selected,
            work.save_page_now_selected,
        )
        self.set_certificates, self.verify_archive, self.open_archive = (
            work.set_certificates,
            work.verify_archive,
            work.open_archive,
        )
        self.start_import, self.start_export, self.start_report = (
            work.start_import,
            work.start_export,
            work.start_report,
        )
        self.export_report = work.export_report
        menus = self.menus
        self.report_action, self.fetch_action, self.verify_action = (
            menus.report_action,
            menus.fetch_action,
            menus.verify_action,
        )
        self.save_page_now_action, self.wacz_action = menus.save_page_now_action, menus.wacz_action

    @property
    def archive(self) -> Archive:
        return self.ctx.archive

    @property
    def compare(self) -> CompareView:
        """The compare view (built at once if the window has not painted yet)."""
        return self.compare_panel.view

    @property
    def keys_dialog(self) -> Any:
        return self.work.keys_dialog

    # --- the compare view, built after the first paint -----------------------------------------

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest and not self.compare_panel.built:
            QTimer.singleShot(0, self.compare_panel.build)  # after this first paint
        return handled

    def _compare_built(self, view: CompareView) -> None:
        self.menus.add_compare_view(view)
        from .paragraph_history import ParagraphHistory  # loads the diff engine, as the view does

        self.paragraph_history = ParagraphHistory(self, view)  # hover and panel: ui/paragraph_history.py
        self.menus.view_menu.addAction(self.paragraph_history.action)
        from .paragraph_notes import ParagraphNotes

        self.paragraph_notes = ParagraphNotes(self.ctx, self.policies, self.compare_panel, view)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.paragraph_notes.dock)
        self.paragraph_notes.dock.hide()
        self.menus.edit_menu.addAction(self.paragraph_notes.action)
        saved = self.ctx.settings.state("splitter/compare")
        if saved is not None:
            view.splitter.restoreState(saved)

    # --- the chosen policy and version ---------------------------------------------------------

    def _policy_chosen(self, policy: Policy) -> None:
        self.compare_panel.drop()  # a diff of the previous policy's versions must not land on this one's
        self.versions.load(policy)

    def _compare_current(self) -> None:
        version: Version | None = self.versions.current()
        if version is not None:
            self.versions.choose(version.index)

    # --- settings -----------------------------------------------------------------------------

    def _restore(self) -> None:
        settings = self.ctx.settings
        geometry = settings.state("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 820)
        state = settings.state("window/state")
        if state is not None:
            self.restoreState(state)
        for name, splitter in self._splitters().items():
            saved = settings.state(name)
            if saved is not None:
                splitter.restoreState(saved)

    def _splitters(self) -> dict[str, QSplitter]:
        splitters = {
            "splitter/main": self.main_splitter,
            "splitter/right": self.right_splitter,
            "splitter/details": self.details.splitter,
        }
        if self.compare_panel.built:  # restored when it is built
            splitters["splitter/compare"] = self.compare_panel.view.splitter
        return splitters

    def save_settings(self) -> None:
        settings = self.ctx.settings
        settings.set_state("window/geometry", self.saveGeometry())
        settings.set_state("window/state", self.saveState())
        for name, splitter in self._splitters().items():
            settings.set_state(name, QByteArray(splitter.saveState()))
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_settings()
        self.versions.stop()
        self.compare_panel.drop()
        if cancel_all(wait_ms=5000):
            self.ctx.archive.close()  # checkpoints SQLite's WAL; reads reopen it if the window is shown again
        else:
            log.warning("background jobs still running after cancel")
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.work.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.work.drop(event)

    # --- another archive ----------------------------------------------------------------------

    def show_archive(self, archive: Archive) -> Task:
        """Show ``archive`` instead of the current one (opened by File → Open Archive): whatever the
        window shows or is still loading of the old one is dropped. The caller closes the old one."""
        self.ctx.archive = archive
        self.work.forget_pending()
        self.texts.clear()
        self.compare_panel.cache.clear()
        self.policies.clear()
        self.versions.clear()
        self.compare_panel.clear()
        self.details.set_version(None)
        self.menus.set_comparable(False)
        self.stats_label.clear()
        self.setWindowTitle(f"policydiff — {archive.root}")
        return self.policies.reload()
