"""Main window without the network: the demo archive, settings, dialog validation, timeline, read-only archives."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt

from archiver.errors import ArchiveNotWritableError
from archiver.models import Capture, Source
from archiver.pipeline import store_capture
from archiver.storage import DB_NAME, Archive
from ui.archives import open_archive
from ui.dialogs import AddPolicyDialog
from ui.mainwindow import MainWindow
from ui.models import VersionTableModel
from ui.settings import Settings
from ui.timeline import Point, TimelineWidget


def open_window(qtbot: Any, arc: Archive, settings: Path) -> MainWindow:
    win = MainWindow(arc, Settings(settings))
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_demo_shows_real_versions_and_a_diff_at_once(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    with qtbot.waitSignal(win.diffShown, timeout=30_000) as blocker:
        pass
    assert win.policy_model.rowCount() == 2
    assert win.version_model.rowCount() > 2
    assert blocker.args[0].stats.changed_rows > 0
    last = win.version_model.rowCount() - 1
    assert win.version_view.currentIndex().row() == last
    assert (win.left_combo.currentIndex(), win.right_combo.currentIndex()) == (last - 1, last)
    assert win.details.model.rowCount() >= 1 and "Open Terms Archive" in win.details.info.toPlainText()
    assert win.stats_label.text()


def test_geometry_and_splitters_are_remembered(qtbot: Any, tmp_path: Path) -> None:
    arc = Archive.open(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    win.resize(700, 500)
    win.main_splitter.setSizes([200, 500])
    win.close()
    again = open_window(qtbot, arc, tmp_path / "s.ini")
    assert (again.size().width(), again.size().height()) == (700, 500)
    assert again.main_splitter.sizes()[0] == win.main_splitter.sizes()[0]
    settings = Settings(tmp_path / "s.ini")
    settings.last_archive = "/x"
    settings.last_archive = "/y"
    assert Settings(tmp_path / "s.ini").recent_archives[:2] == ["/y", "/x"]


def test_add_policy_dialog_validates_before_any_request(qtbot: Any) -> None:
    dialog = AddPolicyDialog(["https://web.archive.org/web/"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    dialog.url_edit.setText("ftp://example.com/privacy")
    assert not ok.isEnabled() and dialog.error_label.text()
    dialog.url_edit.setText("example.com/privacy")
    assert ok.isEnabled() and dialog.request is not None
    assert dialog.request.url.startswith("https://example.com/privacy")
    dialog.from_edit.setText("2021")
    dialog.to_edit.setText("2020")
    assert not ok.isEnabled() and "after its end" in dialog.error_label.text()
    dialog.to_edit.setText("2022-06")
    assert ok.isEnabled()
    assert (dialog.request.from_date, dialog.request.to_date) == ("20210101000000", "20220630235959")
    assert "captures from 2021-01-01 00:00:00 to 2022-06-30 23:59:59 UTC" in dialog.error_label.text()
    for bad, reason in (("2021010", "digits"), ("20x1", "digits"), ("2021-13", "month 13 does not exist")):
        dialog.from_edit.setText(bad)
        assert not ok.isEnabled() and reason in dialog.error_label.text(), (bad, dialog.error_label.text())
    dialog.from_edit.setText("2021")
    for bad, reason in (("2023-13", "month 13"), ("202300", "month 00"), ("2023-02-30", "day 30")):
        dialog.to_edit.setText(bad)  # the end of a period: once a traceback for month 00/13
        assert not ok.isEnabled() and reason in dialog.error_label.text(), (bad, dialog.error_label.text())
    dialog.from_edit.setText("2099")
    dialog.to_edit.setText("")
    assert not ok.isEnabled() and "in the future" in dialog.error_label.text()
    dialog.from_edit.setText("")
    dialog.url_edit.setText("  Example.com/privacy#cookies ")
    assert ok.isEnabled() and dialog.request.typed == "  Example.com/privacy#cookies "
    assert dialog.request.url == "https://example.com/privacy"
    dialog.url_edit.setText("https://bücher.de/datenschutz")
    assert dialog.request.url == "https://xn--bcher-kva.de/datenschutz"  # what is requested
    assert "for https://bücher.de/datenschutz" in dialog.error_label.text()  # what the user reads
    assert not dialog.request.exact
    dialog.exact_check.setChecked(True)
    assert dialog.request.exact and "(this exact URL only)" in dialog.error_label.text()


def test_timeline_click_emits_the_version_index(qtbot: Any) -> None:
    timeline = TimelineWidget()
    qtbot.addWidget(timeline)
    timeline.resize(400, 120)
    timeline.show()
    timeline.set_points(
        [Point(0, "20200101000000", None), Point(1, "20210101000000", 10), Point(2, "20220101000000", 400)]
    )
    with qtbot.waitSignal(timeline.pointClicked) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=timeline.point_position(1).toPoint())
    assert blocker.args == [1]
    image = timeline.grab().toImage()
    assert not image.isNull()


def test_timeline_positions_and_hits_parse_each_timestamp_once(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timedelta

    import ui.timeline

    timeline = TimelineWidget()
    qtbot.addWidget(timeline)
    timeline.resize(700, 120)
    timeline.show()
    n = 60
    start = datetime(2015, 1, 1)
    points = [
        Point(i, (start + timedelta(days=7 * i)).strftime("%Y%m%d%H%M%S"), (i * 37) % 500) for i in range(n)
    ]
    parsed: list[str] = []
    real = ui.timeline.to_datetime
    monkeypatch.setattr(ui.timeline, "to_datetime", lambda ts: (parsed.append(ts), real(ts))[1])
    timeline.set_points(points)
    assert len(parsed) == n
    rect = timeline._plot_rect()
    xs = [timeline.point_position(i).x() for i in range(n)]
    assert xs[0] == pytest.approx(rect.left()) and xs[-1] == pytest.approx(rect.right())
    step = rect.width() / (n - 1)  # a week apart: evenly spaced
    assert all(b - a == pytest.approx(step) for a, b in zip(xs, xs[1:], strict=False))
    biggest = max(range(n), key=lambda i: points[i].change or 0)
    assert timeline.point_position(biggest).y() == pytest.approx(rect.top())
    assert timeline.point_position(0).y() == pytest.approx(rect.bottom())  # no change
    assert [timeline.index_at(timeline.point_position(i)) for i in range(n)] == list(range(n))
    assert timeline.index_at(QPointF(rect.left() + step / 2, rect.top() - 9)) == -1
    timeline.set_change(5, 2000)  # a new largest change: the others are drawn lower
    assert timeline.point_position(5).y() == pytest.approx(rect.top())
    assert timeline.point_position(biggest).y() > rect.top() + 10
    assert timeline.index_at(timeline.point_position(5)) == 5
    timeline.set_change(5, 1)  # and back
    assert timeline.point_position(biggest).y() == pytest.approx(rect.top())
    parsed.clear()
    timeline.grab()
    for i in range(n):
        timeline.index_at(timeline.point_position(i))
    assert len(parsed) <= 2  # painting and hit tests do not parse every timestamp for every point
    assert not timeline.grab().toImage().isNull()


def test_a_read_only_archive_is_opened_as_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ro"
    writer = small_archive(root)  # left open: its last captures are still only in the write-ahead log
    captures = writer.stats()["captures"]
    assert (root / (DB_NAME + "-wal")).is_file()
    real_open = Archive.open.__func__  # type: ignore[attr-defined]
    read_only = {root.resolve()}

    def open_or_refuse(cls: type[Archive], path: Any) -> Archive:
        if Path(path).resolve() in read_only:  # what a read-only folder (or a root-owned install) does
            raise ArchiveNotWritableError(str(path), "Read-only file system")
        return real_open(cls, path)

    monkeypatch.setattr(Archive, "open", classmethod(open_or_refuse))
    monkeypatch.setattr("ui.archives.copy_dir", lambda: tmp_path / "copies")
    monkeypatch.setattr("ui.archives.os.access", lambda path, mode: Path(path).resolve() not in read_only)
    arc, note = open_archive(root)
    assert arc.root == (tmp_path / "copies" / "ro").resolve() and "read-only" in note
    assert arc.stats()["captures"] == captures  # the log's captures came along
    arc.close()
    again, _ = open_archive(root)  # the copy is reused, not made again
    assert again.root == arc.root
    again.close()
    # a folder the user can write to that fails to open is an error to see, never a silent copy
    writable = tmp_path / "busy"
    Archive.open(writable).close()
    read_only.add(writable.resolve())
    monkeypatch.setattr("ui.archives.os.access", lambda path, mode: True)
    with pytest.raises(ArchiveNotWritableError):
        open_archive(writable)
    writer.close()


def small_archive(root: Path) -> Archive:
    from archiver.models import Capture, Extraction, Source
    from archiver.storage import text_sha256

    arc = Archive.open(root)
    url = "https://example.com/privacy"
    policy = arc.ensure_policy(url, "Example")
    for i, text in enumerate(
        [
            "# Privacy\n\nWe collect your email.\n",
            "# Privacy\n\nWe collect your email and your phone number.\n",
        ]
    ):
        ts = f"2021010{i + 1}000000"
        capture = Capture(
            id=0,
            policy_id=policy.id,
            source=Source.WAYBACK,
            timestamp=ts,
            original_url=url,
            archive="https://web.archive.org/web/",
            memento_url=f"https://web.archive.org/web/{ts}id_/{url}",
            http_status=200,
            headers=(("Content-Type", "text/html"),),
            content_type="text/html",
        )
        extraction = Extraction(
            text=text, text_sha256=text_sha256(text), extractor_version="t", words=len(text.split())
        )
        arc.add_capture(policy, capture, f"<html><p>{text}</p></html>".encode(), extraction)
    return arc


def test_exports_run_in_the_background_and_report_where_they_wrote(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arc = small_archive(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        pass
    out = tmp_path / "out"
    out.mkdir()
    for start, target in (
        (lambda p: win.start_report(str(p)), out / "report.html"),
        (lambda p: win.start_export("warc", [win.current_policy()], str(p)), out / "policy.warc.gz"),
        (lambda p: win.start_export("csv", [win.current_policy()], str(p)), out / "versions.csv"),
    ):
        task = start(target)
        assert win.progress.isVisible()
        with qtbot.waitSignal(task.signals.finished, timeout=30_000) as blocker:
            pass
        assert target.is_file() and target.stat().st_size > 0
        assert str(target) in blocker.args[0] and str(target) in win.message_bar.label.text()
    assert "your phone number" in (out / "report.html").read_text(encoding="utf-8")
    # File > Export > Policy Captures as WACZ…, the Save dialog answered
    wacz = out / "policy.wacz"
    monkeypatch.setattr("ui.archive_work.QFileDialog.getSaveFileName", lambda *a, **k: (str(wacz), ""))
    win.wacz_action.trigger()
    qtbot.waitUntil(lambda: str(wacz) in win.message_bar.label.text(), timeout=30_000)
    from archiver.exports.wacz import check_wacz

    assert check_wacz(wacz) == [] and wacz.with_name("policy.wacz.manifest.json").is_file()
    capture = win.details.current()
    from ui.jobs import job_save_capture

    task = win.work._run_export(
        job_save_capture(arc, capture, str(out / "raw.html"), True), str(out / "raw.html")
    )
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert (out / "raw.html").read_bytes() == arc.read_body(capture)
    assert '"sha256"' in (out / "raw.html.json").read_text(encoding="utf-8")


def test_the_report_shows_what_the_compare_view_shows(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    with qtbot.waitSignal(win.diffShown, timeout=30_000) as shown:
        pass
    result = shown.args[0]
    reports = {}
    for only in (False, True):
        win.compare.changes_only_action.setChecked(only)
        target = tmp_path / f"report-{only}.html"
        task = win.start_report(str(target))
        assert task is not None
        with qtbot.waitSignal(task.signals.finished, timeout=30_000):
            pass
        reports[only] = target.read_text(encoding="utf-8")
    whole, changes = reports[False], reports[True]
    assert "Changes only" not in whole and 'class="skip"' not in whole
    assert "Changes only" in changes and 'class="skip"' in changes
    assert len(changes) < len(whole)
    # every changed row is still there; the gaps say how many unchanged blocks they leave out
    changed = ("replace", "insert", "delete", "move")
    counts = [sum(text.count(f'<tr class="{kind}">') for kind in changed) for text in (whole, changes)]
    assert counts == [result.stats.changed_rows] * 2
    equal_rows = whole.count('<tr class="equal">')
    left_out = sum(int(n) for n in re.findall(r'class="skip"><td colspan="4">(\d+) unchanged', changes))
    assert changes.count('<tr class="equal">') + left_out == equal_rows


def test_importing_a_princeton_leuven_file_adds_its_policy(qtbot: Any, tmp_path: Path) -> None:
    pytest.importorskip("archiver.extraction")
    seed = Path(__file__).resolve().parents[1] / "data" / "000_f3b110e2aecbbe7d.txt"
    arc = Archive.open(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    task = win.start_import([str(seed)])
    with qtbot.waitSignal(task.signals.finished, timeout=30_000) as blocker:
        pass
    assert [r.error for r in blocker.args[0]] == [""]
    assert "Imported 1 capture from 1 file." in win.message_bar.label.text()
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 1 and win.version_model.rowCount() == 1)
    version = win.version_model.version(0)
    assert version.timestamp.startswith("20190310") and "text-only" in version.flags
    assert "cacuqecig.com" in win.policy_model.policy(0).url


def test_the_last_archive_is_reopened_unless_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.cli import build_parser, named_archive_root
    from ui.app import choose_root

    monkeypatch.delenv("POLICYDIFF_ARCHIVE", raising=False)
    monkeypatch.setattr("archiver.cli.default_archive_root", lambda: tmp_path / "default")
    settings = Settings(tmp_path / "s.ini")
    assert choose_root(None, settings) == tmp_path / "default"
    (tmp_path / "last").mkdir()
    settings.last_archive = str(tmp_path / "last")
    assert choose_root(None, settings) == tmp_path / "last"
    assert choose_root(tmp_path / "named", settings) == tmp_path / "named"
    # naming the default archive itself is naming it: the last one does not win
    assert choose_root(tmp_path / "default", settings) == tmp_path / "default"
    parser = build_parser()
    assert named_archive_root(parser.parse_args([])) is None
    assert (
        named_archive_root(parser.parse_args(["--archive", str(tmp_path / "default")]))
        == tmp_path / "default"
    )
    monkeypatch.setenv("POLICYDIFF_ARCHIVE", str(tmp_path / "env"))
    assert named_archive_root(parser.parse_args([])) == tmp_path / "env"


def test_only_the_last_of_several_quick_picks_is_shown(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        pass
    tinder = next(
        i for i in range(win.policy_model.rowCount()) if "Tinder" in win.policy_model.policy(i).label
    )
    win.policy_view.setCurrentIndex(win.policy_model.index(tinder))
    qtbot.waitUntil(lambda: win.version_model.rowCount() == 7)
    shown: list[Any] = []
    win.diffShown.connect(shown.append)
    for row in (1, 2, 3, 4):
        win.version_view.selectRow(row)
    qtbot.waitUntil(lambda: win.compare.right_title.text() == win.right_combo.currentText())
    from ui.workers import running_tasks

    qtbot.waitUntil(lambda: not any(t.name == "diff" for t in running_tasks()))  # stale results arrived
    assert (win.left_combo.currentIndex(), win.right_combo.currentIndex()) == (3, 4)
    assert win.compare.left_title.text() == win.left_combo.currentText()
    assert shown[-1] is win.compare.result
    assert not win.message_bar.isVisible()
    qtbot.waitUntil(lambda: all(win.version_model.change(i) is not None for i in range(1, 7)))
    assert [p.change for p in win.timeline.points()[1:]] == [win.version_model.change(i) for i in range(1, 7)]


def test_capture_actions_open_and_copy_the_memento(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices, QGuiApplication

    class Browser(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.opened: list[str] = []

        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            self.opened.append(url.toString())

    arc = small_archive(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    qtbot.waitUntil(lambda: win.details.current() is not None)
    win.tabs.setCurrentWidget(win.details)
    capture = win.details.current()
    assert capture.timestamp == "20210102000000"
    text = win.details.info.toPlainText()
    assert capture.sha256 in text and "Content-Type" in text and "200" in text
    browser = Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    try:
        win.details.open_action.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert browser.opened == [f"https://web.archive.org/web/20210102000000/{capture.original_url}"]
    win.details.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == capture.memento_url


def test_importing_html_copies_of_a_page(qtbot: Any, tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus" / "tinder-privacy"
    arc = Archive.open(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    files = [str(corpus / "20220407003230.html"), str(corpus / "20230120003318.html")]
    task = win.start_import(files, "https://policies.tinder.com/privacy/intl/en/")
    assert win.progress.isVisible()
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert "Imported 2 captures from 2 files." in win.message_bar.label.text()
    qtbot.waitUntil(lambda: win.version_model.rowCount() == 2)
    assert all(c.source.value == "file" for v in win.version_model.versions() for c in v.captures)


def test_importing_a_warc_counts_its_captures_and_the_file(qtbot: Any, tmp_path: Path) -> None:
    import threading

    from ui.jobs import job_export

    source = small_archive(tmp_path / "src")
    warc = tmp_path / "policy.warc.gz"
    job_export(source, "warc", source.policies(), str(warc))(threading.Event(), lambda _p: None)
    source.close()
    broken = tmp_path / "broken.warc"
    broken.write_bytes(b"not a WARC at all")
    arc = Archive.open(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    task = win.start_import([str(warc)])
    with qtbot.waitSignal(task.signals.finished, timeout=30_000) as blocker:
        pass
    assert len([r for r in blocker.args[0] if r.capture is not None]) == 2  # one result per record
    assert win.message_bar.label.text() == "Imported 2 captures from 1 file."
    task = win.start_import([str(warc), str(broken)])
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert win.message_bar.label.text().startswith("Imported 2 captures from 1 of 2 files. 1 failed: broken")
    task = win.start_import([str(broken)])
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    assert win.message_bar.label.text().startswith("Imported no captures from 1 file. 1 failed: broken")
    qtbot.waitUntil(lambda: win.version_model.rowCount() == 2)
    win.close()
    arc.close()


def test_error_pages_and_shells_are_left_out_of_default_comparisons(qtbot: Any, tmp_path: Path) -> None:
    """An archived error page between two policy texts is listed, but never shown as "policy deleted"."""
    corpus = Path(__file__).resolve().parents[1] / "data" / "corpus" / "tinder-privacy"
    pages = [
        (corpus / "20220407003230.html").read_bytes(),
        b"<html><body><h1>404 Not Found</h1><p>The page you requested does not exist.</p></body></html>",
        (corpus / "20230120003318.html").read_bytes(),
    ]
    stamps = ["20220407003230", "20220901000000", "20230120003318"]
    url = "https://policies.tinder.com/privacy/intl/en"
    arc = Archive.open(tmp_path / "a")
    policy = arc.ensure_policy(url)
    for ts, body, status in zip(stamps, pages, (200, 404, 200), strict=True):
        capture = Capture(
            id=0, policy_id=0, source=Source.WAYBACK, timestamp=ts, original_url=url,
            content_type="text/html", http_status=status,
        )  # fmt: skip
        store_capture(arc, policy, capture, body)
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    with qtbot.waitSignal(win.changeSizesDone, timeout=30_000):
        pass
    model = win.version_model
    assert model.rowCount() == 3 and not model.version(1).is_policy_text
    assert "error-page" in model.version(1).flags
    # the newest text is compared with the last real text, over the error page
    assert (win.left_combo.currentIndex(), win.right_combo.currentIndex()) == (0, 2)
    col = VersionTableModel.COL_CHANGE
    assert model.data(model.index(1, col)) == "no policy text"
    assert win.timeline.points()[1].note == "no policy text"  # its tooltip, not "change: …"
    small = model.change(2)
    whole = model.version(0).words + model.version(2).words
    assert small is not None and 0 < small < whole / 4  # an edit, not the whole text deleted and back
    # chosen on purpose, the error page is shown against what came just before it
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.version_view.selectRow(1)
    assert (win.left_combo.currentIndex(), win.right_combo.currentIndex()) == (0, 1)
    win.close()
    arc.close()


def test_verify_archive_names_a_damaged_capture(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    win.verify_action.trigger()  # the menu action starts a background job
    qtbot.waitUntil(lambda: "Archive verified" in win.message_bar.label.text(), timeout=30_000)
    assert f"{demo.stats()['captures']} captures" in win.message_bar.label.text()
    assert f"Ledger head: {demo.ledger_head()[1]}" in win.message_bar.label.text()
    policy = demo.policies()[0]
    victim = demo.captures(policy.id)[1]
    path = demo.blob_path(victim.sha256 or "")
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    task = win.verify_archive()
    with qtbot.waitSignal(task.signals.finished, timeout=30_000):
        pass
    text = win.message_bar.label.text()
    assert text.startswith("Verification found 1 problem:") and victim.timestamp in text
    assert path.read_bytes() == bytes(data)  # reported, never "repaired"
    win.close()


def test_capture_details_show_an_idn_url_as_typed(qtbot: Any, tmp_path: Path) -> None:
    """Also: with a single version there is nothing to measure, and the window says it is done."""
    arc = Archive.open(tmp_path / "a")
    url = "https://bücher.de/datenschutz-ü"
    policy = arc.ensure_policy(url)
    body = (
        "<html><body><h1>Datenschutz</h1><p>" + "Wir schützen Ihre Daten. " * 60 + "</p></body></html>"
    ).encode()
    capture = Capture(
        id=0, policy_id=0, source=Source.WAYBACK, timestamp="20240101000000", original_url=policy.url,
        content_type="text/html; charset=utf-8", http_status=200,
    )  # fmt: skip
    store_capture(arc, policy, capture, body)
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.changeSizesDone, timeout=30_000):
        win.show()
    qtbot.waitUntil(lambda: win.details.model.rowCount() == 1, timeout=30_000)
    assert policy.url.startswith("https://xn--bcher-kva.de/")
    assert url in win.details.info.toPlainText()
    win.close()
    arc.close()


class DiffGate:
    """Holds comparisons (diff_texts called with options, as job_diff does) on the worker until opened.

    ``fail_first``: the first held comparison raises instead of returning.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_first: bool = False) -> None:
        import threading

        import archiver.diffing as diffing

        self.entered = threading.Semaphore(0)
        self.opened = threading.Event()
        self.calls = 0
        self.fail_first = fail_first
        real = diffing.diff_texts

        def held(a: str, b: str, *args: Any, **kwargs: Any) -> Any:
            if not args and not kwargs:  # change sizes: not held
                return real(a, b)
            self.calls += 1
            first = self.calls == 1
            self.entered.release()
            self.opened.wait(30)
            if first and self.fail_first:
                raise RuntimeError("the comparison the user left failed")
            return real(a, b, *args, **kwargs)

        monkeypatch.setattr(diffing, "diff_texts", held)

    def wait_entered(self, qtbot: Any) -> None:
        qtbot.waitUntil(lambda: self.entered.acquire(blocking=False), timeout=10_000)

    def open(self) -> None:
        self.opened.set()


def diff_idle() -> bool:
    from ui.workers import running_tasks

    return not any(t.name == "diff" for t in running_tasks())


def select_policy(qtbot: Any, win: MainWindow, label: str, versions: int | None = None) -> None:
    row = next(i for i in range(win.policy_model.rowCount()) if label in win.policy_model.policy(i).label)
    with qtbot.waitSignal(win.versionsLoaded, timeout=30_000) as loaded:
        win.policy_view.setCurrentIndex(win.policy_model.index(row))
    if versions is not None:
        assert loaded.args == [versions]


def test_a_diff_of_the_previous_policy_is_not_shown_on_a_policy_without_versions(
    qtbot: Any, demo: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.ensure_policy("https://example.com/privacy", "Example (nothing fetched yet)")
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 3)
    select_policy(qtbot, win, "GitHub")
    qtbot.waitUntil(lambda: win.compare.result is not None and diff_idle(), timeout=30_000)
    gate = DiffGate(monkeypatch)
    win.compare_panel.cache.clear()
    try:
        win.version_view.selectRow(1)  # a slow diff of GitHub v1 → v2 starts
        gate.wait_entered(qtbot)
        select_policy(qtbot, win, "nothing fetched", versions=0)  # the user moves on meanwhile
    finally:
        gate.open()
    qtbot.waitUntil(diff_idle, timeout=30_000)  # the GitHub diff came back
    assert win.current_policy().label.startswith("Example")
    assert win.compare.result is None and win.compare.left_title.text() == ""
    assert win.compare.isEnabled()
    assert win.stats_label.text().startswith("No versions")


def test_a_replaced_diff_neither_ends_the_busy_state_nor_reports_its_error(
    qtbot: Any, demo: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    qtbot.waitUntil(lambda: win.compare.result is not None and diff_idle(), timeout=30_000)
    gate = DiffGate(monkeypatch, fail_first=True)
    win.compare_panel.cache.clear()
    try:
        # cancelled before it starts: its CancelledError arrives while v2 → v3 is still computing
        win.version_view.selectRow(1)
        queued = win.compare_panel.task
        win.version_view.selectRow(2)
        assert queued is not None and queued is not win.compare_panel.task
        qtbot.waitUntil(lambda: queued.error is not None)
        gate.wait_entered(qtbot)  # v2 → v3 is running
        qtbot.waitUntil(lambda: not win.compare.isEnabled())  # still busy: greyed after BUSY_DELAY_MS
        # and one that fails after the user moved on: its error is not shown
        failing = win.compare_panel.task
        win.version_view.selectRow(3)
        gate.wait_entered(qtbot)
    finally:
        gate.open()
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        pass
    qtbot.waitUntil(diff_idle, timeout=30_000)
    assert failing is not None and isinstance(failing.error, RuntimeError)
    assert not win.message_bar.isVisible()
    assert win.compare.isEnabled()
    assert (win.left_combo.currentIndex(), win.right_combo.currentIndex()) == (2, 3)
    assert win.compare.right_title.text() == win.right_combo.currentText()


def test_the_selected_version_is_scrolled_into_view(qtbot: Any, demo: Archive, tmp_path: Path) -> None:
    win = open_window(qtbot, demo, tmp_path / "s.ini")
    win.resize(1000, 600)
    win.right_splitter.setSizes([170, 430])
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 2)
    select_policy(qtbot, win, "Tinder", versions=7)
    view = win.version_view
    current = view.currentIndex()
    assert current.row() == 6
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0)  # the rows do not all fit
    qtbot.waitUntil(lambda: view.viewport().rect().contains(view.visualRect(current)))


def test_menus_and_tabs_have_distinct_mnemonics(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QAbstractButton, QApplication

    arc = Archive.open(tmp_path / "a")
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    texts = [a.text() for a in win.menuBar().actions()]
    texts += [win.tabs.tabText(i) for i in range(win.tabs.count())]
    texts += [b.text() for b in win.centralWidget().findChildren(QAbstractButton)]
    keys = [m.group(1).lower() for t in texts if (m := re.search(r"&([^&])", t.replace("&&", "")))]
    assert len(keys) >= 7 and len(keys) == len(set(keys)), texts
    # Alt+P opens the Policy menu (the Captures tab once took it)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    win.version_view.setFocus()
    qtbot.keyClick(win.version_view, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    popup = QApplication.activePopupWidget()
    assert popup.title() == "&Policy" and win.tabs.currentIndex() == 0
    popup.close()
    win.close()
    arc.close()


def test_the_evidence_report_needs_a_comparison(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arc = small_archive(tmp_path / "a")
    arc.ensure_policy("https://example.org/privacy", "Another (nothing fetched yet)")  # listed first
    asked: list[Any] = []
    monkeypatch.setattr(
        "ui.archive_work.QFileDialog.getSaveFileName", lambda *a, **k: (asked.append(a), ("", ""))[1]
    )
    win = open_window(qtbot, arc, tmp_path / "s.ini")
    assert not win.report_action.isEnabled()  # nothing shown yet
    qtbot.waitUntil(lambda: win.policy_model.rowCount() == 2)
    qtbot.waitUntil(
        lambda: win.current_policy() is not None and win.current_policy().label.startswith("Another")
    )
    qtbot.waitUntil(lambda: win.stats_label.text().startswith("No versions"))
    assert not win.report_action.isEnabled()
    win.export_report()  # called anyway: says why instead of a Save dialog that leads nowhere
    assert asked == [] and "No comparison to report" in win.message_bar.label.text()
    select_policy(qtbot, win, "Example", versions=2)
    assert win.report_action.isEnabled()
    win.report_action.trigger()
    assert len(asked) == 1
    select_policy(qtbot, win, "Another", versions=0)
    assert not win.report_action.isEnabled()
    win.close()
    arc.close()


def test_opening_another_archive_runs_in_the_background_and_resets_the_views(
    qtbot: Any, demo: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import ui.archives

    threads: dict[str, bool] = {}
    real_open = ui.archives.open_archive

    def open_in(root: Path) -> Any:
        threads["open"] = threading.current_thread() is threading.main_thread()
        return real_open(root)

    real_close = demo.close

    def close() -> None:
        threads["close"] = threading.current_thread() is threading.main_thread()
        real_close()

    monkeypatch.setattr(ui.archives, "open_archive", open_in)
    monkeypatch.setattr(demo, "close", close)
    settings = tmp_path / "s.ini"
    win = open_window(qtbot, demo, settings)
    qtbot.waitUntil(lambda: win.compare.result is not None and diff_idle(), timeout=30_000)
    assert win.report_action.isEnabled() and len(win.timeline.points()) > 2
    # a file is no archive: the error is shown and the demo stays
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    task = win.open_archive(str(not_a_folder))
    with qtbot.waitSignal(task.signals.failed, timeout=30_000):
        pass
    assert win.message_bar.isVisible() and win.archive is demo and win.version_model.rowCount() > 2
    # an empty archive after the demo: nothing of the demo is left on screen
    empty = tmp_path / "empty"
    with qtbot.waitSignal(win.policiesLoaded, timeout=30_000) as loaded:
        task = win.open_archive(str(empty))
        assert win.archive is demo  # not opened on the GUI thread
    assert loaded.args == [0]
    assert win.archive.root == empty.resolve() and str(empty.resolve()) in win.windowTitle()
    assert win.policy_model.rowCount() == 0 and win.version_model.rowCount() == 0
    assert win.timeline.points() == [] and win.left_combo.count() == win.right_combo.count() == 0
    assert win.compare.result is None and win.compare.left_title.text() == ""
    assert win.details.model.rowCount() == 0 and win.stats_label.text() == ""
    assert not win.report_action.isEnabled()
    assert Settings(settings).last_archive == str(empty.resolve())
    qtbot.waitUntil(lambda: "close" in threads, timeout=30_000)  # the demo is closed once unused
    assert threads == {"open": False, "close": False}
    win.close()


def test_the_window_module_loads_without_the_heavy_parts() -> None:
    """Start-up stays fast: the compare view, the diff engine's renderers, extraction (lxml)
    and the web client load when first used, not when the window module is imported."""
    code = (
        "import sys, ui.mainwindow, ui.app\n"
        "heavy = ['ui.compare', 'archiver.extraction', 'lxml', 'cssselect', 'archiver.client.session']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_archive_opened_last_wins_not_the_one_that_finished_last(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import ui.archives
    from ui.workers import running_tasks

    first = Archive.open(tmp_path / "first")
    win = open_window(qtbot, first, tmp_path / "s.ini")
    real_open = ui.archives.open_archive
    gate = threading.Event()

    def slow_for_a(root: Path) -> Any:
        if root.name == "a":  # a read-only archive being copied, a busy database...
            gate.wait(10)
        return real_open(root)

    monkeypatch.setattr(ui.archives, "open_archive", slow_for_a)
    win.open_archive(str(tmp_path / "a"))  # the user picks a, then changes their mind: b
    task_b = win.open_archive(str(tmp_path / "b"))
    with qtbot.waitSignal(task_b.signals.done, timeout=10_000):
        pass
    assert win.archive.root.name == "b"
    gate.set()  # now a's open finishes, after b's
    qtbot.waitUntil(lambda: not any(t.name == "open archive" for t in running_tasks()), timeout=10_000)
    qtbot.waitUntil(lambda: not any(t.name == "close archive" for t in running_tasks()), timeout=10_000)
    assert win.archive.root.name == "b"
    assert Path(Settings(tmp_path / "s.ini").last_archive).name == "b"
