"""Live capture (today's page, from the site itself) and optional Save Page Now 2 submission.

SPN2 needs the user's Internet Archive S3 keys (anonymous saves now get 401; docs/protocols.md §5).
The keys travel only in the Authorization header: never logged, never stored in the archive.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from ..errors import (
    ArchiveResponseError,
    KeysRefusedError,
    MissingCredentialsError,
    NetworkError,
    PlaybackError,
    SavePageNowPendingError,
)
from ..models import Capture, Flag, Source
from ..timestamps import from_datetime, now_iso, to_datetime
from ..urls import normalize_url
from .iakeys import IAKeys
from .pacer import LISTING, LIVE, SPN
from .replay import MAX_BYTES, MAX_HOPS, read_body, refuse_undecodable
from .session import Session

log = logging.getLogger(__name__)

SPN_BASE = "https://web.archive.org"
SPN_FAST_POLL = 6.0
SPN_SLOW_POLL = 20.0
SPN_FAST_FOR = 120.0
SPN_GIVE_UP = 900.0  # seconds from the submission
SPN_JOB_KEPT = 3600.0  # SPN answers for a job's status about this long
SPN_TRANSIENT_RETRIES = 2
SPN_TRANSIENT_DELAY = 60.0
#: status_ext codes worth one or two more tries, 60 s apart (docs/protocols.md §8)
SPN_TRANSIENT = frozenset(
    {
        "user-session-limit",
        "too-many-requests",
        "cannot-fetch",
        "no-browsers-available",
        "proxy-error",
        "browsing-timeout",
        "soft-time-limit-exceeded",
        "celery",
        "job-failed",
        "internal-server-error",
        "read-timeout",
        "gateway-timeout",
        "service-unavailable",
        "bad-gateway",
    }
)


@dataclass(frozen=True, slots=True)
class LivePage:
    """Today's page as the site served it."""

    url: str  # as asked for (normalised)
    final_url: str  # after redirects
    status: int
    headers: tuple[tuple[str, str], ...]
    content_type: str
    body: bytes
    redirects: tuple[str, ...]  # URLs that redirected, in order
    retrieved_at: str  # ISO 8601 UTC
    timestamp: str  # 14-digit UTC

    def to_capture(self) -> Capture:
        flags = (str(Flag.ERROR_PAGE),) if self.status >= 400 else ()
        return Capture(
            id=0,
            policy_id=0,
            source=Source.LIVE,
            timestamp=self.timestamp,
            original_url=self.url,
            archive="",
            memento_url=self.final_url,
            retrieved_at=self.retrieved_at,
            http_status=self.status,
            headers=self.headers,
            content_type=self.content_type,
            redirects=self.redirects,
            provenance=f"fetched live from {self.final_url}",
            flags=flags,
        )


def fetch_live(
    session: Session, url: str, *, max_bytes: int = MAX_BYTES, cancel: threading.Event | None = None
) -> LivePage:
    """GET the page from the site itself, following redirects by hand (http(s) only, at most 10)."""
    start = normalize_url(url)
    current = start
    chain: list[str] = []
    for _ in range(MAX_HOPS + 1):
        if current in chain:
            raise PlaybackError(start, f"the site redirects in a loop at {current}")
        when = session.pacer.clock.utcnow()
        resp, body = read_body(session, current, group=LIVE, max_bytes=max_bytes, cancel=cancel)
        location = resp.headers.get("Location")
        if 300 <= resp.status_code < 400 and location:
            chain.append(current)
            target = urljoin(current, location)
            if not target.lower().startswith(("http://", "https://")):
                raise PlaybackError(start, f"the site redirects to a non-web URL {target}")
            current = target
            continue
        refuse_undecodable(current, resp.headers.get("Content-Encoding", ""), body, "the site")
        return LivePage(
            url=start,
            final_url=current,
            status=resp.status_code,
            headers=tuple((str(k), str(v)) for k, v in resp.raw.headers.items()),
            content_type=resp.headers.get("Content-Type", ""),
            body=body,
            redirects=tuple(chain),
            retrieved_at=when.replace(microsecond=0).isoformat().replace("+00:00", "Z") or now_iso(),
            timestamp=from_datetime(when),
        )
    raise PlaybackError(start, f"the site redirects more than {MAX_HOPS} times")


# --- Save Page Now 2 -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpnResult:
    job_id: str
    original_url: str
    timestamp: str  # 14-digit UTC of the capture the Wayback Machine now holds
    memento_url: str
    reused: bool  # SPN returned an existing recent capture instead of making a new one


@dataclass(frozen=True, slots=True)
class SpnJob:
    """A submitted Save Page Now job: kept (in the archive's job table) so that a later run waits
    for it instead of submitting the page again (docs/fault-cases.md case 32)."""

    job_id: str
    url: str  # normalised target
    submitted: str  # 14-digit UTC


def save_page_now(
    session: Session,
    url: str,
    keys: IAKeys | None,
    *,
    base: str = SPN_BASE,
    cancel: threading.Event | None = None,
    pending: SpnJob | None = None,
    on_submit: Callable[[SpnJob], None] | None = None,
    on_keys_accepted: Callable[[], None] | None = None,
) -> SpnResult:
    """Ask the Wayback Machine to capture ``url`` now and wait for the result (up to 15 min from
    the submission).

    ``pending``, a job an earlier run submitted for this URL less than an hour ago (SPN keeps a
    job's status that long), is waited for instead of submitting again; ``on_submit`` hears of each
    new job, to keep it. When a job is still pending after 15 min, or SPN no longer knows it, the
    Wayback Machine's CDX is asked for a capture made since the submission (``limit=-1``).
    ``on_keys_accepted`` hears once the Internet Archive has accepted the keys (to keep them then).
    """
    target = normalize_url(url)
    if keys is None:
        raise MissingCredentialsError("Save Page Now")
    auth = {"Authorization": keys.authorization, "Accept": "application/json"}
    clock = session.pacer.clock
    attempts = SPN_TRANSIENT_RETRIES + 1
    if pending is not None and pending.url == target and _age(session, pending) < SPN_JOB_KEPT:
        log.info("Save Page Now: waiting for job %s submitted at %s", pending.job_id, pending.submitted)
        try:
            result = _wait(session, pending, auth, base, cancel)
            if on_keys_accepted is not None:
                on_keys_accepted()
            return result
        except _SpnTransient as exc:  # counts as the first attempt: retries stay 60 s apart
            log.warning("Save Page Now: %s; submitting again in 60 s", exc.code)
            clock.sleep(SPN_TRANSIENT_DELAY, cancel)
            attempts -= 1
    user = _json(
        session.request(
            f"{base}/save/status/user",
            group=SPN,
            headers=auth,
            cancel=cancel,
            params={"_t": str(random.randrange(10**9))},
        ),
        "status",
    )
    if on_keys_accepted is not None:
        on_keys_accepted()
    if isinstance(user.get("available"), int) and user["available"] <= 0:
        raise NetworkError(
            "Save Page Now has no free capture slot for this account now; try again in a few minutes"
        )
    for attempt in range(attempts):
        try:
            job = _submit(session, target, auth, base, cancel)
            if on_submit is not None:
                on_submit(job)
            return _wait(session, job, auth, base, cancel)
        except _SpnTransient as exc:
            if attempt == attempts - 1:
                raise ArchiveResponseError(
                    f"Save Page Now failed for {target}: {exc.code}: {exc.message}; "
                    "the archive is busy, try again later"
                ) from None
            log.warning("Save Page Now: %s; submitting again in 60 s", exc.code)
            clock.sleep(SPN_TRANSIENT_DELAY, cancel)
    raise AssertionError("unreachable")


class _SpnTransient(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def _age(session: Session, job: SpnJob) -> float:
    """Seconds since the job was submitted."""
    return (session.pacer.clock.utcnow() - to_datetime(job.submitted)).total_seconds()


def _submit(
    session: Session, target: str, auth: dict[str, str], base: str, cancel: threading.Event | None
) -> SpnJob:
    submitted = from_datetime(session.pacer.clock.utcnow())
    job = _json(
        session.request(
            f"{base}/save",
            group=SPN,
            method="POST",
            headers=auth,
            cancel=cancel,
            data={"url": target, "skip_first_archive": "1"},
        ),
        "submission",
    )
    job_id = job.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise ArchiveResponseError(f"Save Page Now did not accept {target}: {job.get('message', job)}")
    return SpnJob(job_id, target, submitted)


def _wait(
    session: Session, job: SpnJob, auth: dict[str, str], base: str, cancel: threading.Event | None
) -> SpnResult:
    clock = session.pacer.clock
    target, job_id = job.url, job.job_id
    first = True
    while True:
        elapsed = _age(session, job)
        if elapsed > SPN_GIVE_UP and not first:  # (a job kept from an earlier run is asked about once)
            found = _capture_since(session, job, base, cancel)
            if found is not None:
                return found
            raise SavePageNowPendingError(
                f"Save Page Now job {job_id} still pending after 15 min, and the Wayback Machine lists "
                f"no capture of {target} since; the next 'capture --save-page-now' within the hour "
                "waits for this job again",
                job_id,
            )
        if elapsed <= SPN_GIVE_UP:
            clock.sleep(SPN_FAST_POLL if elapsed < SPN_FAST_FOR else SPN_SLOW_POLL, cancel)
        first = False
        resp = session.request(f"{base}/save/status/{job_id}", group=SPN, headers=auth, cancel=cancel)
        status = {} if resp.status_code == 404 else _json(resp, "status")
        state = status.get("status")
        if state == "pending":
            continue
        if state == "success":
            ts = str(status.get("timestamp", ""))
            original = str(status.get("original_url", target))
            submitted = to_datetime(job.submitted)
            reused = bool(ts) and ts < from_datetime(submitted - timedelta(minutes=1))
            return SpnResult(job_id, original, ts, f"{base}/web/{ts}/{original}", reused)
        if state is None:  # SPN no longer knows the job (its status is kept for about an hour)
            found = _capture_since(session, job, base, cancel)
            if found is not None:
                return found
            raise ArchiveResponseError(
                f"Save Page Now no longer knows job {job_id}, and the Wayback Machine lists no capture "
                f"of {target} since it was submitted; run 'capture --save-page-now' again"
            )
        code = str(status.get("status_ext", "error")).removeprefix("error:")
        message = str(status.get("message", "")).strip()
        if code in SPN_TRANSIENT:
            raise _SpnTransient(code, message)
        if code.startswith("max-daily") or code == "too-many-daily-captures":
            message += " (a daily limit: try again after midnight UTC)"
        raise ArchiveResponseError(f"Save Page Now failed for {target}: {code}: {message}".rstrip(": "))


def _capture_since(
    session: Session, job: SpnJob, base: str, cancel: threading.Event | None
) -> SpnResult | None:
    """The newest capture of the job's URL, if the Wayback Machine made it since the submission
    (CDX ``limit=-1``: the last row only)."""
    params = {
        "url": job.url.split("://", 1)[1],
        "limit": "-1",
        "output": "json",
        "fl": "timestamp,original,statuscode",
    }
    resp = session.request(f"{base}/cdx/search/cdx", group=LISTING, params=params, cancel=cancel)
    if resp.status_code != 200:
        return None
    try:
        data = resp.json()
    except ValueError:
        return None
    rows = [r for r in data[1:] if isinstance(r, list) and len(r) >= 2] if isinstance(data, list) else []
    if not rows:
        return None
    ts, original = str(rows[-1][0]), str(rows[-1][1])
    since = from_datetime(to_datetime(job.submitted) - timedelta(minutes=1))
    if not (len(ts) == 14 and ts.isdigit() and ts >= since):
        return None
    log.info("Save Page Now job %s: found the capture %s with CDX", job.job_id, ts)
    return SpnResult(job.job_id, original, ts, f"{base}/web/{ts}/{original}", False)


def _json(resp: Any, what: str) -> dict[str, Any]:
    if resp.status_code in (401, 403):
        raise KeysRefusedError(
            f"the Internet Archive refused the Save Page Now {what} (HTTP {resp.status_code}): "
            "check your S3 keys at https://archive.org/account/s3.php"
        )
    if resp.status_code != 200:
        raise ArchiveResponseError(f"Save Page Now {what} answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise ArchiveResponseError(f"Save Page Now {what} answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise ArchiveResponseError(f"Save Page Now {what} answered unexpected JSON")
    return data
