"""Re-fetch this capture: download the memento a text-only capture names, as its raw bytes.

A Princeton-Leuven text names the Wayback capture it was made from. Re-fetching downloads that
memento; the core attaches its raw bytes to the same capture (archiver/attached.py) and says
whether our extraction of them agrees with the corpus text. The controller owns its action (in the
capture details' toolbar) and runs the download as a background job (ui.workers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QToolBar

from archiver.models import Capture, Progress
from archiver.storage import Archive

from .context import WindowContext
from .details import CaptureDetails
from .messages import INFO, WARNING


def job_refetch(arc: Archive, capture: Capture, session_factory: Any = None, kind: str = "auto") -> Any:
    """Fetch the memento of ``capture`` from its archive; returns what became of its raw bytes."""

    def run(cancel: threading.Event, report: Callable[[Progress], None]) -> str:
        from archiver.attached import attachments
        from archiver.client import FetchJob, Session, archive_endpoint, run_fetch

        report(Progress(0, 1, f"fetching the capture of {capture.timestamp}"))
        endpoint = archive_endpoint(capture.archive, kind)
        with (session_factory or Session)() as session:
            job = FetchJob(
                arc,
                session,
                endpoint,
                capture.original_url,
                capture.timestamp,
                capture.timestamp,
                cancel=cancel,
            )
            summary = run_fetch(job)
        if summary.failed:
            return (
                f"The archive could not serve the capture of {capture.timestamp}: {summary.failed[0].reason}"
            )
        attached = attachments(arc, [arc.capture(capture.id)]).get(capture.id)
        if attached is None:
            return f"The archive lists no capture of {capture.original_url} at {capture.timestamp}."
        return f"Re-fetched the capture of {capture.timestamp}: {attached.describe()}."

    return run


class RefetchController(QObject):
    """The "Re-fetch This Capture" action of the capture details, for text-only captures that name
    the archive capture they came from.

    Signals:
        refetched(object): the capture (a Capture) whose raw bytes were fetched.
    """

    refetched = Signal(object)

    def __init__(
        self, ctx: WindowContext, details: CaptureDetails, session_factory: Callable[[], Any] | None = None
    ) -> None:
        super().__init__(details)
        self._ctx = ctx
        self._details = details
        self._session_factory = session_factory
        self.kind = "auto"  # how to list the archive's captures (archiver.client.ArchiveKind)
        self.action = QAction("Re-&fetch This Capture", details)
        self.action.setToolTip("Download the archived capture this text was made from, as its raw bytes")
        self.action.triggered.connect(self.refetch)
        bar = details.findChild(QToolBar)
        if bar is not None:
            bar.addAction(self.action)
        details.table.selectionModel().currentRowChanged.connect(lambda *_: self._update())
        details.model.modelReset.connect(self._update)
        self._update()

    def _update(self) -> None:
        c = self._details.current()
        self.action.setEnabled(bool(c and c.sha256 is None and c.archive and c.memento_url))

    def refetch(self) -> None:
        capture = self._details.current()
        if capture is None or not self.action.isEnabled():
            return
        task = self._ctx.run(
            job_refetch(self._ctx.archive, capture, self._session_factory, self.kind),
            name="refetch",
            on_finished=lambda text: self._done(capture, text),
        )
        self._ctx.progress.add(task, f"Re-fetching the capture of {capture.timestamp}…")

    def _done(self, capture: Capture, text: str) -> None:
        self._ctx.message_bar.show_info(text, INFO if text.startswith("Re-fetched") else WARNING)
        self.refetched.emit(capture)
