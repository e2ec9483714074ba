"""The window's work on archives: open, fetch, live capture, Save Page Now, verify, import (and drops),
export.

A controller of :class:`ui.mainwindow.MainWindow`: every method starts a job of ``ui.jobs`` through
the window's context (``ui.context``) and reports through its message bar and progress panel; nothing
here touches the archive itself. It knows the rest of the window through two narrow parts: the policy
list (which policy is chosen, reload it) and the compare panel (which pair is compared, for reports);
it tells the window through ``archiveOpened``.

Extension point: batch work on many policies (update all, a tracked list from a CSV) starts here too,
in the same queue of jobs, reporting through the same progress panel.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from archiver.errors import ArchiverError, KeysRefusedError, MissingCredentialsError
from archiver.models import Capture, Policy
from archiver.storage import Archive
from archiver.timestamps import display
from archiver.urls import display_url, normalize_url

from . import archives
from .comparing import ComparePanel
from .context import WindowContext
from .dialogs import AddPolicyDialog, KeysDialog, PolicyRequest
from .jobs import (
    job_capture_live,
    job_close,
    job_export,
    job_fetch,
    job_import,
    job_report,
    job_save_capture,
    job_save_page_now,
    job_verify,
)
from .messages import INFO, WARNING
from .policies import PolicyList
from .workers import Task, running_tasks, when_ended

if TYPE_CHECKING:
    from archiver.capture_dates import CaptureDate


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class ArchiveWork(QObject):
    """Opening archives, fetching, live capture, verification, imports and exports.

    Signals:
        archiveOpened(object): File → Open Archive opened this Archive: show it instead.
    """

    archiveOpened = Signal(object)

    def __init__(self, ctx: WindowContext, policies: PolicyList, compare: ComparePanel) -> None:
        super().__init__(ctx.window)
        self._ctx = ctx
        self._policies = policies
        self._compare = compare
        self._pending_policy: int | None = None  # the policy a fetch or capture is adding
        self._suggested_for: PolicyRequest | None = None  # the fetch whose nearby URLs the bar offers
        self._opening = ctx.latest()  # Open Archive: only the latest request is shown
        self.keys_dialog: KeysDialog | None = None  # the Internet Archive key dialog opened last
        ctx.message_bar.linkActivated.connect(self.fetch_suggested)

    def forget_pending(self) -> None:
        """Another archive is shown: the policy being added belongs to the old one."""
        self._pending_policy = None

    # --- fetching and importing ---------------------------------------------------------------

    def add_policy(self) -> None:
        dialog = AddPolicyDialog(self._ctx.settings.archive_prefixes, self._ctx.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: dialog.request and self.start_fetch(dialog.request))
        dialog.open()

    def fetch_selected(self) -> None:
        policy = self._policies.current()
        if policy is None:
            return
        last = self._ctx.settings.last_fetch(policy.url)
        if last is None:
            self.start_fetch(
                PolicyRequest(policy.url, "", self._ctx.settings.archive_prefixes[0], None, None)
            )
        else:
            prefix, kind, start, end, exact, asked = last
            self.start_fetch(PolicyRequest(asked, "", prefix, start, end, kind, exact=exact))

    def start_fetch(self, request: PolicyRequest) -> Task:
        """Create the policy, then fetch its history from the chosen archive (cancellable)."""
        self._ctx.settings.remember_prefix(request.prefix)
        self._ctx.settings.remember_fetch(
            request.url, request.prefix, request.kind, request.from_date, request.to_date, request.exact
        )
        self._ctx.message_bar.dismiss()
        task = self._ctx.run(
            job_fetch(self._ctx.archive, request, self._session_factory()),
            name="fetch",
            on_progress=self._fetch_progress,
            on_finished=partial(self._fetch_done, request),
            on_failed=self._fetch_failed,
        )
        self._ctx.progress.add(task, f"Fetching {display_url(request.url)}…")
        return task

    def _fetch_progress(self, item: object) -> None:
        if isinstance(item, Policy) and not self._policies.contains(item.id):
            self._pending_policy = item.id
            self._policies.reload(select=item.id)

    def _fetch_done(self, request: PolicyRequest, summary: Any) -> None:
        failed = len(summary.failed)
        text = (
            f"Fetched {summary.listed} listed captures: {summary.downloaded} downloaded, "
            f"{summary.reused} unchanged revisits, {summary.skipped} already archived"
            + (f", {failed} failed (fetch again to retry)" if failed else "")
            + "."
        )
        if summary.listed == 0:
            text = (
                "The archive lists no capture of this page in that date range. Check the URL (another "
                "variant, such as with or without www.), widen the dates, or try another archive."
            )
        if summary.left_out:
            text += (
                f" {summary.left_out} captures of other variants of the URL (http/https, www., …) were "
                "left out: only this exact URL was asked for."
            )
        if summary.suggestions:  # a click fetches that URL instead, from the same archive and dates
            text += " It has captures of these nearby pages:"
            self._suggested_for = request
        level = WARNING if failed or not summary.listed else INFO
        self._ctx.message_bar.show_links(text, summary.suggestions, level)
        self._policies.reload(select=summary.policy_id or self._pending_policy)

    def _session_factory(self) -> Any:
        """How jobs make their web session: the injected one (tests), else one that trusts the
        chosen certificate bundle (checked when the job starts, in its thread), else the default."""
        if self._ctx.fetch_factory is not None:
            return self._ctx.fetch_factory
        bundle = self._ctx.settings.ca_bundle
        if not bundle:
            return None

        def make() -> Any:
            from archiver.client import Session

            return Session(verify=bundle)

        return make

    def choose_certificates(self) -> None:
        current = self._ctx.settings.ca_bundle
        box = QMessageBox(self._ctx.window)
        box.setWindowTitle("Trusted Certificates")
        box.setText(
            f"HTTPS trusts the certificates in {current}."
            if current
            else "HTTPS trusts the system's certificates."
        )
        box.setInformativeText(
            "Behind a proxy that inspects HTTPS, choose a PEM file holding its certificate authority."
        )
        choose = box.addButton("Choose File…", QMessageBox.ButtonRole.AcceptRole)
        system = box.addButton("Use the System's", QMessageBox.ButtonRole.ResetRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        system.setEnabled(bool(current))
        box.exec()
        if box.clickedButton() is system:
            self.set_certificates("")
        elif box.clickedButton() is choose:
            path, _ = QFileDialog.getOpenFileName(
                self._ctx.window,
                "Certificates to Trust for HTTPS",
                current or str(Path.home()),
                "PEM certificates (*.pem *.crt *.cer);;All files (*)",
            )
            if path:
                self.set_certificates(path)

    def set_certificates(self, path: str) -> None:
        """Trust the certificates in ``path`` for HTTPS instead of the system's ("": the system's)."""
        from archiver.client.session import check_ca_bundle

        if path:
            try:
                check_ca_bundle(path)
            except ArchiverError as exc:
                self._ctx.message_bar.show_error(exc)
                return
            text = f"HTTPS now trusts the certificates in {path} (instead of the system's)."
        else:
            text = "HTTPS trusts the system's certificates."
        self._ctx.settings.ca_bundle = path
        self._ctx.message_bar.show_info(text)

    def fetch_suggested(self, url: str) -> Task | None:
        """Fetch a suggested URL from the archive and dates of the fetch that found nothing (the
        one whose suggestions the message bar shows, even if other fetches started since)."""
        if self._suggested_for is None:
            return None
        return self.start_fetch(replace(self._suggested_for, url=normalize_url(url), label="", typed=url))

    def _fetch_failed(self, exc: BaseException) -> None:
        self._ctx.message_bar.show_error(exc)
        self._policies.reload(select=self._pending_policy)

    def capture_live_selected(self) -> Task | None:
        """Fetch the selected policy's page from the site itself, now, and store it."""
        policy = self._policies.current()
        if policy is None:
            return None
        self._ctx.message_bar.dismiss()
        task = self._ctx.run(
            job_capture_live(self._ctx.archive, policy.url, self._session_factory()),
            name="capture",
            on_finished=self._captured,
            on_failed=self._fetch_failed,
        )
        self._pending_policy = policy.id
        self._ctx.progress.add(task, f"Capturing today's {display_url(policy.url)}…")
        return task

    def _captured(self, result: Any) -> None:
        stored, created, page = result
        state = "a new capture" if created else "identical to a capture already archived"
        text = f"Captured today's page: HTTP {page.status}, {stored.size:,} bytes, {state}."
        if page.final_url != page.url:
            text += f" The site redirected to {page.final_url}."
        self._ctx.message_bar.show_info(text, WARNING if page.status >= 400 else INFO)
        self._policies.reload(select=stored.policy_id)

    def save_page_now_selected(self) -> Task | None:
        """Ask the Wayback Machine to capture the selected policy's page now (Save Page Now)."""
        policy = self._policies.current()
        if policy is None:
            return None
        return self.save_page_now(policy.url)

    def save_page_now(self, url: str, keys: Any = None, remember: bool = False) -> Task | None:
        """Save Page Now for ``url``, with ``keys`` from the key dialog or else those found; without
        keys, or with keys the Internet Archive refuses, the key dialog asks and this runs again.
        One job per URL at a time (SPN would answer a second with the first's capture anyway)."""
        name = f"save page now {url}"
        if any(task.name == name and not task.ended.is_set() for task in running_tasks()):
            self._ctx.message_bar.show_info(f"Save Page Now is already running for {display_url(url)}.")
            return None
        self._ctx.message_bar.dismiss()
        task = self._ctx.run(
            job_save_page_now(self._ctx.archive, url, keys, remember, self._session_factory()),
            name=name,
            on_finished=self._saved_page_now,
            on_failed=partial(self._save_page_now_failed, url),
        )
        self._ctx.progress.add(task, f"Asking the Wayback Machine to save {display_url(url)} (up to 15 min)…")
        return task

    def _saved_page_now(self, result: Any) -> None:
        spn, not_kept = result
        when = display(spn.timestamp)
        if spn.reused:
            text = f"The Wayback Machine already had a recent capture, from {when} UTC: {spn.memento_url}."
        else:
            text = f"The Wayback Machine saved the page at {when} UTC: {spn.memento_url}."
        text += " Fetch History (F5) brings it into this archive once the Wayback Machine lists it."
        if not_kept:
            text += f" The keys were not remembered: {not_kept}."
        self._ctx.message_bar.show_info(text, WARNING if not_kept else INFO)

    def _save_page_now_failed(self, url: str, exc: BaseException) -> None:
        """No keys, or keys refused: the key dialog asks (saying why), then Save Page Now runs again."""
        if not isinstance(exc, MissingCredentialsError | KeysRefusedError):
            self._ctx.message_bar.show_error(exc)
            return
        from archiver.client.iakeys import keys_from_env

        problem = exc.reason if isinstance(exc, MissingCredentialsError) else str(exc)
        dialog = KeysDialog(problem[:1].upper() + problem[1:] + "." if problem else "", self._ctx.window)
        if keys_from_env() is not None:  # they come first: keys kept in the keychain would go unused
            dialog.remember_check.setChecked(False)
            dialog.remember_check.setEnabled(False)
            dialog.remember_check.setToolTip("IA_ACCESS_KEY and IA_SECRET_KEY are set: they are used first")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.save_page_now(url, dialog.keys(), dialog.remember_check.isChecked())
        )
        self.keys_dialog = dialog
        dialog.open()

    def verify_archive(self) -> Task:
        """Check the whole archive in the background; the message bar names each bad capture."""
        self._ctx.message_bar.dismiss()
        task = self._ctx.run(job_verify(self._ctx.archive), name="verify", on_finished=self._verified)
        self._ctx.progress.add(task, "Verifying the archive…")
        return task

    def _verified(self, result: Any) -> None:
        problems, stats = result
        if not problems:
            self._ctx.message_bar.show_info(
                f"Archive verified: {stats['captures']:,} captures and {stats['texts']:,} texts match their "
                f"sha256, the ledger of {stats['ledger_entries']:,} captures is unbroken, and the database is "
                f"intact. Ledger head: {stats['ledger_head']}"
            )
            return
        shown = "; ".join(str(p) for p in problems[:3])
        more = f"; and {len(problems) - 3} more ('policydiff verify' lists all)" if len(problems) > 3 else ""
        self._ctx.message_bar.show_info(
            f"Verification found {len(problems)} problem{'s' if len(problems) > 1 else ''}: {shown}{more}. "
            "Nothing was changed; re-fetch or re-import the named captures.",
            WARNING,
        )

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self._ctx.window,
            "Import Files",
            str(Path.home()),
            "Policies (*.md *.txt *.html *.htm *.pdf *.warc *.warc.gz *.wacz);;Princeton-Leuven Markdown (*.md *.txt);;"
            "WARC or WACZ (*.warc *.warc.gz *.wacz);;All files (*)",
        )
        if paths:
            self.import_with_url(paths)

    def import_with_url(self, paths: list[str]) -> None:
        """HTML and PDF copies need the page URL they are copies of: ask for it (PLLC and WARC carry theirs)."""
        needs_url = [p for p in paths if p.lower().endswith((".html", ".htm", ".pdf"))]
        if not needs_url:
            self.start_import(paths)
            return
        policy = self._policies.current()
        url, ok = QInputDialog.getText(
            self._ctx.window,
            "Import Files",
            f"Page URL these {len(needs_url)} HTML/PDF files are copies of:",
            text=policy.url if policy else "",
        )
        if not ok:
            return
        try:
            url = normalize_url(url)
        except ArchiverError as exc:
            self._ctx.message_bar.show_error(exc)
            return
        from .import_dates import ask_import_dates  # loads the extraction pipeline: only when importing

        dates = ask_import_dates(
            needs_url, self._ctx.window
        )  # each copy's capture date, prefilled (issue 18)
        if dates is None:
            return
        self.start_import(paths, url, dates)

    def start_import(
        self, paths: list[str], url: str | None = None, dates: dict[str, CaptureDate] | None = None
    ) -> Task:
        if url is None:
            policy = self._policies.current()
            url = policy.url if policy else None
        task = self._ctx.run(
            job_import(self._ctx.archive, paths, url, dates),
            name="import",
            on_finished=partial(self._import_done, paths),
            on_failed=self._ctx.failed,
        )
        self._ctx.progress.add(task, f"Importing {_count(len(paths), 'file')}…")
        return task

    def _import_done(self, paths: list[str], results: list[Any]) -> None:
        """One result per imported file, but one per record of a WARC ("file.warc.gz#offset")."""
        files = {str(Path(p)) for p in paths}

        def source(result: Any) -> str:
            path: str = result.path
            return path if path in files else path.rpartition("#")[0]

        done = [r for r in results if r.capture is not None]
        errors = [r for r in results if r.error]
        warnings = [r for r in results if r.warning]
        sources = len({source(r) for r in done})
        if not done:
            text = f"Imported no captures from {_count(len(files), 'file')}."
        else:
            of = (
                f"{sources} of {_count(len(files), 'file')}"
                if sources < len(files)
                else _count(sources, "file")
            )
            text = f"Imported {_count(len(done), 'capture')} from {of}."
        if errors:
            text += f" {len(errors)} failed: {Path(errors[0].path).name}: {errors[0].error}"
        elif warnings:
            text += f" {Path(warnings[0].path).name}: {warnings[0].warning}"
        self._ctx.message_bar.show_info(text, WARNING if errors or warnings else INFO)
        select = done[-1].capture.policy_id if done else None
        self._policies.reload(select=select)

    def accept_drag(self, event: QDragEnterEvent) -> None:
        """Files dragged over the window: local files can be dropped (HTML, PDF, PLLC, WARC, WACZ)."""
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_with_url(paths)

    # --- exports ------------------------------------------------------------------------------

    @staticmethod
    def _capture_name(capture: Capture) -> str:
        return f"{capture.timestamp}.{'pdf' if 'pdf' in capture.content_type else 'html'}"

    def save_raw(self, capture: Capture) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self._ctx.window, "Save Raw Capture", str(Path.home() / self._capture_name(capture))
        )
        if path:
            self._run_export(job_save_capture(self._ctx.archive, capture, path, False), path)

    def export_capture(self, capture: Capture) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self._ctx.window, "Export Capture with Provenance", str(Path.home() / self._capture_name(capture))
        )
        if path:
            self._run_export(job_save_capture(self._ctx.archive, capture, path, True), path)

    def export_policy(self, kind: str) -> None:
        policy = self._policies.current()
        if policy is None:
            return
        suffix = {"warc": ".warc.gz", "wacz": ".wacz", "csv": ".csv", "jsonl": ".jsonl"}[kind]
        path, _ = QFileDialog.getSaveFileName(
            self._ctx.window, f"Export {kind.upper()}", str(Path.home() / f"policy-{policy.id}{suffix}")
        )
        if path:
            self.start_export(kind, [policy], path)

    def start_export(self, kind: str, policies: list[Policy], path: str) -> Task:
        return self._run_export(job_export(self._ctx.archive, kind, policies, path), path)

    def export_report(self) -> None:
        if self._compare.pair() is None:  # the action is disabled then; say why if called anyway
            self._ctx.message_bar.show_info(
                "No comparison to report: select a policy with archived versions first.", WARNING
            )
            return
        path, _ = QFileDialog.getSaveFileName(
            self._ctx.window,
            "Evidence Report",
            str(Path.home() / "evidence-report.html"),
            "HTML (*.html);;PDF (*.pdf)",
        )
        if path:
            self.start_report(path)

    def start_report(self, path: str) -> Task | None:
        pair = self._compare.pair()
        if pair is None:
            return None
        view = self._compare.view
        options = self._compare.options
        assert options is not None
        result = view.result
        if result is not None and result.options != options:
            result = None
        from .compare.layout import CHANGES_ONLY_CONTEXT  # (the compare view loads after the window)

        # the report shows what the compare view shows: the whole text, or changes only
        context = CHANGES_ONLY_CONTEXT if view.changes_only_action.isChecked() else None
        return self._run_export(
            job_report(self._ctx.archive, pair[0], pair[1], result, options, path, context), path
        )

    def _run_export(self, job: Any, path: str) -> Task:
        task = self._ctx.run(
            job,
            name="export",
            on_finished=lambda text: self._ctx.message_bar.show_info(text),
            on_failed=self._ctx.failed,
        )
        self._ctx.progress.add(task, f"Exporting to {path}…")
        return task

    # --- archives -----------------------------------------------------------------------------

    def choose_archive(self) -> None:
        path = QFileDialog.getExistingDirectory(self._ctx.window, "Open Archive", str(self._ctx.archive.root))
        if path:
            self.open_archive(path)

    def fill_recent(self, menu: QMenu) -> None:
        """Fill File → Open Recent (as it is about to show)."""
        menu.clear()
        for path in self._ctx.settings.recent_archives:
            menu.addAction(path, partial(self.open_archive, path))

    def open_archive(self, path: str) -> Task:
        """Open (or create) the archive at ``path`` in the background (a busy database or the copy of a
        read-only one can take seconds), then show it instead of the current one. The one asked for
        last wins: one that finishes opening after it is closed again, unused."""

        def run(cancel: Any, report: Any) -> tuple[Archive, str]:
            return archives.open_archive(Path(path))

        task = self._opening.run(
            run,
            name="open archive",
            on_finished=partial(self._archive_opened, path),
            on_failed=self._ctx.failed,
            on_superseded=lambda opened: self._close(opened[0]),
            cancel_previous=False,  # it finishes (a copy half made is no use), then is closed
        )
        self._ctx.progress.add(task, f"Opening {path}…")
        return task

    def _close(self, archive: Archive) -> None:
        self._ctx.run(job_close(archive), name="close archive")

    def _archive_opened(self, path: str, opened: tuple[Archive, str]) -> None:
        archive, note = opened
        old = self._ctx.archive
        stale = running_tasks()  # every job still running reads or writes the old archive
        for task in stale:
            task.cancel()
        self.archiveOpened.emit(archive)
        # closed (its WAL checkpointed) in the background once no job uses it any more
        when_ended(stale, lambda: self._close(old))
        self._ctx.settings.last_archive = str(Path(path).resolve())
        self._ctx.message_bar.dismiss()
        if note:
            self._ctx.message_bar.show_info(note)
