"""The main window's actions and menu bar (File, Edit, Policy, View, Help), with their shortcuts.

The slots are those of the window's controllers (mostly ``ui.archive_work``); the compare view's own
actions join the Edit and View menus once it is built (``add_compare_view``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from .archive_work import ArchiveWork
from .details import CaptureDetails
from .messages import ProgressPanel

if TYPE_CHECKING:
    from .compare import CompareView


class WindowMenus(QObject):
    """Builds every QAction of the window and puts it in its menu; the slots are the controllers'.

    Extension point: a feature's actions go into the menu named by its attribute (``policy_menu``,
    ``view_menu``...) from the feature's own module, after the window is built.
    """

    def __init__(
        self,
        window: QMainWindow,
        work: ArchiveWork,
        details: CaptureDetails,
        progress: ProgressPanel,
        compare_previous: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._work = work
        self._details = details
        self._progress = progress
        self._compare_previous = compare_previous
        self._make_actions()

    def _make_actions(self) -> None:
        window, work, details = self._window, self._work, self._details

        def action(
            text: str,
            slot: Callable[[], object],
            shortcut: QKeySequence.StandardKey | str | None = None,
            tip: str = "",
        ) -> QAction:
            a = QAction(text, window)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(slot)
            return a

        self.add_action = action(
            "&Add Policy…",
            work.add_policy,
            QKeySequence.StandardKey.New,
            "Track a policy URL and fetch its archived history",
        )
        self.import_action = action(
            "&Import Files…",
            work.import_files,
            "Ctrl+I",
            "Import HTML, PDF or Princeton-Leuven Markdown files",
        )
        self.open_action = action("&Open Archive…", work.choose_archive, QKeySequence.StandardKey.Open)
        self.fetch_action = action(
            "&Fetch History",
            work.fetch_selected,
            "F5",
            "Fetch the selected policy's captures again (new ones only)",
        )
        self.capture_action = action(
            "&Capture Live Page Now",
            work.capture_live_selected,
            "Ctrl+L",
            "Store today's page from the site itself as a capture (source: live)",
        )
        self.save_page_now_action = action(
            "Save Page Now in the &Wayback Machine",
            work.save_page_now_selected,
            None,
            "Ask the Wayback Machine to capture the selected policy's page now (needs your Internet "
            "Archive keys)",
        )
        self.verify_action = action(
            "&Verify Archive",
            work.verify_archive,
            tip="Re-hash every stored capture against its sha256 and check the database",
        )
        self.quit_action = action("&Quit", window.close, QKeySequence.StandardKey.Quit)
        self.compare_prev_action = action("Compare with &Previous Version", self._compare_previous, "Ctrl+D")
        self.cancel_action = action("Cancel Running Jobs", self._progress.cancel, "Ctrl+Shift+X")
        self.certificates_action = action(
            "Trusted &Certificates…",
            work.choose_certificates,
            None,
            "A PEM file of certificates to trust for HTTPS (a corporate proxy's CA), or the system's",
        )
        self.about_action = action("&About policydiff", lambda: about(window))
        self.report_action = action(
            "Evidence &Report for This Comparison…",
            work.export_report,
            "Ctrl+E",
            "HTML or PDF report of the two compared versions, with provenance",
        )
        self.report_action.setEnabled(False)  # until a policy's versions are shown: see _versions_loaded
        self.warc_action = action("Policy Captures as &WARC…", lambda: work.export_policy("warc"))
        self.wacz_action = action(
            "Policy Captures as W&ACZ…",
            lambda: work.export_policy("wacz"),
            tip="the WARC with its index, for ReplayWeb.page and pywb",
        )
        self.csv_action = action("Policy Versions as &CSV…", lambda: work.export_policy("csv"))
        self.jsonl_action = action("Policy Versions as &JSONL…", lambda: work.export_policy("jsonl"))

        file_menu = window.menuBar().addMenu("&File")
        file_menu.addAction(self.add_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(lambda: work.fill_recent(self.recent_menu))
        file_menu.addAction(self.verify_action)
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("&Export")
        export_menu.addAction(self.report_action)
        export_menu.addSeparator()
        export_menu.addAction(self.warc_action)
        export_menu.addAction(self.wacz_action)
        export_menu.addAction(self.csv_action)
        export_menu.addAction(self.jsonl_action)
        export_menu.addSeparator()
        export_menu.addAction(details.export_action)
        export_menu.addAction(details.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = window.menuBar().addMenu("&Edit")
        edit_menu.addAction(details.copy_action)
        self.edit_menu = edit_menu
        policy_menu = window.menuBar().addMenu("&Policy")
        self.policy_menu = policy_menu
        policy_menu.addAction(self.fetch_action)
        policy_menu.addAction(self.capture_action)
        policy_menu.addAction(self.save_page_now_action)
        policy_menu.addAction(self.cancel_action)
        policy_menu.addAction(self.certificates_action)
        policy_menu.addSeparator()
        policy_menu.addAction(details.open_action)
        view_menu = window.menuBar().addMenu("&View")
        view_menu.addAction(self.compare_prev_action)
        self.view_menu = view_menu
        help_menu = window.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)
        for a in (
            details.open_action,
            details.copy_action,
            details.save_action,
            details.export_action,
        ):
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(a)

    def set_comparable(self, comparable: bool) -> None:
        """A policy with versions is shown (a single version is compared with itself): reports can be made."""
        self.report_action.setEnabled(comparable)

    def add_compare_view(self, view: CompareView) -> None:
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
            view.source_action,
            view.topics_action,
        ):
            menu.addAction(a)
        menu.addSeparator()
        for a in (view.zoom_in_action, view.zoom_out_action, view.zoom_reset_action):
            menu.addAction(a)


def about(parent: QMainWindow) -> None:
    QMessageBox.about(
        parent,
        "About policydiff",
        "<b>policydiff</b><br>Archived privacy-policy versions and their word-level "
        "differences, from the Wayback Machine or any Memento/pywb archive.",
    )
