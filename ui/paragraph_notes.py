"""Reviewers' notes on paragraphs, in the compare view: Edit → Note on This Paragraph… (Ctrl+Shift+N)
notes the paragraph of the newer version at the text cursor; the Notes panel lists every note that
reaches the version on the right, each with its paragraph as it reads there: the same, "changed
since the note", or "removed" (archiver.notes follows the paragraph through moves and edits).

A controller owning its action, its dock and its jobs; the window creates it with the compare view.
"""

from __future__ import annotations

import html
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QInputDialog, QTextBrowser

from archiver.models import Policy, Version

from .models import short_date

if TYPE_CHECKING:
    from archiver.notes import PlacedNote
    from archiver.storage import Archive

    from .compare import CompareView
    from .comparing import ComparePanel
    from .context import WindowContext
    from .policies import PolicyList
    from .workers import Task

_STATE = {"same": "", "changed": "paragraph changed since the note", "removed": "paragraph removed"}


def job_notes(arc: Archive, policy: Policy, version: Version) -> Any:
    def run(cancel: threading.Event, report: Any) -> list[PlacedNote]:
        from archiver.notes import Notes

        return Notes(arc).in_version(policy, version)

    return run


def job_add_note(arc: Archive, policy: Policy, version: Version, block: int, note: str, author: str) -> Any:
    def run(cancel: threading.Event, report: Any) -> object:
        from archiver.notes import Notes

        return Notes(arc).add_at_block(policy, version, block, note, author)

    return run


def notes_html(placed: list[PlacedNote]) -> str:
    if not placed:
        return (
            "<p>No notes reach this version. Put the cursor in a paragraph of the newer text and "
            "choose Edit → Note on This Paragraph… (Ctrl+Shift+N).</p>"
        )
    parts = []
    for p in placed:
        state = _STATE[str(p.state)]
        flag = f" <b style='color:#b35c00'>[{html.escape(state)}]</b>" if state else ""
        quote = html.escape((p.paragraph or p.note.paragraph)[:240])
        parts.append(
            f"<p><b>{html.escape(p.note.author)}</b>, {html.escape(p.note.created_at)} "
            f"(on {html.escape(short_date(p.note.version_timestamp))}){flag}<br>"
            f"{html.escape(p.note.note)}<br><i style='color:gray'>{quote}</i></p>"
        )
    return "".join(parts)


class ParagraphNotes(QObject):
    """Signals: notesShown(int): the notes of the version on the right are shown (their number)."""

    notesShown = Signal(int)

    def __init__(
        self, ctx: WindowContext, policies: PolicyList, panel: ComparePanel, view: CompareView
    ) -> None:
        super().__init__(ctx.window)
        self._ctx, self._policies, self._panel, self._view = ctx, policies, panel, view
        self._load = ctx.latest()
        self.view = QTextBrowser()
        self.dock = QDockWidget("Notes on Paragraphs", ctx.window)
        self.dock.setObjectName("paragraph-notes")
        self.dock.setWidget(self.view)
        self.action = QAction("&Note on This Paragraph…", self)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.action.setStatusTip(
            "Note the paragraph of the newer version at the cursor; later versions carry it"
        )
        self.action.triggered.connect(self.ask_note)
        self.placed: list[PlacedNote] = []
        panel.diffShown.connect(lambda _result: self.show_notes() if self.dock.isVisible() else None)

    def right_version(self) -> Version | None:
        """The version shown in the newer pane."""
        pair = self._panel.pair()
        return pair[1] if pair else None

    def block_at_cursor(self) -> int | None:
        """The newer version's block at the right pane's text cursor."""
        result, lay = self._view.result, self._view.layout_info
        if result is None or lay is None:
            return None
        row = lay.row_at_line(self._view.right.textCursor().blockNumber())
        block = result.rows[row].right if row is not None else None
        return block.index if block is not None else None

    def show_notes(self) -> Task | None:
        policy, version = self._policies.current(), self.right_version()
        if policy is None or version is None:
            return None
        self.dock.show()
        return self._load.run(
            job_notes(self._ctx.archive, policy, version), name="notes", on_finished=self._shown
        )

    def _shown(self, placed: list[PlacedNote]) -> None:
        self.placed = placed
        self.view.setHtml(notes_html(placed))
        self.notesShown.emit(len(placed))

    def ask_note(self) -> Task | None:
        policy, version, block = self._policies.current(), self.right_version(), self.block_at_cursor()
        if policy is None or version is None or block is None:
            self._ctx.message_bar.show_info("Put the cursor in a paragraph of the newer text first.")
            return None
        text, ok = QInputDialog.getMultiLineText(
            self._ctx.window, "Note on This Paragraph", "Your note (later versions carry it):"
        )
        return self.add_note(policy, version, block, text) if ok and text.strip() else None

    def _added(self, _note: object) -> None:
        self.show_notes()

    def add_note(self, policy: Policy, version: Version, block: int, text: str) -> Task:
        from archiver.portfolio import default_reviewer

        author = self._ctx.settings.reviewer or default_reviewer()
        return self._ctx.run(
            job_add_note(self._ctx.archive, policy, version, block, text, author),
            name="add note",
            on_finished=self._added,
        )
