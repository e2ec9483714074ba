"""The resumable fetch job: list a policy's captures, download the missing ones, store them.

Progress is recorded in the local archive after every capture (``job_put``), so a crash, a cancel
or a lost network only costs the capture in flight: the next run skips what is done. Revisits whose
digest was already downloaded reuse those bytes (docs/fault-cases.md case 11). A listing that fails
part-way for a passing reason leaves its rows, next resume key and page size in the job state, and
the next run of the same query goes on from there (case 8). Each failed capture is recorded with its
reason, in the summary and the job state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from ..errors import (
    ArchiverError,
    ArchiveResponseError,
    CancelledError,
    ConnectionBlockedError,
    ErrorKind,
    KeysRefusedError,
    RateLimitedError,
    RedirectTargetError,
    SavePageNowPendingError,
)
from ..models import Capture, Policy, Progress
from ..storage import Archive
from ..timestamps import now_iso
from .endpoints import ArchiveEndpoint
from .iakeys import IAKeys
from .listing import (
    MAX_ROWS,
    ListedCapture,
    ListingQuery,
    ResumePoint,
    list_captures,
    make_query,
    same_url,
    similar_urls,
)
from .live import LivePage, SpnJob, SpnResult, fetch_live, save_page_now
from .pacer import LISTING, MEMENTO
from .replay import MAX_BYTES, WINDOW, FetchResult, Memento, fetch_memento
from .rows import LISTING_READ_TIMEOUT
from .session import READ_TIMEOUT, ServerError, ServerTimeoutError, Session

log = logging.getLogger(__name__)

BREAKERS_KEY = "pacer breakers"  # job-table entry holding pauses that must outlive the process
LONG_PAUSE = 120.0  # a saved pause longer than this stops a new job at once, with the resume time
TIMEOUTS_TO_STOP = 3  # memento requests in a row with no answer or a 5xx (each after its retries): stop


@dataclass(frozen=True, slots=True)
class FetchFailure:
    timestamp: str
    original: str
    reason: str


@dataclass(frozen=True, slots=True)
class FetchSummary:
    listed: int
    downloaded: int  # captures fetched from the archive in this run
    reused: int  # revisits stored from bytes already downloaded
    skipped: int  # already in the local archive
    failed: tuple[FetchFailure, ...]
    policy_id: int = 0
    suggestions: tuple[str, ...] = ()  # when nothing was listed: nearby URLs the archive has
    left_out: int = 0  # listed captures of other variants of the URL, left out by ``exact``


def store(arc: Archive, policy: Policy, capture: Capture, body: bytes) -> tuple[Capture, bool]:
    """Store through the pipeline, so the text is extracted as the bytes are kept."""
    from ..pipeline import store_capture  # imported here: extraction loads lxml and the PDF engine

    stored, created, warning = store_capture(arc, policy, capture, body)
    if warning:
        log.warning("%s @ %s: %s", capture.original_url, capture.timestamp, warning)
    return stored, created


def capture_from_memento(
    memento: Memento,
    endpoint: ArchiveEndpoint,
    *,
    original: str,
    timestamp: str,
    redirects: tuple[str, ...] = (),
    provenance: str = "",
    flags: tuple[str, ...] = (),
) -> Capture:
    notes = [provenance] if provenance else []
    if memento.decoded_sha256:
        notes.append(
            f"body gzip-compressed as received (Content-Encoding: {memento.content_encoding or 'none'}); "
            f"sha256 of the decompressed body {memento.decoded_sha256}"
        )
    src = memento.header("X-Archive-Src")
    if src:
        notes.append(f"X-Archive-Src: {src}")
    return Capture(
        id=0,
        policy_id=0,
        source=endpoint.source,
        timestamp=timestamp,
        original_url=original,
        archive=endpoint.prefix,
        memento_url=memento.memento_url,
        retrieved_at=now_iso(),
        http_status=memento.status,
        headers=memento.headers,
        content_type=memento.content_type,
        redirects=redirects,
        provenance="; ".join(notes),
        flags=flags,
    )


@dataclass
class FetchJob:
    """Download every capture of one policy from one archive. ``run()`` yields Progress.

    After ``run()`` finishes, ``summary`` holds the counts. RateLimitedError, NetworkError (network
    lost), a third ServerTimeoutError in a row (the archive stopped answering), a listing that fails
    and CancelledError stop the job; its state is already saved, so running it again resumes. Any
    other error on one capture (a notice page, a broken body, one capture the archive does not
    answer for…) is a failure with its reason, and the job goes on.
    """

    arc: Archive
    session: Session
    endpoint: ArchiveEndpoint
    url: str
    from_date: str | None = None
    to_date: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    window: timedelta = WINDOW
    max_bytes: int = MAX_BYTES
    read_timeout: float = READ_TIMEOUT  # a memento body silent this long is a stalled transfer
    listing_read_timeout: float = LISTING_READ_TIMEOUT
    exact: bool = False  # only captures of the URL exactly as given, not of its variants
    summary: FetchSummary | None = None
    #: called with (archive, policy, prefix, rows, (from, to)) once the listing is complete
    on_listed: (
        Callable[[Archive, Policy, str, list[ListedCapture], tuple[str | None, str | None]], None] | None
    ) = None

    @property
    def key(self) -> str:
        return f"fetch {self.endpoint.prefix} {make_query(self.url).key}"

    def run(self) -> Generator[Progress, None, None]:
        query = make_query(self.url, self.from_date, self.to_date)  # validates before any request
        policy = self.arc.ensure_policy(query.url)
        state: dict[str, Any] = self.arc.job_get(self.key) or {}
        done: set[str] = set(state.get("done", []))
        digests: dict[str, int] = dict(state.get("digests", {}))
        rows, left_out = yield from self.listed(query, policy, state)
        # captures that failed last time go last: a few that always fail cannot stop every run
        # before the ones listed after them (three failures in a row stop a job)
        failed_before = {(f.get("timestamp"), f.get("original")) for f in state.get("failures", [])}
        rows = sorted(rows, key=lambda r: (r.timestamp, r.original) in failed_before)
        total = len(rows)
        downloaded = reused = skipped = 0
        failures: list[FetchFailure] = []
        timeouts = 0  # memento requests in a row without an answer

        def save(complete: bool = False) -> None:
            self.arc.job_put(
                self.key,
                {
                    "url": self.url,
                    "done": sorted(done),
                    "digests": digests,
                    "complete": complete,
                    "failures": [asdict(f) for f in failures],  # the diagnostics of this run
                },
            )
            self.save_breakers()

        for i, row in enumerate(rows):
            if self.cancel.is_set():
                save()
                raise CancelledError()
            if row.key in done or self.arc.has_capture(
                policy.id, self.endpoint.prefix, row.timestamp, row.original
            ):
                done.add(row.key)
                skipped += 1
                yield Progress(i + 1, total, f"{row.timestamp} {row.original}: already archived")
                continue
            try:
                if row.is_revisit and row.digest in digests:
                    self.reuse(policy, row, digests[row.digest])
                    reused += 1
                    note = "unchanged (revisit), stored from the bytes already downloaded"
                else:
                    stored = self.download(policy, row)
                    timeouts = 0
                    # a later revisit of this digest may reuse these bytes only if they are the
                    # listed record itself: not the target of a redirect, nor a nearest capture
                    exact = (
                        stored.timestamp == row.timestamp
                        and stored.original_url == row.original
                        and not stored.redirects
                    )
                    if row.digest and not row.is_revisit and exact:
                        digests[row.digest] = stored.id
                    downloaded += 1
                    note = f"downloaded {stored.size} bytes" + (
                        " (archived error page)" if stored.flags else ""
                    )
            except (CancelledError, RateLimitedError, ConnectionBlockedError):
                save()
                raise
            except (ServerTimeoutError, ServerError) as exc:
                # one capture the archive does not answer for (too big, a bad WARC) is a failure, so
                # the captures after it are still fetched; several in a row (each after its own
                # retries): the archive is overloaded or down, stop (a rerun resumes)
                failures.append(FetchFailure(row.timestamp, row.original, str(exc)))
                timeouts += 1
                if timeouts >= TIMEOUTS_TO_STOP:
                    save()
                    raise
                note = f"failed: {exc}"
            except ArchiverError as exc:
                if exc.kind is ErrorKind.CONNECTION:  # connection lost: stop; the next run resumes here
                    save()
                    raise
                timeouts = 0
                failures.append(FetchFailure(row.timestamp, row.original, str(exc)))
                note = f"failed: {exc}"
            else:
                done.add(row.key)
            save()
            yield Progress(i + 1, total, f"{row.timestamp} {row.original}: {note}")
        save(complete=not failures)
        suggestions = self.suggest(query) if not total and not left_out else ()
        self.summary = FetchSummary(
            total, downloaded, reused, skipped, tuple(failures), policy.id, suggestions, left_out
        )

    def listed(
        self, query: ListingQuery, policy: Policy, state: dict[str, Any]
    ) -> Generator[Progress, None, tuple[list[ListedCapture], int]]:
        """The rows to fetch (with ``exact``, only those of the URL as given) and how many were left
        out; ``on_listed`` is told of them (archiver.history.state keeps them for version windows)."""
        self.honour_saved_breakers()
        yield Progress(0, 0, f"listing captures of {query.url} at {self.endpoint.prefix}")
        try:
            rows = yield from self.list_rows(query, state)
        except (RateLimitedError, ConnectionBlockedError):
            self.save_breakers()
            raise
        left_out = 0
        if self.exact:  # the listing (and a saved one) holds every variant; choose here
            kept = [r for r in rows if same_url(r.original, query.url)]
            left_out, rows = len(rows) - len(kept), kept
        if self.on_listed is not None:
            self.on_listed(self.arc, policy, self.endpoint.prefix, rows, (query.from_ts, query.to_ts))
        return rows, left_out

    def suggest(self, query: ListingQuery) -> tuple[str, ...]:
        """Nearby URLs the archive has captures of, when this one has none (best effort; a 429
        or a block met on the way is kept like any other, so the next run honours it)."""
        try:
            return similar_urls(
                self.session, self.endpoint, query.url, self.from_date, self.to_date, cancel=self.cancel
            )
        except CancelledError:
            raise
        except ArchiverError as exc:
            log.info("no suggestions for %s: %s", query.url, exc)
            return ()
        finally:
            self.save_breakers()

    def list_rows(
        self, query: ListingQuery, state: dict[str, Any]
    ) -> Generator[Progress, None, list[ListedCapture]]:
        """The listed rows, going on from where an interrupted listing stopped if it left a resume key.

        When the listing fails for a passing reason (504s or timeouts at the smallest page, a lost
        network, a cancel, 429s, a firewall block), the rows received so far and where the next page
        starts (resume key, page size) are saved in the job state before the error goes up, so the
        next run does not start again at the first page. Any other failure (the archive refused the
        request: HTTP 4xx, a malformed answer) drops the saved listing, so a key the archive no
        longer takes cannot keep the job stuck; when it is the saved key itself that is refused, the
        listing starts again from the first page at once, in this run.
        """
        rows, resume = _saved_listing(state, query, self.endpoint.prefix)
        if resume is not None and resume.key is not None:
            yield Progress(0, 0, f"resuming the listing after {len(rows)} captures")
        elif resume is not None:
            yield Progress(0, 0, f"listing in pages of {resume.page_size} rows, as the last run had to")
        listed = yield from self._list_from(query, state, rows, resume)
        if listed is None:
            assert resume is not None
            yield Progress(0, 0, "the archive refused the saved resume key; listing from the first page")
            listed = yield from self._list_from(query, state, [], replace(resume, key=None))
            assert listed is not None  # without a resume key, a refusal is raised
        if "listing" in state:  # finished: a later failure must not resume from the old key
            self._drop_listing(state)
        return listed

    def _list_from(
        self,
        query: ListingQuery,
        state: dict[str, Any],
        rows: list[ListedCapture],
        resume: ResumePoint | None,
    ) -> Generator[Progress, None, list[ListedCapture] | None]:
        """The rows from ``resume`` on, after ``rows``; None when the archive refused ``resume.key``."""
        point = resume
        pages = reported = 0

        def on_page(next_point: ResumePoint | None) -> None:
            nonlocal point, pages
            point, pages = next_point, pages + 1

        seen = {_dedupe(r) for r in rows}
        listed = list_captures(
            self.session,
            self.endpoint,
            self.url,
            self.from_date,
            self.to_date,
            cancel=self.cancel,
            max_rows=max(0, MAX_ROWS - len(rows)),
            resume=resume,
            on_page=on_page,
            read_timeout=self.listing_read_timeout,
        )
        try:
            for row in listed:
                if _dedupe(row) not in seen:  # a resumed listing may repeat the row at the page edge
                    seen.add(_dedupe(row))
                    rows.append(row)
                if pages != reported:
                    reported = pages
                    yield Progress(0, 0, f"listed {len(rows)} captures so far")
        except ArchiverError as exc:
            if not _transient(exc):
                self._drop_listing(state)
                refused_key = (
                    isinstance(exc, ArchiveResponseError)
                    and resume is not None
                    and resume.key is not None
                    and point is not None
                    and point.key == resume.key  # failed before any page of this run came
                )
                if refused_key:
                    log.warning("the archive refused the saved resume key (%s); listing from the start", exc)
                    return None
                raise
            if point is not None:
                listing = {
                    "url": query.url,
                    "archive": self.endpoint.prefix,
                    "from": query.from_ts,
                    "to": query.to_ts,
                    "resume": asdict(point),
                    "rows": [_row_json(r) for r in rows],
                }
                state["listing"] = listing
                self.arc.job_put(self.key, {**state, "url": self.url})
                log.warning(
                    "listing stopped after %d captures; the next run goes on from %s",
                    len(rows),
                    f"resume key {point.key}"
                    if point.key
                    else f"the first page, {point.page_size} rows a page",
                )
            raise
        return rows

    def _drop_listing(self, state: dict[str, Any]) -> None:
        if state.pop("listing", None) is not None:
            self.arc.job_put(self.key, state)

    def honour_saved_breakers(self) -> None:
        """A pause an earlier run hit (429s, firewall block) still holds: stop now rather than hang."""
        pacer = self.session.pacer
        pacer.restore_breakers(dict((self.arc.job_get(BREAKERS_KEY) or {}).get("open", {})))
        host = self.endpoint.host
        for group in (LISTING, MEMENTO):
            remaining = pacer.blocked_until(host, group) - pacer.clock.now()
            if remaining > LONG_PAUSE:
                self.save_breakers()
                until = pacer.clock.utcnow() + timedelta(seconds=remaining)
                if remaining > 600:  # only the firewall-block breaker is that long
                    raise ConnectionBlockedError(host, until)
                raise RateLimitedError(host, until)

    def save_breakers(self) -> None:
        self.arc.job_put(BREAKERS_KEY, {"open": self.session.pacer.open_breakers()})

    def download(self, policy: Policy, row: ListedCapture) -> Capture:
        try:
            result: FetchResult = fetch_memento(
                self.session,
                self.endpoint,
                row.timestamp,
                row.original,
                window=self.window,
                max_bytes=self.max_bytes,
                cancel=self.cancel,
                read_timeout=self.read_timeout,
            )
        except RedirectTargetError as exc:  # the redirect is kept; the capture still failed
            self._keep_redirects(policy, exc.via)
            raise
        self._keep_redirects(policy, result.via)
        final = result.final
        provenance = ""
        original = row.original
        timestamp = final.timestamp  # Memento-Datetime: when the content was really captured
        if result.via:
            first = result.via[0]
            provenance = (
                f"via redirect from {first.original_url} at {first.timestamp}, "
                f"content captured at {final.timestamp}"
            )
            original = final.original_url
        elif final.timestamp != row.timestamp:
            provenance = (
                f"listed at {row.timestamp}; the archive served its nearest capture {final.timestamp}"
            )
        capture = capture_from_memento(
            final,
            self.endpoint,
            original=original,
            timestamp=timestamp,
            redirects=result.chain[:-1],
            provenance=provenance,
            flags=result.flags,
        )
        stored, _created = store(self.arc, policy, capture, final.body)
        return stored

    def _keep_redirects(self, policy: Policy, via: tuple[Memento, ...]) -> None:
        """Archived redirects: kept as evidence of where the URL pointed."""
        for hop in via:
            evidence = capture_from_memento(
                hop,
                self.endpoint,
                original=hop.original_url,
                timestamp=hop.timestamp,
                provenance=f"archived redirect to {hop.header('Location')}",
                flags=("archived-redirect",),
            )
            store(self.arc, policy, evidence, hop.body)

    def reuse(self, policy: Policy, row: ListedCapture, capture_id: int) -> Capture:
        earlier = self.arc.capture(capture_id)
        body = self.arc.read_body(earlier)
        capture = replace(
            earlier,
            id=0,
            timestamp=row.timestamp,
            original_url=row.original,
            memento_url=self.endpoint.replay_url(row.timestamp, row.original),
            retrieved_at=now_iso(),
            provenance=f"revisit of {earlier.timestamp} (same digest {row.digest}); bytes not downloaded again",
        )
        stored, _ = store(self.arc, policy, capture, body)
        return stored


def _dedupe(row: ListedCapture) -> tuple[str, str, str | None, int | None]:
    return row.timestamp, row.original, row.digest, row.status


def _row_json(row: ListedCapture) -> list[str | int | None]:
    return [
        row.timestamp,
        row.original,
        row.mimetype,
        row.status,
        row.digest,
        row.length,
        row.urlkey,
        row.endpoint,
    ]


def _transient(exc: ArchiverError) -> bool:
    """A listing failure that may pass: worth keeping the partial listing to go on from."""
    passing = (ServerError, ServerTimeoutError, CancelledError, RateLimitedError, ConnectionBlockedError)
    return isinstance(exc, passing) or exc.kind is ErrorKind.CONNECTION


def _saved_listing(
    state: dict[str, Any], query: ListingQuery, archive: str
) -> tuple[list[ListedCapture], ResumePoint | None]:
    """The rows and resume point an interrupted listing of the same query left, if any.

    The same query: the same normalised URL (the job key is the policy key, shared by the www.,
    trailing-slash and utm_* variants, whose CDX queries and resume keys differ), the same archive
    and the same date range.
    """
    saved = state.get("listing")
    wanted = (query.url, archive, query.from_ts, query.to_ts)
    if not isinstance(saved, dict) or tuple(saved.get(k) for k in ("url", "archive", "from", "to")) != wanted:
        return [], None
    try:
        resume = ResumePoint(**saved["resume"])
        if not isinstance(resume.key, str | None) or not isinstance(resume.page_size, int):
            raise TypeError(resume)
        rows = [
            ListedCapture(str(r[0]), str(r[1]), r[2], r[3], r[4], r[5], str(r[6]), str(r[7]))
            for r in saved["rows"]
        ]
    except (KeyError, TypeError, IndexError):
        log.warning("ignored an unreadable saved listing; listing from the first page")
        return [], None
    return rows, resume


def run_fetch(job: FetchJob) -> FetchSummary:
    """Run a job to the end without progress reporting (scripts, tests)."""
    for _ in job.run():
        pass
    assert job.summary is not None
    return job.summary


def capture_live(
    arc: Archive,
    session: Session,
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    cancel: threading.Event | None = None,
) -> tuple[Capture, bool, LivePage]:
    """Fetch today's page from the site itself and store it (source live). Returns (stored, created, page)."""
    page = fetch_live(session, url, max_bytes=max_bytes, cancel=cancel)
    policy = arc.ensure_policy(page.url)
    stored, created = store(arc, policy, page.to_capture(), page.body)
    return stored, created, page


def save_page_now_job(
    arc: Archive,
    session: Session,
    url: str,
    keys: IAKeys | None,
    *,
    cancel: threading.Event | None = None,
    on_keys_accepted: Callable[[], None] | None = None,
) -> SpnResult:
    """Save Page Now for one URL, its job kept in the archive's job table: a job an earlier run
    submitted is waited for, not submitted again (docs/fault-cases.md case 32). SPN's final word (a
    result, a permanent error, a job it no longer knows) ends the job; a job still pending, or one
    cut off by the network or a 5xx, or refused keys (the user fixes them), is waited for next
    time. ``on_keys_accepted``: see :func:`save_page_now`."""
    key = f"save page now {url}"
    saved = arc.job_get(key)
    pending = SpnJob(**saved) if saved and set(saved) == {"job_id", "url", "submitted"} else None
    try:
        result = save_page_now(
            session,
            url,
            keys,
            cancel=cancel,
            pending=pending,
            on_submit=lambda job: arc.job_put(key, asdict(job)),
            on_keys_accepted=on_keys_accepted,
        )
    except ArchiveResponseError as exc:
        if not isinstance(exc, SavePageNowPendingError | KeysRefusedError):
            arc.job_done(key)
        raise
    arc.job_done(key)
    return result
