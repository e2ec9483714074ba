"""Start the desktop app: QApplication, logging, the crash hook, the archive and the main window."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from .archives import open_archive
from .runtime import settle_gc, tune_malloc
from .settings import APPLICATION, ORGANISATION, Settings

log = logging.getLogger(__name__)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Last resort: log the traceback and show a crash dialog instead of dying silently."""
    log.critical("uncaught exception", exc_info=(kind, exc, tb))
    app = QApplication.instance()
    if app is None:
        sys.__excepthook__(kind, exc, tb)
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "policydiff: unexpected error",
        f"Something went wrong ({kind.__name__}: {exc}).\nThe app keeps running; "
        "please report this with the details.",
        QMessageBox.StandardButton.Ok,
    )
    box.setDetailedText("".join(traceback.format_exception(kind, exc, tb)))
    box.exec()


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("policydiff")
    app.setDesktopFileName("policydiff")
    return app


def choose_root(named_root: Path | None, settings: Settings) -> Path:
    """The archive to open: the one named on the command line or in $POLICYDIFF_ARCHIVE, else the last
    one opened in the app (File → Open Archive), else the default user-data archive."""
    from archiver.cli import default_archive_root

    if named_root is not None:
        return named_root
    last = settings.last_archive
    if last and Path(last).is_dir():
        return Path(last)
    return default_archive_root()


def run(named_root: Path | None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tune_malloc()  # before any worker thread: see tune_malloc
    app = make_application()
    sys.excepthook = _excepthook
    settings = Settings()
    archive_root = choose_root(named_root, settings)
    from .mainwindow import MainWindow

    try:
        archive, note = open_archive(Path(archive_root))
    except Exception as exc:  # noqa: BLE001 - the user sees why, then we stop
        from .messages import describe

        QMessageBox.critical(None, "policydiff", describe(exc).text)
        return 1
    settings.last_archive = str(Path(archive_root).resolve())
    window = MainWindow(archive, settings)
    if note:
        window.message_bar.show_info(note)
    window.show()
    QTimer.singleShot(0, settle_gc)  # once the window is up: see settle_gc
    return app.exec()
