"""The main window's background jobs: plain functions ``job(cancel, report)`` run by ``ui.workers``.

No Qt here (the PDF writer is the one exception, called on the worker thread): each job reads or
writes the archive through ``archiver`` and reports progress as ``archiver.models.Progress``.
Heavy modules (diffing, client, exports) are imported inside the job, off the start-up path.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.errors import CancelledError
from archiver.models import Capture, Policy, Progress, Version
from archiver.storage import Archive

from .dialogs import PolicyRequest

if TYPE_CHECKING:
    from archiver.capture_dates import CaptureDate
    from archiver.client.iakeys import IAKeys
    from archiver.diffing import DiffOptions, DiffResult
    from archiver.portfolio import PolicyInfo

    from .cache import TextCache


def job_policies(arc: Archive) -> Any:
    """The policies with their names, tags, notes and review state (archiver.portfolio)."""

    def run(cancel: threading.Event, report: Any) -> list[PolicyInfo]:
        from archiver.portfolio import Portfolio

        return Portfolio(arc).infos()

    return run


def job_close(arc: Archive) -> Any:
    """Close an archive no longer shown (its connections; SQLite checkpoints the WAL)."""

    def run(cancel: threading.Event, report: Any) -> None:
        arc.close()

    return run


def job_versions(arc: Archive, policy_id: int) -> Any:
    def run(cancel: threading.Event, report: Any) -> list[Version]:
        return arc.versions(policy_id)

    return run


def _text(arc: Archive, sha: str, cache: TextCache) -> str:
    text = cache.get(sha)
    if text is None:
        text = cache[sha] = arc.text(sha)
    return text


def job_change_sizes(arc: Archive, pairs: list[tuple[Version, Version]], cache: TextCache) -> Any:
    """Words removed + added between each (baseline, version) pair, reported as (index, words)."""

    def run(cancel: threading.Event, report: Any) -> None:
        from archiver.diffing import diff_texts

        for prev, cur in pairs:
            if cancel.is_set():
                raise CancelledError()
            stats = diff_texts(_text(arc, prev.text_sha256, cache), _text(arc, cur.text_sha256, cache)).stats
            report((cur.index, stats.words_added + stats.words_removed))

    return run


def job_diff(arc: Archive, left: str, right: str, options: DiffOptions, cache: TextCache) -> Any:
    def run(cancel: threading.Event, report: Any) -> DiffResult:
        from archiver.diffing import diff_texts

        a, b = _text(arc, left, cache), _text(arc, right, cache)
        if cancel.is_set():
            raise CancelledError()
        return diff_texts(a, b, options)

    return run


def job_fetch(arc: Archive, request: PolicyRequest, session_factory: Any = None) -> Any:
    """Ensure the policy (reported first, so it is listed at once), then find every change of its
    text (archiver.history: change-point discovery, resumable)."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.client import FetchJob, Session, archive_endpoint
        from archiver.history.discovery import ChangeJob

        policy = arc.ensure_policy(request.url, request.label)
        report(policy)
        endpoint = archive_endpoint(request.prefix, request.kind)
        with (session_factory or Session)() as session:
            fetch = FetchJob(
                arc,
                session,
                endpoint,
                request.typed or request.url,
                request.from_date,
                request.to_date,
                cancel=cancel,
                exact=request.exact,
            )
            job = ChangeJob(fetch)
            for progress in job.run():
                report(progress)
        return job.summary

    return run


def job_windows(arc: Archive, policy: Policy, versions: list[Version]) -> Any:
    """Each version's change window, exact or open (archiver.history.windows)."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.history.windows import version_windows

        return version_windows(arc, policy, versions)

    return run


def job_narrow(
    arc: Archive,
    policy: Policy,
    before: Capture,
    after: Capture,
    kind: str = "auto",
    session_factory: Any = None,
) -> Any:
    """Download only the captures listed between ``before`` and ``after`` (both of one archive)
    until the change between them lies between two adjacent captures."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.client import FetchJob, Session, archive_endpoint
        from archiver.history.discovery import ChangeJob

        endpoint = archive_endpoint(after.archive, kind)
        with (session_factory or Session)() as session:
            fetch = FetchJob(
                arc, session, endpoint, policy.url, before.timestamp, after.timestamp, cancel=cancel
            )
            job = ChangeJob(fetch, sample=None)
            for progress in job.run():
                report(progress)
        return job.summary

    return run


def job_capture_live(arc: Archive, url: str, session_factory: Any = None) -> Any:
    """Today's page from the site itself, stored as a capture with source ``live``."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.client import Session
        from archiver.client.jobs import capture_live

        report(Progress(0, 1, f"capturing {url}"))
        with (session_factory or Session)() as session:
            return capture_live(arc, session, url, cancel=cancel)

    return run


def job_save_page_now(
    arc: Archive, url: str, keys: IAKeys | None, remember: bool, session_factory: Any = None
) -> Any:
    """Ask the Wayback Machine to capture ``url`` now (up to 15 min), with the keys given or else
    those found (environment, keychain). Keys given are kept in the keychain if asked, once the
    Internet Archive has accepted them. Returns the result and, when they could not be kept, why
    (Save Page Now runs all the same)."""

    def run(cancel: threading.Event, report: Any) -> tuple[Any, str]:
        from archiver.client import Session, find_keys, remember_keys
        from archiver.client.jobs import save_page_now_job
        from archiver.errors import KeychainError, MissingCredentialsError

        report(Progress(0, 1, f"asking the Wayback Machine to save {url}"))
        use = keys
        if use is None:
            use, why = find_keys()
            if use is None:
                raise MissingCredentialsError("Save Page Now", why)
        not_kept: list[str] = []

        def keep() -> None:
            assert keys is not None
            try:
                remember_keys(keys)
            except KeychainError as exc:
                not_kept.append(str(exc))

        with (session_factory or Session)() as session:
            result = save_page_now_job(
                arc, session, url, use, cancel=cancel, on_keys_accepted=keep if keys and remember else None
            )
        return result, "".join(not_kept)

    return run


def job_verify(arc: Archive) -> Any:
    """Re-hash every stored capture and check the database (what `policydiff verify` does)."""

    def run(cancel: threading.Event, report: Any) -> tuple[list[Any], dict[str, Any]]:
        report(Progress(0, 0, "re-hashing every stored capture"))
        problems = arc.verify(cancel)
        entries, head = arc.ledger_head()
        return problems, {**arc.stats(), "ledger_entries": entries, "ledger_head": head}

    return run


def job_import(
    arc: Archive, paths: list[str], url: str | None, dates: dict[str, CaptureDate] | None = None
) -> Any:
    """Import files one by one: WARCs and WACZs through archiver.exports, the rest (PLLC, HTML, PDF) the pipeline."""

    def run(cancel: threading.Event, report: Any) -> list[Any]:
        from archiver.exports import WEB_ARCHIVE_SUFFIXES
        from archiver.pipeline import import_paths

        warcs = [p for p in paths if p.lower().endswith(WEB_ARCHIVE_SUFFIXES)]
        others = [p for p in paths if p not in warcs]
        results: list[Any] = []
        for i, path in enumerate(others):
            if cancel.is_set():
                raise CancelledError("import cancelled; the files imported so far are kept")
            results.extend(import_paths(arc, [path], url=url, dated=dates))
            report(Progress(i + 1, len(paths), f"imported {Path(path).name}"))
        if warcs:
            from archiver.exports.warc_import import import_warcs

            for j, path in enumerate(warcs):
                if cancel.is_set():
                    raise CancelledError("import cancelled; the files imported so far are kept")
                results.extend(import_warcs(arc, [path]))
                report(Progress(len(others) + j + 1, len(paths), f"imported {Path(path).name}"))
        return results

    return run


def job_save_capture(arc: Archive, capture: Capture, path: str, with_provenance: bool) -> Any:
    """The capture's raw bytes, byte-exact; with its provenance as a JSON sidecar when asked."""

    def run(cancel: threading.Event, report: Any) -> str:
        import json

        from archiver.exports.paths import write_file
        from archiver.exports.warc import capture_dict

        report(Progress(0, 1, f"saving capture {capture.timestamp}"))
        target = Path(path)
        # the file dialog has asked before replacing a file; written atomically, as every export
        write_file(target, arc.read_body(capture), force=True)
        if with_provenance:
            meta = json.dumps(capture_dict(capture), indent=1, default=str).encode("utf-8")
            write_file(target.with_name(target.name + ".json"), meta, force=True)
        report(Progress(1, 1, "saved"))
        return (
            f"Saved {target}" + (f" and its provenance {target.name}.json" if with_provenance else "") + "."
        )

    return run


def job_export(arc: Archive, kind: str, policies: list[Policy], path: str) -> Any:
    """WARC, WACZ, CSV or JSONL export of whole policies through archiver.exports (with a sha256 manifest)."""

    def run(cancel: threading.Event, report: Any) -> str:
        from archiver.exports import datasets, wacz, warc

        export = {
            "warc": warc.export_warc,
            "wacz": wacz.export_wacz,
            "csv": datasets.export_csv,
            "jsonl": datasets.export_jsonl,
        }[kind]
        report(Progress(0, 0, f"exporting {len(policies)} policies as {kind.upper()}"))
        result = export(arc, policies, Path(path), force=True)
        return _export_summary(result)

    return run


def job_report(
    arc: Archive,
    a: Version,
    b: Version,
    result: DiffResult | None,
    options: DiffOptions,
    path: str,
    context: int | None = None,
) -> Any:
    """The evidence report comparing two versions, as HTML or (by the file suffix) PDF; ``context``:
    changes only, with that many unchanged blocks around each (None: the whole text)."""

    def run(cancel: threading.Event, report: Any) -> str:
        from archiver.exports import report as reports

        report(Progress(0, 0, "building the evidence report"))
        html = reports.build_report_html(arc, a, b, options=options, result=result, context=context)
        target = Path(path)
        if target.suffix.lower() == ".pdf":
            from .pdf import write_pdf

            out = reports.write_pdf_report(html, target, lambda h, p: write_pdf(h, p), force=True)
        else:
            out = reports.write_report(html, target, force=True)
        return _export_summary(out)

    return run


def _export_summary(result: Any) -> str:
    files = ", ".join(str(f) for f in result.files) or "nothing"
    text = f"Exported {result.items} items to {files} (sha256 manifest {result.manifest.name})."
    notes = [*result.skipped, *result.warnings]
    if notes:
        text += f" {len(notes)} notes: {notes[0]}"
    return text


# --- the portfolio (ui/portfolio.py) ----------------------------------------------------------


def job_edit_policy(arc: Archive, policy: Policy, name: str, tags: list[str], note: str) -> Any:
    def run(cancel: threading.Event, report: Any) -> None:
        from archiver.portfolio import Portfolio

        portfolio = Portfolio(arc)
        portfolio.set_name(policy, name)
        portfolio.set_tags(policy, tags)
        portfolio.set_note(policy, note)

    return run


def job_remove_policy(arc: Archive, policy: Policy) -> Any:
    def run(cancel: threading.Event, report: Any) -> None:
        from archiver.portfolio import Portfolio

        Portfolio(arc).remove(policy)

    return run


def job_reviews(arc: Archive, policy: Policy) -> Any:
    """The review log of one policy, by the reviewed version's timestamp."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.portfolio import Portfolio

        return Portfolio(arc).reviews_by_version(policy)

    return run


def job_mark_reviewed(arc: Archive, policy: Policy, version: Version, reviewer: str, note: str) -> Any:
    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.portfolio import Portfolio

        return Portfolio(arc).mark_reviewed(policy, version.timestamp, reviewer, note)

    return run


def job_update_all(
    arc: Archive, session_factory: Any = None, kinds: dict[str, str] | None = None, live: bool = False
) -> Any:
    """Update every policy (archiver.updates). Reports the policies' names first, then (Progress,
    results so far) as it goes; returns the run. ``kinds``: how to list each archive (by its replay
    prefix, as the user last fetched from it)."""

    def run(cancel: threading.Event, report: Any) -> Any:
        from archiver.client import Session
        from archiver.portfolio import Portfolio
        from archiver.updates import UpdateRun, update_policies

        result = UpdateRun()
        with (session_factory or Session)() as session:
            portfolio = Portfolio(arc)
            policies = portfolio.selection()
            names = {i.policy.id: i.name for i in portfolio.infos()}
            report([names[p.id] for p in policies])  # the list the results follow, in order
            for step in update_policies(
                arc, session, None, policies, result, live=live, kind=kinds or {}, cancel=cancel
            ):
                report((step, list(result.results)))
        return result

    return run
