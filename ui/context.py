"""What the window's controllers share: the archive shown, the settings, where messages and progress
go, and the window itself as the parent of dialogs and the owner of background jobs.

The window makes one and hands it to each controller (``ui.policies``, ``ui.versions``,
``ui.comparing``, ``ui.archive_work``); controllers talk to each other through signals, never through
the window's attributes. ``archive`` changes when File → Open Archive shows another one: controllers
read it when a job starts, so a job works on the archive shown when it was asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from archiver.storage import Archive

from .messages import MessageBar, ProgressPanel
from .settings import Settings
from .workers import Job, Latest, Task, run_task


class WindowContext:
    def __init__(
        self,
        window: QWidget,
        archive: Archive,
        settings: Settings,
        *,
        fetch_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.window = window
        self.archive = archive
        self.settings = settings
        self.fetch_factory = fetch_factory  # tests inject the client's session (its pacer, its clock)
        self.message_bar = MessageBar()
        self.progress = ProgressPanel()

    def run(
        self,
        job: Job,
        *,
        name: str = "",
        on_finished: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> Task:
        """``run_task`` with the window as context: results arriving after it is gone are dropped."""
        return run_task(
            job,
            name=name,
            on_finished=on_finished,
            on_failed=on_failed if on_failed is not None else self.failed,
            on_progress=on_progress,
            context=self.window,
        )

    def latest(self) -> Latest:
        """A :class:`ui.workers.Latest` whose results are dropped once the window is gone."""
        return Latest(self.window)

    def failed(self, exc: BaseException) -> None:
        self.message_bar.show_error(exc)
