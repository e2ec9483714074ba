"""Live capture (today's page, from the site itself) and optional Save Page Now 2 submission.

SPN2 needs the user's Internet Archive S3 keys (anonymous saves now get 401; PROTOCOLS.md §5.4).
The keys travel only in the Authorization header: never logged, never stored in the archive.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from ..errors import ArchiveResponseError, MissingCredentialsError, NetworkError, PlaybackError
from ..models import Capture, Flag, Source
from ..timestamps import from_datetime, now_iso
from ..urls import normalize_url
from .pacer import LIVE, SPN
from .replay import MAX_BYTES, MAX_HOPS, read_body, refuse_undecodable
from .session import Session

log = logging.getLogger(__name__)

SPN_BASE = "https://web.archive.org"
SPN_FAST_POLL = 6.0
SPN_SLOW_POLL = 20.0
SPN_FAST_FOR = 120.0
SPN_GIVE_UP = 900.0
SPN_TRANSIENT_RETRIES = 2
SPN_TRANSIENT_DELAY = 60.0
#: status_ext codes worth one or two more tries, 60 s apart (PROTOCOLS.md §8.2)
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
class IAKeys:
    access: str
    secret: str = field(repr=False)

    @property
    def authorization(self) -> str:
        return f"LOW {self.access}:{self.secret}"


def keys_from_env(env: dict[str, str] | None = None) -> IAKeys | None:
    """IA_ACCESS_KEY / IA_SECRET_KEY from the environment (the UI passes keys from its settings)."""
    source = os.environ if env is None else env
    access, secret = source.get("IA_ACCESS_KEY", "").strip(), source.get("IA_SECRET_KEY", "").strip()
    return IAKeys(access, secret) if access and secret else None


@dataclass(frozen=True, slots=True)
class SpnResult:
    job_id: str
    original_url: str
    timestamp: str  # 14-digit UTC of the capture the Wayback Machine now holds
    memento_url: str
    reused: bool  # SPN returned an existing recent capture instead of making a new one


def save_page_now(
    session: Session,
    url: str,
    keys: IAKeys | None,
    *,
    base: str = SPN_BASE,
    cancel: threading.Event | None = None,
) -> SpnResult:
    """Ask the Wayback Machine to capture ``url`` now and wait for the result (up to 15 min)."""
    target = normalize_url(url)
    if keys is None:
        raise MissingCredentialsError("Save Page Now")
    auth = {"Authorization": keys.authorization, "Accept": "application/json"}
    clock = session.pacer.clock
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
    if isinstance(user.get("available"), int) and user["available"] <= 0:
        raise NetworkError(
            "Save Page Now has no free capture slot for this account now; try again in a few minutes"
        )
    for attempt in range(SPN_TRANSIENT_RETRIES + 1):
        try:
            return _submit_and_wait(session, target, auth, base, cancel)
        except _SpnTransient as exc:
            if attempt == SPN_TRANSIENT_RETRIES:
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


def _submit_and_wait(
    session: Session, target: str, auth: dict[str, str], base: str, cancel: threading.Event | None
) -> SpnResult:
    clock = session.pacer.clock
    submitted = clock.utcnow()
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
    started = clock.now()
    while True:
        elapsed = clock.now() - started
        if elapsed > SPN_GIVE_UP:
            raise ArchiveResponseError(
                f"Save Page Now job {job_id} still pending after 15 min; check later with "
                "'policydiff captures URL'"
            )
        clock.sleep(SPN_FAST_POLL if elapsed < SPN_FAST_FOR else SPN_SLOW_POLL, cancel)
        status = _json(
            session.request(f"{base}/save/status/{job_id}", group=SPN, headers=auth, cancel=cancel), "status"
        )
        state = status.get("status")
        if state == "pending":
            continue
        if state == "success":
            ts = str(status.get("timestamp", ""))
            original = str(status.get("original_url", target))
            reused = bool(ts) and ts < from_datetime(submitted - timedelta(minutes=1))
            return SpnResult(job_id, original, ts, f"{base}/web/{ts}/{original}", reused)
        code = str(status.get("status_ext", "error")).removeprefix("error:")
        message = str(status.get("message", "")).strip()
        if code in SPN_TRANSIENT:
            raise _SpnTransient(code, message)
        if code.startswith("max-daily") or code == "too-many-daily-captures":
            message += " (a daily limit: try again after midnight UTC)"
        raise ArchiveResponseError(f"Save Page Now failed for {target}: {code}: {message}".rstrip(": "))


def _json(resp: Any, what: str) -> dict[str, Any]:
    if resp.status_code in (401, 403):
        raise ArchiveResponseError(
            f"the Internet Archive refused the Save Page Now {what} (HTTP {resp.status_code}); "
            "check IA_ACCESS_KEY and IA_SECRET_KEY"
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
