"""Start the desktop app: QApplication, logging, the crash hook, the archive and the main window."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from archiver.errors import ArchiveNotWritableError
from archiver.storage import DB_NAME, Archive

from .settings import APPLICATION, ORGANISATION, Settings

log = logging.getLogger(__name__)


def copy_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".policydiff") / "read-only-copies"


def open_archive(root: Path) -> tuple[Archive, str]:
    """Open ``root``; a read-only archive (an installed demo, a DVD) is copied to the user's data folder.

    Returns the archive and a note to show the user ("" when opened in place).
    """
    try:
        return Archive.open(root), ""
    except ArchiveNotWritableError:
        # only a folder the user cannot write to is read-only media; a writable one that failed to
        # open has a real problem, which the user must see rather than a silent copy
        if not (root / DB_NAME).is_file() or os.access(root, os.W_OK):
            raise
    target = copy_dir() / (root.resolve().name or "archive")
    if not (target / DB_NAME).is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        # the write-ahead log holds committed captures not yet in the database file: copied too
        shutil.copytree(root, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("tmp"))
        for path in target.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        target.chmod(target.stat().st_mode | 0o200)
    return Archive.open(target), f"{root} is read-only, so a copy was opened: {target}"


def settle_gc() -> None:
    """Keep Python's cyclic garbage collector from stalling the event loop.

    A full (oldest-generation) collection walks every tracked object and holds the GIL while it does,
    whichever thread triggers it: with diff results and parsed pages around, that is 40-150 ms with the
    GUI frozen. Objects alive once the window is up (modules, classes, Qt wrappers) are moved out of the
    collector's reach (``gc.freeze``), and young collections run less often, so the oldest generation
    stays small and is rarely walked.
    """
    import gc

    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default is 700)


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
    return app.exec()
