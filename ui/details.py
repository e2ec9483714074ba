"""Capture details: the raw captures of the selected version, with provenance and actions."""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal, SignalInstance
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from archiver.models import Capture, Version
from archiver.timestamps import display
from archiver.urls import display_url

from .models import CaptureTableModel


def capture_html(c: Capture) -> str:
    """Provenance of one capture as a small HTML table (selectable text)."""
    rows = [
        ("Captured", f"{display(c.timestamp)} UTC"),
        ("Source", c.source.value),
        ("Archive", c.archive or "—"),
        (
            "Memento URL",
            f'<a href="{html.escape(c.memento_url)}">{html.escape(c.memento_url)}</a>'
            if c.memento_url
            else "—",
        ),
        ("Original URL", html.escape(display_url(c.original_url))),
        ("Retrieved", c.retrieved_at or "—"),
        ("Archived status", "—" if c.http_status is None else str(c.http_status)),
        ("Content type", html.escape(c.content_type) or "—"),
        ("Size", f"{c.size:,} bytes"),
        ("SHA-256", c.sha256 or "— (text only)"),
        ("Flags", ", ".join(c.flags) or "none"),
    ]
    if c.redirects:
        rows.append(("Redirects", "<br>".join(html.escape(r) for r in c.redirects)))
    if c.provenance:
        rows.append(("Provenance", html.escape(c.provenance)))
    body = "".join(
        f"<tr><th align=left valign=top>{k}</th><td>{v if k in ('Memento URL', 'Redirects') else v}</td></tr>"
        for k, v in rows
    )
    headers = "".join(
        f"<tr><td valign=top><code>{html.escape(k)}</code></td><td><code>{html.escape(v)}</code></td></tr>"
        for k, v in c.headers
    )
    extra = f"<h4>Archived response headers</h4><table cellspacing=2>{headers}</table>" if headers else ""
    return f"<table cellspacing=3>{body}</table>{extra}"


class CaptureDetails(QWidget):
    """Captures of one version, their provenance, and what to do with one.

    Signals:
        exportRequested(object): the user asked to export this capture (a Capture).
        saveRawRequested(object): the user asked to save the capture's raw bytes (a Capture).
    """

    exportRequested = Signal(object)
    saveRawRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CaptureTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName("Captures of the selected version")
        self.info = QTextBrowser()
        self.info.setOpenExternalLinks(True)
        self.info.setAccessibleName("Provenance of the selected capture")
        self.open_action = QAction("&Open Capture in Browser", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+B"))
        self.copy_action = QAction("&Copy Memento Link", self)
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.save_action = QAction("Save &Raw Capture…", self)
        self.export_action = QAction("&Export Capture…", self)
        self.open_action.triggered.connect(self.open_in_browser)
        self.copy_action.triggered.connect(self.copy_link)
        self.save_action.triggered.connect(lambda: self._emit(self.saveRawRequested))
        self.export_action.triggered.connect(lambda: self._emit(self.exportRequested))
        bar = QToolBar()
        for action in (self.open_action, self.copy_action, self.save_action, self.export_action):
            bar.addAction(action)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.info)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addWidget(self.splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update())
        self._update()

    def set_version(self, version: Version | None) -> None:
        self.model.set_captures(version.captures if version else ())
        if version:
            self.table.selectRow(0)
        self._update()

    def current(self) -> Capture | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.capture(index.row())

    def _update(self) -> None:
        c = self.current()
        self.info.setHtml(capture_html(c) if c else "<i>Select a version to see its captures.</i>")
        has_link = bool(c and c.memento_url)
        self.open_action.setEnabled(has_link)
        self.copy_action.setEnabled(has_link)
        self.save_action.setEnabled(bool(c and c.sha256))
        self.export_action.setEnabled(c is not None)

    def open_in_browser(self) -> None:
        c = self.current()
        if c and c.memento_url:
            QDesktopServices.openUrl(QUrl(c.memento_url.replace("id_/", "/", 1)))

    def copy_link(self) -> None:
        c = self.current()
        if c and c.memento_url:
            QGuiApplication.clipboard().setText(c.memento_url)

    def _emit(self, signal: SignalInstance) -> None:
        c = self.current()
        if c is not None:
            signal.emit(c)
