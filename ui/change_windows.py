"""Change windows in the app: exact or open in the version table and on the timeline, and the
"Narrow This Window" action that downloads only the captures inside an open one.

A controller owning its action; the main window creates it once and nothing else: it listens to the
version list's ``loaded`` signal and its table's selection, and runs its jobs through the window
context (ui.workers) with progress in the status-bar panel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QAction

from archiver.models import Policy, Version
from archiver.timestamps import display
from archiver.urls import display_url

from .jobs import job_narrow, job_windows
from .messages import INFO, WARNING
from .workers import Task

if TYPE_CHECKING:
    from archiver.history.windows import VersionWindow

    from .archive_work import ArchiveWork
    from .context import WindowContext
    from .policies import PolicyList
    from .versions import VersionList

log = logging.getLogger(__name__)  # loaded with the first job, not at start-up


class ChangeWindows(QObject):
    """Loads each version's window once the versions are shown, and narrows an open one."""

    def __init__(
        self, ctx: WindowContext, policies: PolicyList, versions: VersionList, work: ArchiveWork
    ) -> None:
        super().__init__(ctx.window)
        self._ctx, self._policies, self._versions, self._work = ctx, policies, versions, work
        self._load = ctx.latest()  # a newer list of versions drops the windows of the older one
        self.narrow_action = QAction("&Narrow This Window", self)
        self.narrow_action.setToolTip(
            "Download only the captures listed inside this version's open change window, until the "
            "change lies between two adjacent captures"
        )
        self.narrow_action.setEnabled(False)
        self.narrow_action.triggered.connect(self.narrow)
        view = versions.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.addAction(self.narrow_action)
        view.selectionModel().currentRowChanged.connect(self._current_changed)
        versions.loaded.connect(self._versions_shown)

    # --- windows ---------------------------------------------------------------------------------

    def _versions_shown(self, count: int) -> None:
        self._load.drop()
        self.narrow_action.setEnabled(False)
        policy = self._policies.current()
        versions = self._versions.model.versions()
        if policy is None or not versions:
            return
        self._load.run(
            job_windows(self._ctx.archive, policy, versions),
            name="change windows",
            on_finished=self._windows_loaded,
            on_failed=lambda exc: log.info("change windows not loaded: %s", exc),
        )

    def _windows_loaded(self, windows: list[VersionWindow]) -> None:
        self._versions.model.set_windows(windows)
        self._versions.timeline.set_windows(
            {
                i: (w.previous.timestamp, not w.exact)
                for i, w in enumerate(windows)
                if w.previous and w.exact is not None
            }
        )
        self._current_changed(self._versions.view.currentIndex(), QModelIndex())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        w = self._versions.model.window(current.row()) if current.isValid() else None
        self.narrow_action.setEnabled(w is not None and w.is_open and w.previous is not None)

    def current_window(self) -> tuple[Version, VersionWindow] | None:
        index = self._versions.view.currentIndex()
        if not index.isValid():
            return None
        w = self._versions.model.window(index.row())
        if w is None or not w.is_open or w.previous is None:
            return None
        return self._versions.model.version(index.row()), w

    # --- narrowing -------------------------------------------------------------------------------

    def narrow(self) -> Task | None:
        """Bisect the selected version's open window, from its archive, downloading only inside it."""
        picked = self.current_window()
        policy: Policy | None = self._policies.current()
        if picked is None or policy is None:
            return None
        _version, w = picked
        assert w.previous is not None
        last = self._ctx.settings.last_fetch(policy.url)
        kind = last[1] if last is not None and last[0] == w.first.archive else "auto"
        task: Task = self._ctx.run(
            job_narrow(self._ctx.archive, policy, w.previous, w.first, kind, self._work._session_factory()),
            name="narrow",
            on_finished=lambda summary: self._narrowed(policy, summary),
            on_failed=self._work._fetch_failed,
        )
        self._ctx.progress.add(
            task,
            f"Narrowing {display_url(policy.url)} between {display(w.previous.timestamp)[:16]} and "
            f"{display(w.first.timestamp)[:16]}…",
        )
        return task

    def _narrowed(self, policy: Policy, summary: Any) -> None:
        failed = len(summary.failed)
        text = (
            f"Narrowed: {summary.downloaded} captures downloaded, {summary.changes} change"
            f"{'' if summary.changes == 1 else 's'} in that window"
            + (
                f", {summary.open_windows} still open ({failed} captures failed; narrow again to retry)."
                if summary.open_windows
                else ", each between two adjacent captures."
            )
        )
        self._ctx.message_bar.show_info(text, WARNING if summary.open_windows else INFO)
        self._policies.reload(select=policy.id)
