"""Notes on paragraphs in the compare view: a note made on one version's paragraph is carried to a
later version where the paragraph was edited, and said so (the archive of test_ui_search_history:
v1 intro, share, retain, contact; v2 retain moved up; v3 retain edited; v4 a new paragraph)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_ui_search_history import RETAIN, RETAIN_EDITED, history_archive, line_of

from archiver.diffing import split_blocks
from ui.mainwindow import MainWindow
from ui.settings import Settings


def test_a_note_on_a_paragraph_follows_it_to_a_later_version_and_says_it_changed(
    qtbot: Any, tmp_path: Path
) -> None:
    arc = history_archive(tmp_path / "a")
    win = MainWindow(arc, Settings(tmp_path / "s.ini"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.show()
    with qtbot.waitSignal(win.diffShown, timeout=30_000):
        win.compare_versions(0, 1)  # v1 -> v2: the retention paragraph moved, not changed
    notes = win.paragraph_notes
    cursor = win.compare.right.textCursor()
    cursor.setPosition(win.compare.right.document().findBlockByNumber(line_of(win, RETAIN)).position())
    win.compare.right.setTextCursor(cursor)
    block = notes.block_at_cursor()
    v2 = win.version_model.version(1)
    assert block is not None and split_blocks(arc.text(v2.text_sha256))[block].body == RETAIN
    win.settings.reviewer = "Ana"
    with qtbot.waitSignal(notes.notesShown, timeout=30_000):
        notes.add_note(win.current_policy(), v2, block, "retention: check against the DPA")
    assert notes.dock.isVisible()
    assert [(p.note.author, str(p.state), p.paragraph) for p in notes.placed] == [("Ana", "same", RETAIN)]
    with qtbot.waitSignal(notes.notesShown, timeout=30_000):  # the open panel follows the comparison
        win.compare_versions(1, 2)  # v2 -> v3: the paragraph was edited
    assert [(str(p.state), p.paragraph) for p in notes.placed] == [("changed", RETAIN_EDITED)]
    assert "paragraph changed since the note" in notes.view.toPlainText()
    win.close()
    arc.close()
