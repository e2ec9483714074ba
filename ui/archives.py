"""Opening an archive for the app: in place, or a copy when it is on read-only media."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from archiver.errors import ArchiveNotWritableError
from archiver.schema import DB_NAME
from archiver.storage import Archive


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
