"""Policy → Extraction Rules…: set a policy's CSS rules while watching what they make of a capture.

The dialog previews the extraction of the selected version's first capture as the selectors are
typed (each edit, after a short pause, runs ``archiver.rules.preview`` on a worker; a result for an
older edit is dropped) and says when a selector matches nothing on that capture. Apply stores the
rule (it replaces a rule from the same date) and re-extracts every capture of the policy on a
worker (``archiver.rules.change_rules``), then says which captures' text changed and how many
versions the policy has now. Clear Rules removes them all the same way.

Hooked into the window by :func:`install` (one call): an action in the Policy menu.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from archiver.errors import ArchiverError
from archiver.models import Capture, ExtractionRule, Policy
from archiver.storage import Archive
from archiver.timestamps import display

from .workers import Report, Task, run_task

#: Pause after the last keystroke before the preview runs (ms).
PREVIEW_DELAY_MS = 200


@dataclass(frozen=True, slots=True)
class RulesOutcome:
    """What Apply or Clear did: the rules now stored, the captures whose text changed, failures."""

    rules: tuple[ExtractionRule, ...]
    changed: tuple[str, ...]  # capture timestamps
    failed: tuple[tuple[str, str], ...]  # (timestamp, error)
    versions_before: int
    versions_after: int


def _job_body(archive: Archive, capture: Capture) -> Any:
    def job(_cancel: threading.Event, _report: Report) -> bytes:
        return archive.read_body(capture)

    return job


def _job_preview(body: bytes, content_type: str, select: str, remove: str) -> Any:
    def job(_cancel: threading.Event, _report: Report) -> object:
        from archiver.rules import make_rule, preview

        rule = make_rule([select] if select.strip() else [], [remove] if remove.strip() else [])
        return preview(body, content_type, rule)

    return job


def _job_change(archive: Archive, policy: Policy, rules: tuple[ExtractionRule, ...]) -> Any:
    def job(_cancel: threading.Event, report: Report) -> RulesOutcome:
        from archiver.models import Progress
        from archiver.pipeline import ReextractChange
        from archiver.rules import change_rules

        before = len(archive.versions(policy.id))
        changed: list[str] = []
        failed: list[tuple[str, str]] = []
        for item in change_rules(archive, policy, rules):
            if isinstance(item, Progress):
                report(item)
            elif isinstance(item, ReextractChange):
                if item.error:
                    failed.append((item.capture.timestamp, item.error))
                else:
                    changed.append(item.capture.timestamp)
        after = len(archive.versions(policy.id))
        return RulesOutcome(rules, tuple(changed), tuple(failed), before, after)

    return job


class RulesDialog(QDialog):
    """Set one policy's extraction rules with a live preview on one of its captures.

    Signals:
        previewed(object): a preview is shown (an ``archiver.rules.RulePreview``, or the error).
        applied(object): rules were stored and the captures re-extracted (a :class:`RulesOutcome`).
    """

    previewed = Signal(object)
    applied = Signal(object)

    def __init__(
        self, archive: Archive, policy: Policy, capture: Capture, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.archive = archive
        self.policy = policy
        self.capture = capture
        self.body: bytes | None = None
        self._generation = 0
        self._preview_task: Task | None = None
        self.setWindowTitle(f"Extraction rules — {policy.label or policy.url}")
        self.resize(760, 620)

        self.rules_label = QLabel()
        self.rules_label.setWordWrap(True)
        self.select_edit = QLineEdit()
        self.select_edit.setPlaceholderText("e.g. main article, .policy-body (empty: found automatically)")
        self.select_edit.setAccessibleName("Policy text selector")
        self.remove_edit = QLineEdit()
        self.remove_edit.setPlaceholderText("e.g. .share-links, #newsletter")
        self.remove_edit.setAccessibleName("Selector of what to remove")
        self.from_edit = QLineEdit()
        self.from_edit.setPlaceholderText("YYYY[MM[DD]] (empty: every capture)")
        self.from_edit.setAccessibleName("Rule in force from")
        form = QFormLayout()
        form.addRow("Policy text is:", self.select_edit)
        form.addRow("Remove first:", self.remove_edit)
        form.addRow("In force from:", self.from_edit)
        self.status = QLabel("Loading the capture…")
        self.status.setWordWrap(True)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Preview of the extracted text")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.apply_button = QPushButton("&Apply and Re-extract")
        self.clear_button = QPushButton("C&lear Rules")
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)
        self.clear_button.clicked.connect(self.clear_rules)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rules_label)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"Preview of the capture of {display(capture.timestamp)}:"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        self.select_edit.textChanged.connect(self._timer.start)
        self.remove_edit.textChanged.connect(self._timer.start)
        self._show_rules(policy.rules)
        self.apply_button.setEnabled(False)
        run_task(
            _job_body(archive, capture),
            name="read capture",
            on_finished=self._body_loaded,
            on_failed=self._show_error,
            context=self,
        )

    # --- preview -----------------------------------------------------------------------------

    def _body_loaded(self, body: bytes) -> None:
        self.body = body
        self.apply_button.setEnabled(True)
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Extract the capture with the typed selectors, off the GUI thread."""
        if self.body is None:
            return
        self._generation += 1
        generation = self._generation
        self._preview_task = run_task(
            _job_preview(
                self.body, self.capture.content_type, self.select_edit.text(), self.remove_edit.text()
            ),
            name="preview rule",
            on_finished=lambda result: self._preview_ready(generation, result),
            on_failed=lambda exc: self._preview_ready(generation, exc),
            context=self,
        )

    def _preview_ready(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return  # an older edit's result
        if isinstance(result, BaseException):
            self._show_error(result)
            self.previewed.emit(result)
            return
        from archiver.rules import RulePreview

        assert isinstance(result, RulePreview)
        self.preview.setPlainText(result.extraction.text)
        words = f"{result.extraction.words} words"
        if result.unmatched:
            names = ", ".join(f"‘{s}’" for s in result.unmatched)
            nothing_selected = result.select_matches and not any(n for _, n in result.select_matches)
            fallback = "; the text is found automatically" if nothing_selected else ""
            self.status.setText(f"⚠ {names} matches nothing on this capture{fallback} ({words}).")
        elif result.select_matches:
            found = sum(n for _, n in result.select_matches)
            self.status.setText(f"The selector matches {found} element(s): {words}.")
        else:
            self.status.setText(f"Automatic extraction: {words}.")
        self.previewed.emit(result)

    def _show_error(self, exc: BaseException) -> None:
        self.status.setText(f"⚠ {exc}" if isinstance(exc, ArchiverError) else f"⚠ unexpected error: {exc!r}")

    # --- storing -----------------------------------------------------------------------------

    def _show_rules(self, rules: tuple[ExtractionRule, ...]) -> None:
        if not rules:
            self.rules_label.setText("No rules: the policy's text is found automatically.")
            return
        lines = []
        for r in rules:
            since = f"from {display(r.valid_from)}" if r.valid_from else "always"
            what = f"select {', '.join(r.select)}" if r.select else "automatic text"
            removed = f"; remove {', '.join(r.remove)}" if r.remove else ""
            lines.append(f"{since}: {what}{removed}")
        self.rules_label.setText("Rules in force:\n" + "\n".join(lines))

    def apply(self) -> None:
        """Store the typed rule (replacing one from the same date) and re-extract the policy."""
        from archiver.rules import make_rule, with_rule
        from archiver.timestamps import parse_date_arg

        try:
            valid_from = parse_date_arg(self.from_edit.text()) if self.from_edit.text().strip() else ""
            select, remove = self.select_edit.text(), self.remove_edit.text()
            if not (select.strip() or remove.strip()):
                self.status.setText("⚠ type a selector to apply, or use Clear Rules")
                return
            rule = make_rule(
                [select] if select.strip() else [], [remove] if remove.strip() else [], valid_from
            )
        except ArchiverError as exc:
            self._show_error(exc)
            return
        self._change(with_rule(self.policy.rules, rule))

    def clear_rules(self) -> None:
        self._change(())

    def _change(self, rules: tuple[ExtractionRule, ...]) -> None:
        self.apply_button.setEnabled(False)
        self.clear_button.setEnabled(False)
        self.status.setText("Re-extracting the policy's captures…")
        run_task(
            _job_change(self.archive, self.policy, rules),
            name="re-extract with rules",
            on_finished=self._changed,
            on_failed=self._change_failed,
            context=self,
        )

    def _changed(self, outcome: RulesOutcome) -> None:
        from dataclasses import replace

        self.policy = replace(self.policy, rules=outcome.rules)
        self._show_rules(outcome.rules)
        self.apply_button.setEnabled(True)
        self.clear_button.setEnabled(True)
        if outcome.changed:
            shown = ", ".join(display(t) for t in outcome.changed[:6])
            more = f" and {len(outcome.changed) - 6} more" if len(outcome.changed) > 6 else ""
            text = f"{len(outcome.changed)} capture(s) have a new text: {shown}{more}."
        else:
            text = "No capture's text changed."
        text += f" Versions: {outcome.versions_before} before, {outcome.versions_after} now."
        if outcome.failed:
            text += f" {len(outcome.failed)} could not be extracted again (their old text is kept)."
        self.status.setText(text)
        self.applied.emit(outcome)

    def _change_failed(self, exc: BaseException) -> None:
        self.apply_button.setEnabled(True)
        self.clear_button.setEnabled(True)
        self._show_error(exc)


def install(window: Any) -> QAction:
    """Add Policy → Extraction Rules… to ``window`` (a MainWindow); returns the action."""
    action = QAction("Extraction &Rules…", window)
    action.setStatusTip("Set CSS selectors for the selected policy's text, with a live preview")

    def open_dialog() -> None:
        policy = window.current_policy()
        version = window.current_version()
        if policy is None or version is None:
            from .messages import INFO, Message

            window.message_bar.show_message(Message(INFO, "Select a policy and one of its versions first."))
            return
        dialog = RulesDialog(window.archive, policy, version.first, window)
        dialog.applied.connect(lambda _outcome: window.reload_policies(policy.id))
        window.rules_dialog = dialog
        dialog.show()

    action.triggered.connect(open_dialog)
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == "Policy" and menu_action.menu() is not None:
            menu_action.menu().addAction(action)
    return action
