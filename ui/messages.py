"""The one message path: ArchiverError → the text a user can act on, shown in a message bar; and the
status-bar progress of long jobs, with their Cancel button.

Anything that is not an ArchiverError (or a disk-full/permission OSError) is a bug: it is logged
with its traceback and shown as a short "unexpected error" bar whose Details button shows the trace.
"""

from __future__ import annotations

import errno
import html
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from archiver.errors import (
    ArchiveIndexMissingError,
    ArchiveNotWritableError,
    ArchiverError,
    BlockedError,
    CancelledError,
    ConnectionBlockedError,
    DamagedDatabaseError,
    ErrorKind,
    ExtractionError,
    InvalidURLError,
    JournalAheadError,
    NetworkError,
    NoMementoError,
    RateLimitedError,
    StorageError,
    UnreachableError,
    UsageError,
    kind_of,
)
from archiver.models import Progress

if TYPE_CHECKING:
    from .workers import Task

log = logging.getLogger(__name__)

INFO, WARNING, ERROR = "info", "warning", "error"


@dataclass(frozen=True, slots=True)
class Message:
    level: str
    text: str
    details: str = ""  # a traceback, for the Details button


def _local_hhmm(when: datetime | None) -> str:
    if when is None:
        return ""
    return when.astimezone().strftime("%H:%M")


def describe(exc: BaseException) -> Message:
    """What to tell the user about ``exc``: the specific cause and what to do."""
    if isinstance(exc, CancelledError):
        return Message(INFO, "Cancelled. Everything finished before the cancel is kept.")
    if isinstance(exc, ConnectionBlockedError):
        until = _local_hhmm(exc.retry_at)
        return Message(
            ERROR,
            f"{exc.host} is refusing connections from this network (probably a rate-limit "
            f"block). Try again{' after ' + until if until else ' later'}; the fetch resumes "
            "where it stopped.",
        )
    if isinstance(exc, RateLimitedError):
        until = _local_hhmm(exc.retry_at)
        return Message(
            WARNING,
            f"{exc.host} is rate-limiting requests: rate-limited until {until or 'later'}. "
            "Fetch again then; what was already downloaded is kept.",
        )
    if isinstance(exc, BlockedError):
        return Message(ERROR, f"The archive will not serve {exc.url}: {exc.reason}. Try another web archive.")
    if isinstance(exc, NoMementoError):
        at = f" at {exc.timestamp}" if exc.timestamp else ""
        return Message(
            WARNING, f"The archive has no capture of {exc.url}{at}. Check the URL, or widen the date range."
        )
    if isinstance(exc, InvalidURLError):
        return Message(ERROR, f"Not a web page URL: {exc.url!r} ({exc.reason}). Enter an http(s) address.")
    if isinstance(exc, ArchiveIndexMissingError | DamagedDatabaseError):
        what = (
            f"The archive's database is damaged: {exc.diagnosis}."
            if isinstance(exc, DamagedDatabaseError)
            else f"The archive's database is {exc.state}, but the archive holds {exc.blobs} raw files."
        )
        return Message(
            ERROR,
            f"{what} Nothing was changed. To rebuild it from the raw files and the ledger, quit and run "
            f"“policydiff --archive {Path(exc.path).parent} recover” in a terminal, or restore "
            "archive.sqlite3 from a backup.",
        )
    if isinstance(exc, JournalAheadError):
        return Message(
            ERROR,
            f"The archive's database is behind its journals ({'; '.join(exc.found)}): an older copy "
            "of archive.sqlite3 was probably put back. Nothing was changed. To rebuild it from the "
            "journals and the raw files (the current file is kept aside), quit and run "
            f"“policydiff --archive {Path(exc.path).parent} recover” in a terminal.",
        )
    if isinstance(exc, UnreachableError):
        cause = " This computer looks offline, or the address is wrong." if exc.offline else ""
        return Message(
            ERROR,
            f"Cannot reach {exc.host}: {exc.reason}.{cause} Check the connection, then fetch again; "
            "it resumes where it stopped.",
        )
    if kind_of(exc) is ErrorKind.CONNECTION:
        return Message(
            ERROR, f"No network: {exc}. Check the connection and fetch again; it resumes where it stopped."
        )
    if kind_of(exc) is ErrorKind.DISK_FULL:
        return Message(
            ERROR,
            "The disk is full: nothing more can be saved. Free some space and try again; "
            "what was saved before is intact.",
        )
    if isinstance(exc, ArchiveNotWritableError):
        return Message(
            ERROR,
            f"Cannot write to the archive at {exc.path}: {exc.reason}. Choose another folder with "
            "File → Open Archive.",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Message(ERROR, f"Permission denied: {exc.filename or exc}. Choose a folder you can write to.")
    if isinstance(exc, StorageError | ExtractionError | UsageError | NetworkError | ArchiverError):
        # worded for the app: the menu that does what the command line's advice names
        return Message(
            ERROR, str(exc).replace("run 'policydiff verify'", "check it with File → Verify Archive")
        )
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Message(
        ERROR,
        f"Unexpected error ({type(exc).__name__}). This is a bug; please report it with the details.",
        details,
    )


def report_exception(exc: BaseException) -> Message:
    """Describe and log: ArchiverErrors at info level, anything else with its traceback."""
    message = describe(exc)
    if message.details:
        log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    else:
        log.info("%s", message.text)
    return message


_COLOURS = {INFO: ("#dbeafe", "#1e3a5f"), WARNING: ("#fef3c7", "#4a3b0b"), ERROR: ("#fde2e1", "#5a1d1d")}


class MessageBar(QFrame):
    """A dismissable bar above the content (Meld's per-pane message bars), never a modal traceback.

    Signals:
        closed(): the user dismissed the bar.
        linkActivated(str): the user clicked one of the links of ``show_links``.
    """

    closed = Signal()
    linkActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.linkActivated.connect(self.linkActivated)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_details)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(close)
        self.message: Message | None = None
        self.hide()

    def show_message(self, message: Message) -> None:
        self.message = message
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setText(message.text)
        self.details_button.setVisible(bool(message.details))
        self._restyle()
        self.show()

    def _restyle(self) -> None:
        """Background by level, light or dark after the window palette (follows a system switch)."""
        level = self.message.level if self.message else INFO
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        light_bg, dark_bg = _COLOURS.get(level, _COLOURS[INFO])
        bg = QColor(dark_bg if dark else light_bg)
        sheet = f"#messageBar {{ background: {bg.name()}; border-radius: 4px; }}"
        if sheet != self.styleSheet():  # setting a style sheet sends a palette change: no loop
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and self.message is not None:
            self._restyle()
        super().changeEvent(event)

    def show_error(self, exc: BaseException) -> Message:
        message = report_exception(exc)
        self.show_message(message)
        return message

    def show_info(self, text: str, level: str = INFO) -> None:
        self.show_message(Message(level, text))

    def show_links(self, text: str, links: tuple[str, ...], level: str = INFO) -> None:
        """``text``, then each of ``links`` as a link; a click emits ``linkActivated(link)``."""
        self.show_message(Message(level, " ".join([text, *links])))
        if not links:
            return
        anchors = ", ".join(f'<a href="{html.escape(u, quote=True)}">{html.escape(u)}</a>' for u in links)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setText(f"{html.escape(text)} {anchors}")

    def text(self) -> str:
        return self.label.text() if self.isVisible() or self.message else ""

    def dismiss(self) -> None:
        self.message = None
        self.hide()
        self.closed.emit()

    def _show_details(self) -> None:
        if self.message is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Unexpected error",
            self.message.text,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setDetailedText(self.message.details)
        box.open()


class ProgressPanel(QWidget):
    """Status-bar progress of the long jobs (fetch, import, export) with one Cancel button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setMaximumWidth(420)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Cancel (Ctrl+Shift+X); what is finished is kept")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.tasks: list[Task] = []
        self.hide()

    def add(self, task: Task, message: str) -> None:
        self.tasks.append(task)
        task.signals.progress.connect(self._progress)
        task.signals.done.connect(self._done)  # a bound slot: disconnected if the panel goes first
        self.label.setText(message)
        self.bar.setRange(0, 0)
        self.show()

    def _progress(self, p: object) -> None:
        if isinstance(p, Progress):
            self.bar.setRange(0, max(p.total, 0))
            if p.total:
                self.bar.setValue(p.done)
            text = p.message if len(p.message) < 90 else p.message[:87] + "…"
            self.label.setText(text)

    def _done(self) -> None:
        self.tasks = [t for t in self.tasks if t.signals is not self.sender()]
        if not self.tasks:
            self.hide()

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.label.setText("Cancelling…")
