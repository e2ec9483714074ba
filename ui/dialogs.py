"""The Add-policy dialog (a URL validated before any request, which archive, an optional date range)
and the dialog that asks for the Internet Archive keys Save Page Now needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from archiver.errors import ArchiverError, InvalidDateError
from archiver.timestamps import display, from_datetime, parse_date_arg
from archiver.urls import display_url, normalize_url

from .settings import DEFAULT_ARCHIVE_PREFIX

if TYPE_CHECKING:
    from archiver.client.iakeys import IAKeys


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    url: str  # normalised
    label: str
    prefix: str  # replay prefix of the archive to fetch from, ending in '/'
    from_date: str | None  # 14-digit, or None
    to_date: str | None
    kind: str = "auto"  # how to list captures: auto | ia | pywb | timemap (archiver.client.ArchiveKind)
    typed: str = ""  # the URL exactly as the user typed it, kept in the fetch job's record
    exact: bool = False  # only captures of this exact URL, not of its http/https, www., … variants


KINDS = (
    ("Automatic", "auto"),
    ("Internet Archive CDX", "ia"),
    ("pywb collection", "pywb"),
    ("Memento TimeMap", "timemap"),
)


def validate(
    url: str,
    prefix: str,
    from_text: str,
    to_text: str,
    label: str = "",
    kind: str = "auto",
    exact: bool = False,
) -> PolicyRequest:
    """Check everything the user typed; raises ArchiverError with the reason (shown under the field)."""
    normal = normalize_url(url.strip())
    prefix = prefix.strip()
    if not prefix:
        prefix = DEFAULT_ARCHIVE_PREFIX
    normalize_url(prefix)  # an archive prefix must be a web address too
    if not prefix.endswith("/"):
        prefix += "/"
    start = parse_date_arg(from_text) if from_text.strip() else None
    end = parse_date_arg(to_text, pad="up") if to_text.strip() else None
    if start and end and start > end:
        raise InvalidDateError(from_text, "the start of the range is after its end")
    if start and start > from_datetime(datetime.now(UTC)):
        raise InvalidDateError(from_text, "the start of the range is in the future (times are UTC)")
    return PolicyRequest(normal, label.strip(), prefix, start, end, kind, typed=url, exact=exact)


class AddPolicyDialog(QDialog):
    """Ask for a policy URL, the archive to search and a date range; OK only when all are valid."""

    def __init__(self, prefixes: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Policy")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://example.com/privacy")
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("optional, e.g. Example privacy policy")
        self.archive_combo = QComboBox()
        self.archive_combo.setEditable(True)
        self.archive_combo.addItems(prefixes or [DEFAULT_ARCHIVE_PREFIX])
        self.archive_combo.setToolTip(
            "The Wayback Machine, or a pywb/Memento collection: http://HOST:PORT/COLL/"
        )
        self.kind_combo = QComboBox()
        for text, kind in KINDS:
            self.kind_combo.addItem(text, kind)
        self.kind_combo.setToolTip("How to list the archive's captures; Automatic asks the archive")
        archive_row = QHBoxLayout()
        archive_row.addWidget(self.archive_combo, 1)
        archive_row.addWidget(self.kind_combo)
        self.from_edit = QLineEdit()
        self.from_edit.setPlaceholderText("YYYY[-MM[-DD]]")
        self.to_edit = QLineEdit()
        self.to_edit.setPlaceholderText("YYYY[-MM[-DD]]")
        dates = QHBoxLayout()
        dates.addWidget(self.from_edit)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.to_edit)
        self.exact_check = QCheckBox("Only this exact URL")
        self.exact_check.setToolTip(
            "Leave out captures of its variants (http/https, www., a trailing slash, utm_ parameters), "
            "which are otherwise one policy"
        )
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: palette(link);")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add and Fetch")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("&URL:", self.url_edit)
        form.addRow("&Label:", self.label_edit)
        archive_label = QLabel("&Archive:")
        archive_label.setBuddy(self.archive_combo)
        dates_label = QLabel("&Dates:")
        dates_label.setBuddy(self.from_edit)
        form.addRow(archive_label, archive_row)
        form.addRow(dates_label, dates)
        form.addRow("", self.exact_check)
        form.addRow(self.error_label)
        form.addRow(self.buttons)
        for edit in (self.url_edit, self.from_edit, self.to_edit, self.label_edit):
            edit.textChanged.connect(self._revalidate)
        self.archive_combo.editTextChanged.connect(self._revalidate)
        self.kind_combo.currentIndexChanged.connect(self._revalidate)
        self.exact_check.toggled.connect(self._revalidate)
        self.setMinimumWidth(520)
        self.request: PolicyRequest | None = None
        self._revalidate()

    def _revalidate(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if not self.url_edit.text().strip():
            self.request = None
            self.error_label.setText("")
            ok.setEnabled(False)
            return
        try:
            self.request = validate(
                self.url_edit.text(),
                self.archive_combo.currentText(),
                self.from_edit.text(),
                self.to_edit.text(),
                self.label_edit.text(),
                str(self.kind_combo.currentData()),
                self.exact_check.isChecked(),
            )
        except ArchiverError as exc:
            self.request = None
            self.error_label.setText(str(exc))
            ok.setEnabled(False)
        else:
            r = self.request
            when = ""
            if r.from_date or r.to_date:
                start = display(r.from_date) if r.from_date else "the first capture"
                when = f", captures from {start} to {display(r.to_date) if r.to_date else 'now'} UTC"
            only = " (this exact URL only)" if r.exact else ""
            self.error_label.setText(f"Will search {r.prefix} for {display_url(r.url)}{only}{when}")
            ok.setEnabled(True)

    def accept(self) -> None:
        if self.request is not None:
            super().accept()


class KeysDialog(QDialog):
    """Ask for the Internet Archive S3 keys Save Page Now needs (the secret unechoed), and whether to
    keep them in the system keychain. ``problem`` says why it is asked again (keys refused)."""

    def __init__(self, problem: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Internet Archive Keys")
        intro = QLabel(
            "Save Page Now needs your Internet Archive S3 keys, from "
            '<a href="https://archive.org/account/s3.php">archive.org/account/s3.php</a>. '
            "They are sent only to the Internet Archive."
        )
        intro.setWordWrap(True)
        intro.setOpenExternalLinks(True)
        self.problem_label = QLabel(problem)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: palette(link);")
        self.problem_label.setVisible(bool(problem))
        self.access_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember_check = QCheckBox("Remember them in the system keychain")
        self.remember_check.setChecked(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save Page Now")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(self.problem_label)
        form.addRow("&Access key:", self.access_edit)
        form.addRow("&Secret key:", self.secret_edit)
        form.addRow("", self.remember_check)
        form.addRow(self.buttons)
        for edit in (self.access_edit, self.secret_edit):
            edit.textChanged.connect(self._revalidate)
        self.setMinimumWidth(460)
        self._revalidate()

    def _revalidate(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.access_edit.text().strip() and self.secret_edit.text().strip()))

    def keys(self) -> IAKeys:
        from archiver.client.iakeys import IAKeys  # (the client package is not loaded at start-up)

        return IAKeys(self.access_edit.text().strip(), self.secret_edit.text().strip())
