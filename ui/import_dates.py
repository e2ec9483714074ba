"""Ask the capture date of each imported page, prefilled with what the file says about itself.

A copy of a page (HTML, PDF, text) carries no capture date the way an archive's capture does. The
dialog lists each file with a date field prefilled from the HTTP Date saved with it or a timestamp
in its name, else from the file's modification time (said as such: it is when the copy was saved,
which may not be when the page was). A date the user types is recorded as given by the user.
Every field is checked as the command line checks ``--date`` (a real date, not in the future).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from archiver.capture_dates import CaptureDate, DateSource
from archiver.cli.args import check_capture_date
from archiver.errors import ArchiverError
from archiver.pipeline import own_date
from archiver.timestamps import display, from_datetime

#: how much of a file is read to find a saved HTTP response head
_HEAD_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Prefill:
    path: str
    date: CaptureDate  # the file's own date, else its modification time


def prefill(path: str) -> Prefill:
    """What the file says about its capture time (its first bytes and its name), else its mtime."""
    file = Path(path)
    try:
        with open(file, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
        mtime = file.stat().st_mtime
    except OSError:
        head, mtime = b"", datetime.now(UTC).timestamp()
    own = own_date(file, head)
    if own is not None:
        return Prefill(path, own)
    stamp = from_datetime(datetime.fromtimestamp(mtime, UTC))
    return Prefill(path, CaptureDate(stamp, DateSource.FILE_MTIME, "prefilled in the app"))


class ImportDatesDialog(QDialog):
    """One date field per file; OK only when every field is a real, past date and time."""

    def __init__(self, files: Sequence[Prefill], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Capture Dates")
        self._files = list(files)
        intro = QLabel(
            "When was each page captured (UTC)? A copy of a page does not say it as an archive does: "
            "check each date. Prefilled from the file where it states one, else from when the file "
            "was saved."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>File</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Captured (UTC)</b>"), 0, 1)
        grid.addWidget(QLabel("<b>From</b>"), 0, 2)
        self.edits: list[QLineEdit] = []
        self.sources: list[QLabel] = []
        for row, item in enumerate(self._files, 1):
            edit = QLineEdit(display(item.date.timestamp))
            edit.setPlaceholderText("YYYY-MM-DD hh:mm:ss")
            source = QLabel(self._source_text(item.date))
            source.setWordWrap(True)
            grid.addWidget(QLabel(Path(item.path).name), row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(source, row, 2)
            edit.textChanged.connect(self._revalidate)
            self.edits.append(edit)
            self.sources.append(source)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: palette(link);")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        self._dates: dict[str, CaptureDate] = {}
        self._revalidate()

    @staticmethod
    def _source_text(date: CaptureDate) -> str:
        if date.source is DateSource.FILE_MTIME:
            return "when the file was saved: check it"
        return date.describe()

    def _revalidate(self) -> None:
        dates: dict[str, CaptureDate] = {}
        problem = ""
        for item, edit, label in zip(self._files, self.edits, self.sources, strict=True):
            typed = edit.text()
            try:
                stamp = check_capture_date(typed)
            except ArchiverError as exc:
                problem = problem or f"{Path(item.path).name}: {exc}"
                continue
            if stamp == item.date.timestamp:
                dates[item.path] = item.date
                label.setText(self._source_text(item.date))
            else:
                dates[item.path] = CaptureDate(stamp, DateSource.GIVEN, "typed in the app")
                label.setText("given by you")
        self._dates = dates if not problem else {}
        self.error_label.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def dates(self) -> dict[str, CaptureDate]:
        """Each file's capture date and where it came from (empty while a field is invalid)."""
        return dict(self._dates)


def ask_import_dates(paths: Sequence[str], parent: QWidget | None = None) -> dict[str, CaptureDate] | None:
    """Ask the dates of ``paths`` (None: the user cancelled)."""
    dialog = ImportDatesDialog([prefill(p) for p in paths], parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.dates()
