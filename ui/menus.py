"""The main window's actions and menu bar (File, Edit, Policy, View, Help), with their shortcuts.

A mixin of :class:`ui.mainwindow.MainWindow`, kept apart so the window module holds the layout, the
versions and the comparison. The slots are the window's own (and those of ``ui.archive_work``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


class WindowMenus:
    """Builds every QAction of the window and puts it in its menu (a mixin)."""

    # provided by MainWindow (and ArchiveWork)
    details: Any
    progress: Any
    add_policy: Any
    import_files: Any
    choose_archive: Any
    fetch_selected: Any
    capture_live_selected: Any
    save_page_now_selected: Any
    verify_archive: Any
    close: Any
    _compare_current: Any
    choose_certificates: Any
    _about: Any
    export_report: Any
    export_policy: Any
    _fill_recent: Any
    menuBar: Any
    addAction: Any

    def _make_actions(self) -> None:
        def action(text: str, slot: Any, shortcut: Any = None, tip: str = "") -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(slot)
            return a

        self.add_action = action(
            "&Add Policy…",
            self.add_policy,
            QKeySequence.StandardKey.New,
            "Track a policy URL and fetch its archived history",
        )
        self.import_action = action(
            "&Import Files…",
            self.import_files,
            "Ctrl+I",
            "Import HTML, PDF or Princeton-Leuven Markdown files",
        )
        self.open_action = action("&Open Archive…", self.choose_archive, QKeySequence.StandardKey.Open)
        self.fetch_action = action(
            "&Fetch History",
            self.fetch_selected,
            "F5",
            "Fetch the selected policy's captures again (new ones only)",
        )
        self.capture_action = action(
            "&Capture Live Page Now",
            self.capture_live_selected,
            "Ctrl+L",
            "Store today's page from the site itself as a capture (source: live)",
        )
        self.save_page_now_action = action(
            "Save Page Now in the &Wayback Machine",
            self.save_page_now_selected,
            None,
            "Ask the Wayback Machine to capture the selected policy's page now (needs your Internet "
            "Archive keys)",
        )
        self.verify_action = action(
            "&Verify Archive",
            self.verify_archive,
            tip="Re-hash every stored capture against its sha256 and check the database",
        )
        self.quit_action = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.compare_prev_action = action("Compare with &Previous Version", self._compare_current, "Ctrl+D")
        self.cancel_action = action("Cancel Running Jobs", self.progress.cancel, "Ctrl+Shift+X")
        self.certificates_action = action(
            "Trusted &Certificates…",
            self.choose_certificates,
            None,
            "A PEM file of certificates to trust for HTTPS (a corporate proxy's CA), or the system's",
        )
        self.about_action = action("&About policydiff", self._about)
        self.report_action = action(
            "Evidence &Report for This Comparison…",
            self.export_report,
            "Ctrl+E",
            "HTML or PDF report of the two compared versions, with provenance",
        )
        self.report_action.setEnabled(False)  # until a policy's versions are shown: see _versions_loaded
        self.warc_action = action("Policy Captures as &WARC…", lambda: self.export_policy("warc"))
        self.wacz_action = action(
            "Policy Captures as W&ACZ…",
            lambda: self.export_policy("wacz"),
            tip="the WARC with its index, for ReplayWeb.page and pywb",
        )
        self.csv_action = action("Policy Versions as &CSV…", lambda: self.export_policy("csv"))
        self.jsonl_action = action("Policy Versions as &JSONL…", lambda: self.export_policy("jsonl"))

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.add_action)
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
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
        export_menu.addAction(self.details.export_action)
        export_menu.addAction(self.details.save_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.details.copy_action)
        self.edit_menu = edit_menu
        policy_menu = self.menuBar().addMenu("&Policy")
        policy_menu.addAction(self.fetch_action)
        policy_menu.addAction(self.capture_action)
        policy_menu.addAction(self.save_page_now_action)
        policy_menu.addAction(self.cancel_action)
        policy_menu.addAction(self.certificates_action)
        policy_menu.addSeparator()
        policy_menu.addAction(self.details.open_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.compare_prev_action)
        self.view_menu = view_menu
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)
        for a in (
            self.details.open_action,
            self.details.copy_action,
            self.details.save_action,
            self.details.export_action,
        ):
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(a)
