"""The web-archive client: list and fetch captures from the Wayback Machine or any Memento/pywb archive.

Built on requests with our own pacing and retries (docs/protocols.md §8). No Qt here: the UI runs
these calls in worker threads and cancels them with a ``threading.Event``. One ``Session`` per
worker thread; all sessions share the process-wide pacer (``default_pacer()``)::

    endpoint = archive_endpoint("https://web.archive.org/web/")        # or a pywb collection prefix
    with Session() as session:
        for row in list_captures(session, endpoint, url, "2020", None, cancel=cancel):
            ...                                                          # ListedCapture, lazily
        job = FetchJob(arc, session, endpoint, url, cancel=cancel)
        for progress in job.run():                                       # Progress(done, total, message)
            ...
        job.summary                                                      # FetchSummary
        stored, created, page = capture_live(arc, session, url, cancel=cancel)

Every error is an ArchiverError with a one-line message; CancelledError means the user cancelled.
"""

from .endpoints import DEFAULT_PREFIX, ArchiveEndpoint, ArchiveKind, archive_endpoint
from .iakeys import IAKeys, find_keys, forget_keys, keys_from_env, remember_keys
from .jobs import FetchFailure, FetchJob, FetchSummary, capture_live, run_fetch, save_page_now_job
from .listing import ListedCapture, list_captures
from .live import LivePage, SpnResult, fetch_live, save_page_now
from .pacer import ManualClock, Pacer, SystemClock, default_pacer
from .replay import FetchResult, Memento, fetch_memento
from .session import Session

__all__ = [
    "DEFAULT_PREFIX",
    "ArchiveEndpoint",
    "ArchiveKind",
    "FetchFailure",
    "FetchJob",
    "FetchResult",
    "FetchSummary",
    "IAKeys",
    "ListedCapture",
    "LivePage",
    "ManualClock",
    "Memento",
    "Pacer",
    "Session",
    "SpnResult",
    "SystemClock",
    "archive_endpoint",
    "capture_live",
    "default_pacer",
    "fetch_live",
    "fetch_memento",
    "find_keys",
    "forget_keys",
    "keys_from_env",
    "remember_keys",
    "list_captures",
    "run_fetch",
    "save_page_now",
    "save_page_now_job",
]
