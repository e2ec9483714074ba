"""Issue 18, part 2 in the app: importing copies of a page asks each one's capture date, prefilled."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from archiver.capture_dates import DateSource
from archiver.storage import Archive
from ui.import_dates import ImportDatesDialog, prefill
from ui.mainwindow import MainWindow
from ui.settings import Settings

PAGE = (Path(__file__).resolve().parents[1] / "data/corpus/tinder-privacy/20220407003230.html").read_bytes()
URL = "https://policies.tinder.com/privacy/intl/en/"


def _files(tmp_path: Path) -> list[str]:
    named = tmp_path / "20220407003230.html"
    named.write_bytes(PAGE)
    plain = tmp_path / "saved.html"
    plain.write_bytes(PAGE.replace(b"Tinder", b"Tinder Inc"))
    os.utime(plain, (datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp(),) * 2)
    return [str(named), str(plain)]


def test_dates_are_prefilled_checked_and_their_source_kept(qtbot: Any, tmp_path: Path) -> None:
    files = _files(tmp_path)
    dialog = ImportDatesDialog([prefill(p) for p in files])
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert [e.text() for e in dialog.edits] == ["2022-04-07 00:32:30", "2021-03-04 05:06:07"]
    assert "file name" in dialog.sources[0].text() and "when the file was saved" in dialog.sources[1].text()
    assert ok.isEnabled()
    dialog.grab().save(str(tmp_path / "import-dates.png"))
    dialog.edits[1].setText("2023-13")
    assert not ok.isEnabled() and "month 13" in dialog.error_label.text()
    dialog.edits[1].setText("2099-01-01")
    assert not ok.isEnabled() and "future" in dialog.error_label.text()
    dialog.edits[1].setText("2021-03-05")
    assert ok.isEnabled() and dialog.sources[1].text() == "given by you"
    dates = dialog.dates()
    assert dates[files[0]].source is DateSource.FILE_NAME
    assert (dates[files[1]].timestamp, dates[files[1]].source) == ("20210305000000", DateSource.GIVEN)


def test_the_import_job_stores_the_dates_asked(qtbot: Any, tmp_path: Path) -> None:
    files = _files(tmp_path)
    arc = Archive.open(tmp_path / "a")
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    win.show()
    dialog = ImportDatesDialog([prefill(p) for p in files])  # accepted as prefilled
    qtbot.addWidget(dialog)
    task = win.start_import(files, URL, dialog.dates())
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert "Imported 2 captures from 2 files." in win.message_bar.label.text()
    captures = arc.captures(arc.get_policy(URL).id)
    dates = arc.dates_of(captures)
    assert [(c.timestamp, dates[c.id].source) for c in captures] == [
        ("20210304050607", DateSource.FILE_MTIME),
        ("20220407003230", DateSource.FILE_NAME),
    ]
