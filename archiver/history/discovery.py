"""Change-point discovery: every text change of a policy, each pinned between two adjacent captures
of the listing, with as few downloads as a binary search allows.

The job lists every capture (cheap), downloads a sample, then bisects every window whose two ends
carry different text (:mod:`archiver.history.bisect`). A capture whose digest matches one already
downloaded is the same bytes: stored from them, never downloaded. Non-200 rows and captures that
hold no policy text are stepped over. Everything it learns is stored as it goes (the captures, and
which capture each probed row is: :mod:`archiver.history.state`), so a cancelled or crashed run
resumes where it stopped and a later run with a longer listing only searches what is new.

Limit, by design: a window whose two ends carry the same text is not searched, so a change that is
reverted inside it is missed; a denser ``sample`` (or fetching every capture) finds it.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from ..client.jobs import TIMEOUTS_TO_STOP, FetchFailure, FetchJob
from ..client.listing import ListedCapture, make_query
from ..client.pacer import MEMENTO, Pacer
from ..client.session import ServerError, ServerTimeoutError
from ..errors import (
    ArchiverError,
    CancelledError,
    ConnectionBlockedError,
    ErrorKind,
    RateLimitedError,
)
from ..models import Capture, Flag, Progress
from .bisect import Bisection, sample_rows
from .state import TextKeys, listed_without_text, load_links, save_links, save_listing, stored_rows

DEFAULT_SAMPLE = timedelta(days=30)
#: Seconds per download at the Internet Archive's default pace (the pacer's memento rate).
IA_SECONDS_PER_CAPTURE = 1.0 / Pacer.default_rate("web.archive.org", MEMENTO)


@dataclass(frozen=True, slots=True)
class HistoryStatus:
    """Where a search stands, for progress lines (CLI, JSON lines, the app)."""

    listed: int
    downloaded: int  # captures downloaded in this run
    reused: int  # stored from bytes already downloaded (same digest)
    known: int  # rows whose text is known (this run and earlier ones)
    changes: int
    narrowing: int  # changes whose window is still being narrowed
    remaining: int  # about how many downloads are left

    @property
    def seconds_left(self) -> float:
        return self.remaining * IA_SECONDS_PER_CAPTURE

    def line(self) -> str:
        return (
            f"{_n(self.changes, 'change')} found, {_n(self.narrowing, 'window')} narrowing, "
            f"{self.downloaded:,} of {self.listed:,} captures downloaded, {eta(self.seconds_left)}"
        )


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def eta(seconds: float) -> str:
    """'about 3 min left at the Internet Archive's pace'."""
    if seconds <= 0:
        return "nothing left to download"
    if seconds < 90:
        amount = f"{max(1, round(seconds))} s"
    elif seconds < 90 * 60:
        amount = f"{round(seconds / 60)} min"
    else:
        amount = f"{seconds / 3600:.1f} h"
    return f"about {amount} left at the Internet Archive's pace"


@dataclass(frozen=True, slots=True)
class HistorySummary:
    listed: int
    downloaded: int
    reused: int
    skipped: int  # rows whose text an earlier run (or an every-capture fetch) already stored
    changes: int  # text changes found
    open_windows: int  # changes not yet bracketed by adjacent captures (stopped early, failures)
    failed: tuple[FetchFailure, ...]
    policy_id: int = 0
    suggestions: tuple[str, ...] = ()
    left_out: int = 0


@dataclass
class ChangeJob:
    """Find every change of one policy in one archive. ``run()`` yields Progress; afterwards
    ``summary`` holds the counts. It stops on what stops a :class:`FetchJob` (cancel, 429s, a lost
    network, an archive that stopped answering), its state saved, so running it again resumes.

    ``fetch`` carries the archive, URL, dates and cancel event, and does the listing and downloads.
    ``sample``: the spacing of the first downloads (None: the first and last capture only, as when
    narrowing one window: give the window's ends as the fetch job's dates).
    """

    fetch: FetchJob
    sample: timedelta | None = DEFAULT_SAMPLE
    summary: HistorySummary | None = None
    status: HistoryStatus | None = None
    _failures: list[FetchFailure] = field(default_factory=list)

    @property
    def cancel(self) -> threading.Event:
        return self.fetch.cancel

    def run(self) -> Generator[Progress, None, None]:
        job = self.fetch
        arc, prefix = job.arc, job.endpoint.prefix
        query = make_query(job.url, job.from_date, job.to_date)
        policy = arc.ensure_policy(query.url)
        state = arc.job_get(job.key) or {}
        rows, left_out = yield from job.listed(query, policy, state)
        save_listing(arc, policy, prefix, rows, (query.from_ts, query.to_ts))
        arc.job_put(job.key, {**state, "url": job.url})  # the URL exactly as asked, as a fetch keeps it
        rows = sorted(rows, key=lambda r: (r.timestamp, r.original))
        links = load_links(arc, policy, prefix)
        texts = TextKeys(arc)
        stored = stored_rows(arc, policy, prefix, rows, links)
        known = {i: texts.of(c) for i, c in stored.items()}
        no_text = [i for i, r in enumerate(rows) if listed_without_text(r) and i not in known]
        digests = {r.digest: stored[i].id for i, r in enumerate(rows) if i in stored and _exact(r, stored[i])}
        skip = set(no_text)
        samples = sample_rows(
            [r.timestamp for r in rows], (i for i in range(len(rows)) if i not in skip), self.sample
        )
        search = Bisection(len(rows), no_text=no_text, known=known, samples=samples)
        captured = {i: c.id for i, c in stored.items()}  # row -> its stored capture
        _step_over_truncated(search, texts, captured, sorted(i for i, key in known.items() if key))
        downloaded = reused = timeouts = 0
        self._failures = []

        def save() -> None:
            save_links(arc, policy, prefix, links)
            job.save_breakers()

        def progress() -> Progress:
            changes = search.changes()
            remaining = search.remaining()
            self.status = HistoryStatus(
                len(rows), downloaded, reused, search.probed, len(changes),
                sum(1 for c in changes if c.unknown), remaining,
            )  # fmt: skip
            return Progress(search.probed, search.probed + remaining, self.status.line())

        yield progress()
        while (i := search.next_probe()) is not None:
            if self.cancel.is_set():
                save()
                raise CancelledError()
            row = rows[i]
            try:
                earlier = digests.get(row.digest) if row.digest else None
                if earlier is not None:
                    capture = job.reuse(policy, row, earlier)
                    reused += 1
                else:
                    capture = job.download(policy, row)
                    downloaded += 1
                    timeouts = 0
                    if row.digest and _exact(row, capture):
                        digests[row.digest] = capture.id
            except (CancelledError, RateLimitedError, ConnectionBlockedError):
                save()
                raise
            except (ServerTimeoutError, ServerError) as exc:
                self._fail(search, i, row, exc)
                timeouts += 1
                if timeouts >= TIMEOUTS_TO_STOP:  # the archive stopped answering: a rerun resumes
                    save()
                    raise
            except ArchiverError as exc:
                if exc.kind is ErrorKind.CONNECTION:  # connection lost: stop; a rerun resumes
                    save()
                    raise
                timeouts = 0
                self._fail(search, i, row, exc)
            else:
                links[row.key] = capture.id
                captured[i] = capture.id
                search.record(i, texts.of(capture))
                _step_over_truncated(search, texts, captured, [search.around(i)[0], i, search.around(i)[1]])
            save()
            yield progress()
        changes = search.changes()
        suggestions = job.suggest(query) if not rows and not left_out else ()
        self.summary = HistorySummary(
            listed=len(rows),
            downloaded=downloaded,
            reused=reused,
            skipped=len(known),
            changes=len(changes),
            open_windows=sum(1 for c in changes if not c.exact),
            failed=tuple(self._failures),
            policy_id=policy.id,
            suggestions=suggestions,
            left_out=left_out,
        )

    def _fail(self, search: Bisection, i: int, row: ListedCapture, exc: ArchiverError) -> None:
        self._failures.append(FetchFailure(row.timestamp, row.original, str(exc)))
        search.fail(i)


def _step_over_truncated(
    search: Bisection, texts: TextKeys, captured: dict[int, int], rows: Iterable[int | None]
) -> None:
    """A capture whose text is clearly shorter than the same text on both sides of it, with a
    section missing, is a truncated capture, not two changes: it is stepped over like an error
    page (the test of archiver.extraction.quality.sequence_flags, on the nearest known texts)."""
    from ..extraction.quality import sequence_flags  # here: extraction loads lxml

    for row in rows:
        if row is None or search.keys.get(row) is None:
            continue
        before, after = search.around(row)
        if before is None or after is None:
            continue
        if search.keys[before] != search.keys[after] or search.keys[row] == search.keys[before]:
            continue
        items = [texts.sequence_item(captured[r]) for r in (before, row, after)]
        if Flag.TRUNCATED.value in sequence_flags(items)[1]:
            search.record(row, None)


def _exact(row: ListedCapture, capture: Capture) -> bool:
    """The stored capture is the listed record itself (not a redirect's target, nor the nearest
    capture the archive served instead): only then may another row with its digest reuse it."""
    return (
        capture.timestamp == row.timestamp and capture.original_url == row.original and not capture.redirects
    )


def run_history(job: ChangeJob) -> HistorySummary:
    """Run a search to the end without progress reporting (scripts, tests)."""
    for _ in job.run():
        pass
    assert job.summary is not None
    return job.summary
