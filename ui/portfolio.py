"""The portfolio in the app: a policy's name, tags and note; taking a policy off the list; marking a
change reviewed (with a note, under the reviewer's name from the settings); Update All with a view
of every policy's progress; updating on a schedule while the app runs; and a desktop notice naming
the policies that changed.

A controller owning its actions and dialogs; the window creates it once. It talks to the policy
and version lists through their signals and public parts, and runs its jobs on the window context.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from archiver.models import Policy, Progress, Version, baseline
from archiver.portfolio import PolicyInfo, default_reviewer, split_tags
from archiver.timestamps import display
from archiver.urls import display_url

from .jobs import job_edit_policy, job_mark_reviewed, job_remove_policy, job_reviews, job_update_all
from .messages import INFO, WARNING

if TYPE_CHECKING:
    from archiver.updates import PolicyUpdate, UpdateRun

    from .archive_work import ArchiveWork
    from .context import WindowContext
    from .policies import PolicyList
    from .versions import VersionList
    from .workers import Task

HOUR_MS = 3_600_000


class PolicyEditDialog(QDialog):
    """A policy's name (empty: the page title, else the host), tags and note."""

    def __init__(self, info: PolicyInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Name, Tags and Note")
        self.name_edit = QLineEdit(info.policy.label)
        self.name_edit.setPlaceholderText(info.name)
        self.tags_edit = QLineEdit(", ".join(info.tags))
        self.tags_edit.setPlaceholderText("vendor, eu, hr…")
        self.note_edit = QPlainTextEdit(info.note)
        self.note_edit.setMaximumHeight(90)
        form = QFormLayout(self)
        form.addRow("URL:", QLineEdit(display_url(info.policy.url), readOnly=True))
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Tags:", self.tags_edit)
        form.addRow("N&ote:", self.note_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, list[str], str]:
        return (
            self.name_edit.text().strip(),
            list(split_tags(self.tags_edit.text())),
            self.note_edit.toPlainText(),
        )


class ReviewDialog(QDialog):
    """Who reviewed the change, and what they noted."""

    def __init__(self, what: str, reviewer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mark Change Reviewed")
        self.reviewer_edit = QLineEdit(reviewer)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("What changed, and does it matter? (optional)")
        self.note_edit.setMaximumHeight(110)
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        form.addRow("&Reviewer:", self.reviewer_edit)
        form.addRow("N&ote:", self.note_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.reviewer_edit.textChanged.connect(
            lambda t: buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(t.strip()))
        )
        form.addRow(buttons)


class UpdateDialog(QDialog):
    """Update All's view: one line per policy, waiting, being updated, or what it found."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Update All")
        self.resize(560, 420)
        self.names = names
        self.list = QListWidget()
        self.list.addItems([f"{name}: waiting" for name in names])
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.list)
        box.addWidget(self.buttons)

    def show_progress(self, step: Progress, results: list[PolicyUpdate]) -> None:
        for row, result in enumerate(results):
            self.list.item(row).setText(f"{self.names[row]}: {outcome(result)}")
        if step.done < len(self.names) and step.message:
            self.list.item(step.done).setText(step.message)
            self.list.scrollToItem(self.list.item(step.done))

    def finished_run(self) -> None:
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)


def outcome(result: PolicyUpdate) -> str:
    if result.error:
        return f"not updated: {result.error}"
    n = len(result.changes)
    return f"{n} new change{'' if n == 1 else 's'}" if n else "no change"


class PortfolioController(QObject):
    def __init__(
        self, ctx: WindowContext, policies: PolicyList, versions: VersionList, work: ArchiveWork
    ) -> None:
        super().__init__(ctx.window)
        self._ctx, self._policies, self._versions, self._work = ctx, policies, versions, work
        self._reviews = ctx.latest()
        self._update: Task | None = None
        self.dialog: UpdateDialog | None = None
        self.review_action = QAction("Mark Change &Reviewed…", self)
        self.review_action.setShortcut(QKeySequence("Ctrl+R"))
        self.review_action.setToolTip("Record that you reviewed the selected version's change, with a note")
        self.review_action.setEnabled(False)
        self.review_action.triggered.connect(self.mark_reviewed)
        self.update_action = QAction("&Update All", self)
        self.update_action.setShortcut(QKeySequence("Ctrl+Shift+U"))
        self.update_action.setToolTip("Fetch what is new for every policy, from the archives it came from")
        self.update_action.triggered.connect(self.update_all)
        self.schedule_action = QAction("Update Every…", self)
        self.schedule_action.setToolTip("Run Update All on a schedule while the app is open")
        self.schedule_action.triggered.connect(self.choose_schedule)
        self.timer = QTimer(self)
        self.timer.timeout.connect(lambda: self.update_all(show=False))
        self.tray: QSystemTrayIcon | None = None
        versions.view.addAction(self.review_action)
        versions.loaded.connect(self._versions_loaded)
        versions.versionChosen.connect(self._version_chosen)
        policies.editRequested.connect(self.edit)
        policies.removeRequested.connect(self.remove)
        self.set_schedule(ctx.settings.update_every_hours)

    def add_to(self, menu: QMenu) -> None:
        menu.addSeparator()
        for action in (self.review_action, self.update_action, self.schedule_action):
            menu.addAction(action)
        menu.addAction(self._policies.edit_action)
        menu.addAction(self._policies.remove_action)

    # --- names, tags, removal --------------------------------------------------------------

    def edit(self, info: PolicyInfo) -> QDialog:
        dialog = PolicyEditDialog(info, self._ctx.window)
        dialog.accepted.connect(lambda: self.save_edit(info.policy, *dialog.values()))
        dialog.open()
        return dialog

    def save_edit(self, policy: Policy, name: str, tags: list[str], note: str) -> Task:
        return self._ctx.run(
            job_edit_policy(self._ctx.archive, policy, name, tags, note),
            name="edit policy",
            on_finished=lambda _: self._reload(policy.id),
        )

    def remove(self, info: PolicyInfo) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove from the List",
            f"Take {info.name} off the list?\n\nIts {info.policy.captures} captures stay in the archive "
            "and in its ledger (Verify still checks them). Fetching its URL again brings it back with "
            "its whole history.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._ctx.window,
        )
        box.accepted.connect(lambda: self.confirm_remove(info.policy))
        box.open()
        return box

    def confirm_remove(self, policy: Policy) -> Task:
        return self._ctx.run(
            job_remove_policy(self._ctx.archive, policy),
            name="remove policy",
            on_finished=lambda _: self._reload(None),
        )

    def _reload(self, select: int | None) -> None:
        self._policies.reload(select=select)

    # --- reviews ---------------------------------------------------------------------------

    def _versions_loaded(self, count: int) -> None:
        policy = self._policies.current()
        if policy is None:
            return
        self._reviews.run(
            job_reviews(self._ctx.archive, policy),
            name="reviews",
            on_finished=self._versions.model.set_reviews,
        )

    def _version_chosen(self, version: Version) -> None:
        self.review_action.setEnabled(self._change_of(version) is not None)

    def _change_of(self, version: Version | None) -> Version | None:
        """The version ``version`` is compared with, when it is a change that can be reviewed."""
        if version is None or not version.is_policy_text:
            return None
        versions = self._versions.model.versions()
        base = baseline(versions, version.index) if version.index < len(versions) else None
        return versions[base] if base is not None else None

    def mark_reviewed(self) -> ReviewDialog | None:
        policy, version = self._policies.current(), self._versions.current()
        base = self._change_of(version)
        if policy is None or version is None or base is None:
            return None
        what = f"The change of {display(base.timestamp)} → {display(version.timestamp)} UTC"
        reviewer = self._ctx.settings.reviewer or default_reviewer()
        dialog = ReviewDialog(what, reviewer, self._ctx.window)
        dialog.accepted.connect(
            lambda: self.save_review(
                policy, version, dialog.reviewer_edit.text().strip(), dialog.note_edit.toPlainText()
            )
        )
        dialog.open()
        return dialog

    def save_review(self, policy: Policy, version: Version, reviewer: str, note: str) -> Task:
        self._ctx.settings.reviewer = reviewer
        return self._ctx.run(
            job_mark_reviewed(self._ctx.archive, policy, version, reviewer, note),
            name="mark reviewed",
            on_finished=lambda _: self._reviewed(policy),
        )

    def _reviewed(self, policy: Policy) -> None:
        self._ctx.message_bar.show_info("The change is marked reviewed.")
        self._versions_loaded(0)
        self._policies.reload(select=policy.id)

    # --- Update All ------------------------------------------------------------------------

    def update_all(self, show: bool = True) -> Task | None:
        """Run Update All; ``show``: in its own dialog (a scheduled run shows in the status bar)."""
        if self._update is not None:  # one run at a time; a scheduled one while it runs is skipped
            return None
        task = self._ctx.run(
            job_update_all(self._ctx.archive, self._work._session_factory(), self._kinds()),
            name="update all",
            on_progress=lambda item: self._progress(item, show),
            on_finished=self._updated,
            on_failed=self._update_failed,
        )
        self._update = task
        self._ctx.progress.add(task, "Updating every policy…")
        return task

    def _kinds(self) -> dict[str, str]:
        """How the user last listed each archive (Add Policy's choice), by replay prefix."""
        kinds: dict[str, str] = {}
        for row in range(self._policies.model.rowCount()):
            last = self._ctx.settings.last_fetch(self._policies.model.policy(row).url)
            if last is not None:
                kinds.setdefault(last[0], last[1])
        return kinds

    def _progress(self, item: Any, show: bool) -> None:
        if isinstance(item, list) and show:  # the names of the policies, before the first one
            self.dialog = UpdateDialog(item, self._ctx.window)
            task = self._update
            self.dialog.rejected.connect(
                lambda: task.cancel() if task is not None and self._update is task else None
            )
            self.dialog.open()
        elif isinstance(item, tuple) and self.dialog is not None:
            step, results = item
            self.dialog.show_progress(step, results)

    def _updated(self, run: UpdateRun) -> None:
        self._update = None
        if self.dialog is not None:
            self.dialog.show_progress(Progress(len(run.results), len(run.results)), run.results)
            self.dialog.finished_run()
        changed = [r.info.name for r in run.changed]
        text = (
            f"{len(changed)} of {len(run.results)} policies changed: {', '.join(changed)}"
            if changed
            else f"No changes in {len(run.results)} policies."
        )
        if run.errors:
            text += f" {len(run.errors)} could not be updated (see Update All)."
        self._ctx.message_bar.show_info(text, WARNING if run.errors else INFO)
        if changed:
            self.notify("Policies changed", ", ".join(changed))
        self._policies.reload()

    def _update_failed(self, exc: BaseException) -> None:
        self._update = None
        if self.dialog is not None:
            self.dialog.finished_run()
        self._ctx.failed(exc)

    def notify(self, title: str, text: str) -> bool:
        """A desktop notice (the system tray's), where the desktop has one; False where it has not."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return False
        if self.tray is None:
            self.tray = QSystemTrayIcon(self._ctx.window.windowIcon(), self)
            self.tray.setToolTip("policydiff")
            self.tray.show()
        self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)
        return True

    # --- schedule --------------------------------------------------------------------------

    def choose_schedule(self) -> None:
        hours, ok = QInputDialog.getInt(
            self._ctx.window,
            "Update Every",
            "Run Update All every how many hours while policydiff is open (0: never)?\n"
            "To update while it is closed, see 'policydiff schedule'.",
            self._ctx.settings.update_every_hours,
            0,
            24 * 7,
        )
        if ok:
            self.set_schedule(hours)

    def set_schedule(self, hours: int) -> None:
        self._ctx.settings.update_every_hours = hours
        if hours > 0:
            self.timer.start(hours * HOUR_MS)
        else:
            self.timer.stop()
        self.schedule_action.setText(f"Update Every… ({hours} h)" if hours else "Update Every…")
